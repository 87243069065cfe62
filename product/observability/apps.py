from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Part of the product shell, not a feature: usage, traces and metrics over every feature's
    jobs and ledger rows (mounted at /observability/ by product/urls.py, "Usage" in the sidebar)."""

    name = "product.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # The recorder lives in core (every layer records into it); this app is where its spans
        # are kept, so it registers the sink (core never imports an app above it).
        from product.core import tracing
        from product.observability import services

        tracing.set_sink(services.write_spans)

        from product.observability import retention

        retention.register()  # its pruners run with the other apps' (core/retention.py)
