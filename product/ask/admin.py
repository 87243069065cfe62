from django.contrib import admin

from product.ask.models import Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "task", "workspace", "created_by", "created_at"]
    list_filter = ["task"]
    search_fields = ["text", "instruction", "workspace__name", "created_by__email"]
    list_select_related = ["workspace", "created_by"]
    # A question is answered by its job; change the run in the job's admin, not here.
    readonly_fields = ["workspace", "created_by", "task", "instruction", "text", "job"]
