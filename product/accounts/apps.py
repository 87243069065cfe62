from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "product.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use the models, which cannot be imported
        # before the app registry is ready (Django's documented place for signal receivers).
        from product.accounts import signals  # noqa: F401 (connects the receivers)
        from product.accounts.context_processors import dashboard
        from product.accounts.dashboard import first_step
        from product.core.dashboard import add_dashboard_context, add_first_step

        add_dashboard_context(dashboard)
        add_first_step(first_step)
