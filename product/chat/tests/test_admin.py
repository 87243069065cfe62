from __future__ import annotations

from django.test import Client

from product.accounts.tests.factories import UserFactory
from product.chat.models import Conversation


def test_it_lists_conversations_and_messages_in_the_admin(conversation: Conversation) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/chat/conversation/").status_code == 200
    assert client.get(f"/admin/chat/conversation/{conversation.pk}/change/").status_code == 200
    assert client.get("/admin/chat/message/").status_code == 200
