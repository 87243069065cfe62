from django.apps import AppConfig

from product.core.features import Feature


class KnowledgeConfig(AppConfig):
    name = "product.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge"
    feature = Feature(
        label="Knowledge",
        url_name="knowledge:collection-list",
        summary="Upload documents; search them and chat with answers that cite their sources.",
    )
