from django.contrib import admin

from product.knowledge.models import Collection, Document, EmbeddingIndex


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "workspace", "created_by", "created_at"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace", "created_by"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "collection", "status", "chunk_count", "size_bytes", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "collection__name", "workspace__name"]
    list_select_related = ["collection"]
    # Ingestion writes these; change the run in the job's admin, not here.
    readonly_fields = [
        "workspace",
        "collection",
        "created_by",
        "name",
        "kind",
        "size_bytes",
        "sha256",
        "file",
        "status",
        "error_code",
        "error_message",
        "page_count",
        "chunk_count",
        "embedded_count",
        "generation",
        "job",
    ]


@admin.register(EmbeddingIndex)
class EmbeddingIndexAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["workspace", "model", "dimensions", "status", "created_at", "activated_at"]
    list_filter = ["status", "model"]
    readonly_fields = ["workspace", "model", "dimensions", "status", "job", "activated_at"]
