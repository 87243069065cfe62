from __future__ import annotations

import factory

from product.chat.models import Conversation, Message


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    title = factory.Sequence(lambda n: f"Conversation {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    position = factory.Sequence(lambda n: n)
    role = Message.Role.USER
    text = "Hello"
    status = Message.Status.DONE
