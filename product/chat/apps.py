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

    def ready(self) -> None:
        # The retention pass (product/core/retention.py) prunes this app's stream table too.
        from product.chat.dashboard import first_step
        from product.chat.retention import prune_stream_entries
        from product.core.dashboard import add_first_step
        from product.core.retention import register_pruner

        register_pruner("stream_entries", prune_stream_entries)
        add_first_step(first_step)
