from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "product.jobs"
    label = "jobs"
