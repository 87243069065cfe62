from django.apps import AppConfig

from product.core.features import Feature


class ChatConfig(AppConfig):
    name = "product.chat"
    label = "chat"
    verbose_name = "Chat"
    feature = Feature(
        label="Chat",
        url_name="chat:conversation-list",
        summary="Talk to the model; replies stream in as they are written.",
    )
