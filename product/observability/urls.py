from django.urls import path, register_converter

from product.observability import views


class TraceIdConverter:
    """A trace id: 32 lowercase hex digits (OpenTelemetry's), as Trace.trace_id stores it."""

    regex = "[0-9a-f]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TraceIdConverter, "trace")

app_name = "observability"
urlpatterns = [
    path("", views.usage_page, name="usage-page"),
    path("traces/", views.trace_list, name="trace-list"),
    path("traces/<trace:trace_id>/", views.trace_detail, name="trace-detail"),
    path("traces/<trace:trace_id>/calls/<uuid:pk>/", views.call_detail, name="call-detail"),
    path("usage/export.csv", views.usage_export, name="usage-export"),
]
