from __future__ import annotations

from django.contrib import admin

from product.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "kind", "status", "progress", "attempts", "workspace", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("id", "idempotency_key", "error_message")
    date_hierarchy = "created_at"
    raw_id_fields = ("workspace", "created_by")
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "attempts",
        "heartbeat_at",
        "started_at",
        "finished_at",
        "enqueued_at",
    )
    list_select_related = ("workspace",)
