from django.apps import AppConfig

from product.core.features import Feature


class ObservabilityConfig(AppConfig):
    name = "product.observability"
    label = "observability"
    verbose_name = "Observability"
    feature = Feature(
        label="Usage",
        url_name="observability:usage-page",
        summary="Spend, tokens, latency and errors by day, model, feature and member; every AI "
        "request's trace.",
    )

    def ready(self) -> None:
        # The recorder lives in core (every layer records into it); this app is where its spans
        # are kept, so it registers the sink (core never imports an app above it).
        from product.core import tracing
        from product.observability import recording

        tracing.set_sink(recording.write_spans)

        from product.observability import retention

        retention.register()  # its pruners run with the other apps' (core/retention.py)
