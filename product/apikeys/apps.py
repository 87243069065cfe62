from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "product.apikeys"
    label = "apikeys"
