"""Jobs for tests (and for the site-wide guard rails, which find factories by module name)."""

from __future__ import annotations

import factory

from product.jobs.models import Job


class JobFactory(factory.django.DjangoModelFactory):
    """A finished "ask once" job, as the job page shows it."""

    class Meta:
        model = Job

    kind = "ask.once"
    status = Job.Status.SUCCEEDED
    progress = 100
    attempts = 1
    input = factory.LazyFunction(lambda: {"text": "Keel ships AI products.", "task": "summarise"})
    result = factory.LazyFunction(lambda: {"text": "A short summary.", "model": "keel-dev-small"})
