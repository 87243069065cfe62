from django.contrib import admin

from product.apikeys.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "name",
        "prefix",
        "workspace",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "workspace__name"]
    # The hash is useless to read and must never be edited into something guessable.
    readonly_fields = ["prefix", "secret_hash", "last_used_at", "created_at"]
    raw_id_fields = ["workspace", "created_by"]
