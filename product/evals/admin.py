from django.contrib import admin

from product.evals.models import Dataset, DatasetVersion, Feedback, Run


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "workspace", "target", "rating", "user")
    list_filter = ("rating", "target")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "workspace", "target", "current_version")


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("dataset", "number", "item_count", "created_at")


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "workspace", "target", "prompt_version", "case_count")
