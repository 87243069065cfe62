from typing import Any

from django.apps import AppConfig
from django.db.models.signals import pre_delete

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

    def ready(self) -> None:
        from product.accounts.models import Workspace
        from product.core.dashboard import add_first_step
        from product.knowledge.dashboard import first_step

        add_first_step(first_step)
        # Accounts sits below knowledge and cannot call it: a deleted workspace's HNSW indexes
        # (DDL, which no cascade reaches) are dropped from here.
        pre_delete.connect(_drop_vector_indexes, sender=Workspace, dispatch_uid="knowledge-hnsw")


def _drop_vector_indexes(sender: type, instance: Any, **kwargs: Any) -> None:
    from product.knowledge import services

    services.drop_vector_indexes(instance.pk)
