from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "product.core"
    label = "core"

    def ready(self) -> None:
        # Before any handler loads the middleware: Django's instrumentation adds its own.
        from product.core import telemetry

        telemetry.configure()
