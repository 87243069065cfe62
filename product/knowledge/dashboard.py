"""Knowledge's first step on the dashboard (registered in apps.py, see product/core/dashboard.py)."""

from __future__ import annotations

from django.http import HttpRequest

from product.accounts.selectors import get_current_workspace
from product.core.dashboard import FirstStep
from product.knowledge.models import Document


def has_documents(request: HttpRequest) -> bool:
    return Document.objects.filter(workspace=get_current_workspace(request)).exists()


first_step = FirstStep(
    title="Upload a document",
    text="Make a collection and add a PDF or text file, so chat can answer from it with citations.",
    url_name="knowledge:collection-list",
    done=has_documents,
    position=20,
)
