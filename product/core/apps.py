from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "product.core"
    label = "core"
