"""Jobs for tests (and for the site-wide guard rails, which find factories by module name)."""

from __future__ import annotations

import factory

from product.jobs.models import Job


class JobFactory(factory.django.DjangoModelFactory):
    """A finished job of a test kind (features' factories make jobs of their own kinds)."""

    class Meta:
        model = Job

    kind = "test.echo"
    status = Job.Status.SUCCEEDED
    progress = 100
    attempts = 1
    input = factory.LazyFunction(lambda: {"text": "hello"})
    result = factory.LazyFunction(lambda: {"echo": "hello"})
