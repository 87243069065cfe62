"""Chat's first step on the dashboard (registered in apps.py, see product/core/dashboard.py)."""

from __future__ import annotations

from django.http import HttpRequest

from product.accounts.selectors import get_current_workspace
from product.chat.models import Conversation
from product.core.dashboard import FirstStep


def has_chatted(request: HttpRequest) -> bool:
    # A conversation is only ever created with its first message (views.conversation_new).
    return Conversation.objects.filter(workspace=get_current_workspace(request)).exists()


first_step = FirstStep(
    title="Start a chat",
    text="Ask the model anything; its reply streams in as it is written.",
    url_name="chat:conversation-create",
    done=has_chatted,
    position=10,
)
