"""Feedback and datasets for tests (and for the site-wide guard rails, which find factories by
module name and build one of each for Acme)."""

from __future__ import annotations

import uuid

import factory

from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback, Run
from product.jobs.models import Job
from product.jobs.tests.factories import JobFactory


class DatasetFactory(factory.django.DjangoModelFactory):
    """An empty dataset of Ask once cases: pass `workspace` (and `created_by`)."""

    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"Dataset {n}")
    target = "ask.once"


class DatasetVersionFactory(factory.django.DjangoModelFactory):
    """The dataset's next version (it becomes the current one); pass `dataset`."""

    class Meta:
        model = DatasetVersion
        skip_postgeneration_save = True

    number = factory.LazyAttribute(lambda o: o.dataset.current_version + 1)
    note = "Made by a factory"

    @factory.post_generation
    def make_it_current(
        obj: DatasetVersion, create: bool, extracted: object, **kwargs: object
    ) -> None:  # noqa: N805
        if create:
            Dataset.objects.filter(pk=obj.dataset_id).update(current_version=obj.number)
            obj.dataset.current_version = obj.number


class DatasetItemFactory(factory.django.DjangoModelFactory):
    """An item of a version (pass `version`); the version's count follows."""

    class Meta:
        model = DatasetItem
        skip_postgeneration_save = True

    position = factory.Sequence(lambda n: n)
    key = factory.LazyFunction(uuid.uuid4)
    input = factory.LazyFunction(lambda: {"task": "summarise", "text": "Keel ships AI products."})
    reference = "Keel ships."

    @factory.post_generation
    def count_it(obj: DatasetItem, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            DatasetVersion.objects.filter(pk=obj.version_id).update(
                item_count=DatasetItem.objects.filter(version_id=obj.version_id).count()
            )


class FeedbackFactory(factory.django.DjangoModelFactory):
    """A thumbs-down on an Ask once answer: pass `workspace` and `user`."""

    class Meta:
        model = Feedback

    target = "ask.once"
    subject_id = factory.LazyFunction(uuid.uuid4)
    rating = Feedback.Rating.DOWN
    comment = "Too long."
    example = factory.LazyFunction(
        lambda: {
            "input": {"task": "summarise", "text": "Keel ships AI products."},
            "output": "Keel is a Django starter that ships AI products for small teams.",
            "model": "keel-dev-small",
            "prompt_name": "ask.once",
            "prompt_version": "1",
            "sources": [],
            "llm_call_id": None,
            "url": "",
        }
    )


# --- runs ---


class RunFactory(factory.django.DjangoModelFactory):
    """A finished run of a one-item dataset version with one grader: pass `workspace` and
    `created_by` (the version and the job are made in that workspace)."""

    class Meta:
        model = Run

    name = "A factory run"
    target = "ask.once"
    dataset_version = factory.SubFactory(
        DatasetVersionFactory,
        dataset=factory.SubFactory(
            DatasetFactory,
            workspace=factory.SelfAttribute("...workspace"),
            created_by=factory.SelfAttribute("...created_by"),
        ),
        item_count=1,
    )
    config = factory.LazyFunction(lambda: {"model": "", "prompt_version": "1"})
    graders = factory.LazyFunction(lambda: [{"name": "contains", "params": {}, "threshold": None}])
    prompt_name = "ask.once"
    prompt_version = "1"
    case_count = 1
    job = factory.SubFactory(
        JobFactory,
        workspace=factory.SelfAttribute("..workspace"),
        created_by=factory.SelfAttribute("..created_by"),
        kind="evals.run",
        status=Job.Status.SUCCEEDED,
        input={},
    )
