from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "product.chat"
    label = "chat"
