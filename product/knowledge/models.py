"""Knowledge: collections of documents, their chunks, and the embedding indexes that search them.

- A **Collection** (a knowledge base) belongs to a workspace and holds documents.
- A **Document** is one uploaded file; its ingestion runs as a durable job (parse, chunk, embed,
  index). Uploading the same name into the same collection again is a re-upload of it.
- A **Chunk** is a passage of a document, with what a citation needs (page, heading, offsets). A
  document's chunks of one `generation` go live together: retrieval reads only `live` chunks, so a
  re-upload keeps answering from the old version until the new one is ready, then swaps in one
  transaction.
- An **EmbeddingIndex** is one embedding model's vector space for a workspace. Exactly one is
  active; switching models builds a new one in the background and activates it atomically.
- A **ChunkEmbedding** is one chunk's vector in one index. Vectors are reused by content hash, so
  an unchanged chunk is never embedded twice in the same index.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from product.core.models import TimeStampedModel
from product.jobs.models import Job
from product.knowledge.fields import VectorField


def document_upload_to(document: Document, filename: str) -> str:
    # The stored name never comes from the uploader: workspace, document id and the content hash
    # (the display name is kept apart, in Document.name). No path traversal, no clashes.
    return f"knowledge/{document.workspace_id}/{document.id}/{document.sha256[:16]}"


class EmbeddingIndex(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="embedding_indexes"
    )
    model = models.CharField(max_length=100)
    dimensions = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="embedding_index"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status="active"),
                name="embedding_index_one_active",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status="building"),
                name="embedding_index_one_building",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.get_status_display()})"


class Collection(TimeStampedModel):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="collections"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="collections"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="collection_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Document(TimeStampedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Parsing"
        CHUNKING = "chunking", "Chunking"
        EMBEDDING = "embedding", "Embedding"
        INDEXING = "indexing", "Indexing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    IN_PROGRESS: ClassVar[frozenset[str]] = frozenset(
        {Status.QUEUED, Status.PARSING, Status.CHUNKING, Status.EMBEDDING, Status.INDEXING}
    )

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="documents"
    )
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="documents")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="documents"
    )
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=document_upload_to, max_length=500)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    title = models.CharField(max_length=300, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    embedded_count = models.PositiveIntegerField(default=0)
    # Which generation of chunks is being built; the live one is the last that reached READY.
    generation = models.PositiveIntegerField(default=1)
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="document"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["collection", "name"], name="document_unique_name"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["collection", "-created_at"], name="document_recent"),
        ]

    def __str__(self) -> str:
        return self.name

    # What pages and the API show is derived here, once: the row's stage is the pipeline's last
    # word, but a job that ended without finishing the document (the reaper gave up after the
    # worker died again and again, a cancel) never writes it, and must not read as stuck.

    @property
    def current_status(self) -> str:
        job = self.job
        if (
            self.status in self.IN_PROGRESS
            and job is not None
            and job.status in (Job.Status.FAILED, Job.Status.CANCELLED)
        ):
            return self.Status.FAILED
        return self.status

    @property
    def status_label(self) -> str:
        return str(self.Status(self.current_status).label)

    @property
    def in_progress(self) -> bool:
        return self.current_status in self.IN_PROGRESS

    @property
    def progress(self) -> int:
        """The ingestion job's progress in percent (100 once ready)."""
        if self.status == self.Status.READY:
            return 100
        return self.job.progress if self.job is not None else 0

    @property
    def failure_message(self) -> str:
        """Why it failed, for a person: the pipeline's reason, else the job's; "" unless failed."""
        if self.current_status != self.Status.FAILED:
            return ""
        job_message = self.job.error_message if self.job is not None else ""
        return self.error_message or job_message or "Processing failed; retry it."


class Chunk(models.Model):
    # An integer key: on SQLite it is the rowid the FTS5 table mirrors (a UUID key would leave
    # SQLite free to renumber rowids on VACUUM).
    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    generation = models.PositiveIntegerField()
    live = models.BooleanField(default=False)
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    heading = models.CharField(max_length=500, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    char_start = models.PositiveIntegerField()
    char_end = models.PositiveIntegerField()
    token_count = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["document", "generation", "ordinal"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["document", "generation", "ordinal"], name="chunk_unique_position"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["collection", "live"], name="chunk_collection_live"),
            models.Index(fields=["workspace", "content_hash"], name="chunk_workspace_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} #{self.ordinal}"

    @property
    def locator(self) -> str:
        """Where a citation points: "page 3 · Install › Linux", "Install", or ""."""
        parts = []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.heading:
            parts.append(self.heading)
        return " · ".join(parts)


class ChunkEmbedding(models.Model):
    id = models.BigAutoField(primary_key=True)
    chunk = models.ForeignKey(Chunk, on_delete=models.CASCADE, related_name="embeddings")
    index = models.ForeignKey(EmbeddingIndex, on_delete=models.CASCADE, related_name="embeddings")
    # Copies of the chunk's, so the vector leg filters and reuse lookups need no join.
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    content_hash = models.CharField(max_length=64)
    embedding = VectorField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chunk", "index"], name="chunk_embedding_unique"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["index", "collection"], name="embedding_index_collection"),
            models.Index(fields=["index", "content_hash"], name="embedding_index_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.chunk_id} in {self.index_id}"
