"""The ledger is read-only in the admin: rows are written by the gateway, once per attempt."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "created_at",
        "workspace",
        "feature",
        "model",
        "status",
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "cost_usd",
        "latency_ms",
        "attempt",
    ]
    list_filter = ["status", "feature", "model", "cost_unknown", "tokens_estimated", "created_at"]
    search_fields = ["provider_request_id", "prompt_name", "workspace__name"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BudgetReservation)
class BudgetReservationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "created_at",
        "workspace",
        "feature",
        "estimated_usd",
        "actual_usd",
        "status",
        "settled_at",
    ]
    list_filter = ["status", "feature", "created_at"]
    search_fields = ["workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = ["workspace", "user", "feature", "estimated_usd", "created_at"]


@admin.register(WorkspaceBudget)
class WorkspaceBudgetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["workspace", "monthly_budget_usd"]
    search_fields = ["workspace__name"]
    raw_id_fields = ["workspace"]
