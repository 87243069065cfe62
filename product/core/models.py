"""Base models shared by every domain app."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models


class TimeStampedModel(models.Model):
    """Public ids are UUIDs: they say nothing about row counts and cannot be guessed in sequence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, replayed for the same key.

    Keys are scoped to a workspace and a route (`scope`); a different body under the same key is a
    conflict. See product/core/idempotency.py.
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["workspace", "scope", "key"], name="unique_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
