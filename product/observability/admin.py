from django.contrib import admin

from product.observability.models import Span, Trace


@admin.register(Trace)
class TraceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("trace_id", "name", "status", "workspace", "user", "started_at", "calls")
    list_filter = ("status", "feature")
    search_fields = ("trace_id", "name")
    raw_id_fields = ("workspace", "user", "job")


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("trace_id", "kind", "name", "status", "started_at", "duration_ms")
    list_filter = ("kind", "status")
    search_fields = ("trace_id", "name")
    raw_id_fields = ("workspace", "user", "job")
