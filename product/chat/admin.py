from django.contrib import admin

from product.chat.models import Conversation, Message


class MessageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Message
    extra = 0
    fields = ["position", "role", "status", "text", "model", "output_tokens", "cost_usd"]
    readonly_fields = ["position", "role", "status", "text", "model", "output_tokens", "cost_usd"]
    can_delete = False
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["display_title", "workspace", "created_by", "last_message_at", "created_at"]
    search_fields = ["title", "workspace__name", "created_by__email"]
    raw_id_fields = ["workspace", "created_by", "collection"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "conversation", "role", "status", "model", "output_tokens", "created_at"]
    list_filter = ["status", "role"]
    search_fields = ["text", "error_message"]
    # Replies are written by their job; the admin reads them.
    readonly_fields = [
        "conversation", "position", "role", "author", "text", "status", "error_code",
        "error_message", "job_id", "stream_cursor", "model", "input_tokens", "output_tokens",
        "cost_usd", "latency_ms", "ttft_ms", "llm_call_id", "citations", "finished_at",
    ]  # fmt: skip
