from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "product.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        # Each app registers its job kinds in `<app>/handlers.py`; import them all so that any
        # process (web, worker, a test) knows every kind.
        autodiscover_modules("handlers")
        # Every Django process (web included) must enqueue through Keel's Celery app, not
        # Celery's default one (which would talk AMQP to localhost).
        import worker.celery  # noqa: F401
