from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "product.apikeys"
    label = "apikeys"

    def ready(self) -> None:
        # Imported here: product.apikeys.dashboard uses the models, which cannot be imported
        # before the app registry is ready.
        from product.apikeys import signals  # noqa: F401 (connects the receivers)
        from product.apikeys.dashboard import first_step
        from product.core.dashboard import add_first_step

        add_first_step(first_step)
