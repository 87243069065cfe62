from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules

from product.core.features import Feature


class EvalsConfig(AppConfig):
    name = "product.evals"
    label = "evals"
    verbose_name = "Evaluations"
    feature = Feature(
        label="Evaluations",
        url_name="evals:home-page",
        summary="Feedback, datasets and experiment runs that tell a better prompt from a worse one.",
    )

    def ready(self) -> None:
        # Each app registers its evaluation targets and graders in `<app>/evals.py`, the way it
        # registers job kinds in `handlers.py`; evals sits below the features, so it finds them
        # by name instead of importing them.
        autodiscover_modules("evals")
        from product.evals import graders  # noqa: F401  (the built-in graders register themselves)
