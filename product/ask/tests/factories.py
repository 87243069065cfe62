"""Questions for tests (and for the site-wide guard rails, which find factories by module name)."""

from __future__ import annotations

import factory

from product.ask import prompts
from product.ask.models import Question
from product.jobs.tests.factories import JobFactory


class QuestionFactory(factory.django.DjangoModelFactory):
    """An answered question, as its page shows it: pass `workspace` and `created_by`."""

    class Meta:
        model = Question

    task = prompts.Task.SUMMARISE
    text = "Keel ships AI products."
    job = factory.SubFactory(
        JobFactory,
        workspace=factory.SelfAttribute("..workspace"),
        created_by=factory.SelfAttribute("..created_by"),
        kind=prompts.KIND,
        input={},
        result={"text": "A short summary.", "model": "keel-dev-small"},
    )

    @factory.post_generation
    def point_the_job_at_it(
        obj: Question, create: bool, extracted: object, **kwargs: object
    ) -> None:  # noqa: N805
        if create:
            obj.job.input = {"question_id": str(obj.pk)}
            obj.job.save(update_fields=["input"])
