"""API keys: how API clients act for a workspace."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from product.accounts.models import Workspace
from product.core.models import TimeStampedModel


def current_typed_prefix() -> str:
    return str(settings.API_KEY_PREFIX)


class ApiKey(TimeStampedModel):
    """A workspace's API key. Only a SHA-256 of the secret is stored; the full key is shown once.

    Format: ``<typed prefix><8-char lookup prefix>_<secret>``. The typed prefix is the setting
    API_KEY_PREFIX at creation, kept on the row so a later change of the setting breaks no key. The
    lookup prefix finds the row with one indexed query; the hash is compared in constant time.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    typed_prefix = models.CharField(max_length=32, default=current_typed_prefix)
    prefix = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        """How the key is shown once its secret is gone: `keel_live_a1b2c3d4_…`."""
        return f"{self.typed_prefix}{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or timezone.now() < self.expires_at

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
