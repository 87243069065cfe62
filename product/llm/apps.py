from django.apps import AppConfig


class LlmConfig(AppConfig):
    name = "product.llm"
    label = "llm"
