from django.apps import AppConfig


class DevmodelConfig(AppConfig):
    name = "product.devmodel"
    label = "devmodel"
