from django.apps import AppConfig

from product.core.features import Feature


class AskConfig(AppConfig):
    name = "product.ask"
    label = "ask"
    verbose_name = "Ask once"
    feature = Feature(
        label="Ask once",
        url_name="ask:question-list",
        summary="Summarise or extract from pasted text as a background job.",
    )
