from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class LlmConfig(AppConfig):
    name = "product.llm"
    label = "llm"

    def ready(self) -> None:
        # Imported here: product.llm.dashboard uses the models, which cannot be imported before the
        # app registry is ready.
        from product.core.dashboard import add_dashboard_context
        from product.llm.dashboard import usage

        add_dashboard_context(usage)
        # Each app's tools.py registers the tools its features offer (product/llm/tools.py).
        autodiscover_modules("tools")
