from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "product.accounts"
    label = "accounts"
