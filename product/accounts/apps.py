from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "product.accounts"
    label = "accounts"

    def ready(self) -> None:
        from product.accounts import signals  # noqa: F401 (connects the receivers)
