"""Datasets (copy-on-write versions, imports that store all or nothing, export that round-trips)
and feedback (snapshot, re-rating, turning it into a dataset item)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core import serializers

from product.accounts.models import User, Workspace
from product.evals import services
from product.evals.errors import EvalError, ImportRejected
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback
from product.evals.registry import Example
from product.evals.tests import targets_for_tests
from product.evals.tests.factories import FeedbackFactory
from product.llm.models import LLMCall

QA = targets_for_tests.NAME
ROWS = "\n".join(
    json.dumps(row)
    for row in [
        {"key": "when", "input": {"question": "When?"}, "reference": "April 3"},
        {"key": "who", "input": {"question": "Who?"}, "tags": ["people"]},
    ]
)


def snapshot(version: DatasetVersion) -> str:
    """A version and its items, byte for byte as stored."""
    rows = [DatasetVersion.objects.get(pk=version.pk), *version.items.order_by("position")]
    return str(serializers.serialize("json", rows))


@pytest.fixture
def dataset(acme: Workspace, alice: User) -> Dataset:
    return services.create_dataset(workspace=acme, user=alice, name="Support", target=QA)


@pytest.mark.django_db
def test_it_creates_an_empty_dataset_with_no_version_yet(dataset: Dataset) -> None:
    assert dataset.current_version == 0
    assert not dataset.versions.exists()


@pytest.mark.django_db
def test_it_refuses_a_taken_name_and_an_unknown_target(
    acme: Workspace, alice: User, dataset: Dataset, charlie: User
) -> None:
    with pytest.raises(EvalError) as taken:
        services.create_dataset(workspace=acme, user=alice, name="  Support ", target=QA)
    assert (taken.value.code, taken.value.status) == ("name_taken", 409)
    with pytest.raises(EvalError) as unknown:
        services.create_dataset(workspace=acme, user=alice, name="Other", target="nope.nothing")
    assert unknown.value.code == "unknown_target"
    with pytest.raises(EvalError):
        services.create_dataset(workspace=acme, user=alice, name="   ", target=QA)
    # Another workspace may use the name.
    corner = Workspace.objects.get(name="Charlie's corner")
    services.create_dataset(workspace=corner, user=charlie, name="Support", target=QA)


@pytest.mark.django_db
def test_an_edit_makes_a_new_version_and_leaves_the_old_one_byte_identical(
    dataset: Dataset, alice: User
) -> None:
    v1 = services.import_items(
        dataset=dataset, user=alice, content=ROWS, fmt="jsonl", filename="a.jsonl"
    )
    assert (v1.number, v1.item_count, v1.note) == (1, 2, "Imported 2 items from a.jsonl")
    before = snapshot(v1)
    when = v1.items.get(position=0)

    v2 = services.update_item(dataset=dataset, user=alice, key=when.key, reference="3 April")
    assert v2.number == 2 and dataset.current_version == 2
    assert snapshot(v1) == before
    edited = v2.items.get(key=when.key)
    assert edited.pk != when.pk and edited.reference == "3 April" and edited.position == 0
    assert edited.metadata == {"name": "when"}

    v3 = services.delete_item(dataset=dataset, user=alice, key=when.key)
    added = services.add_item(dataset=dataset, user=alice, input={"question": "Why?"}, tags=["new"])
    assert added.version.number == 4
    assert snapshot(v1) == before
    assert v3.item_count == 1 and list(v3.items.values_list("metadata__name", flat=True)) == ["who"]
    assert [i.input["question"] for i in DatasetItem.objects.filter(version=added.version)] == [
        "Who?",
        "Why?",
    ]
    assert [v.note for v in dataset.versions.order_by("number")] == [
        "Imported 2 items from a.jsonl",
        "Edited item when",
        "Deleted item when",
        "Added an item",
    ]
    dataset.refresh_from_db()
    assert dataset.current_version == 4


@pytest.mark.django_db
def test_an_edit_is_checked_like_an_import_and_changes_nothing_when_wrong(
    dataset: Dataset, alice: User
) -> None:
    v1 = services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    key = v1.items.get(position=0).key
    with pytest.raises(EvalError) as wrong:
        services.update_item(dataset=dataset, user=alice, key=key, input={"question": ""})
    assert wrong.value.details[0]["field"] == "input.question"
    with pytest.raises(EvalError) as unknown_field:
        services.update_item(dataset=dataset, user=alice, key=key, colour="red")
    assert unknown_field.value.code == "item_invalid"
    with pytest.raises(EvalError) as missing:
        services.delete_item(dataset=dataset, user=alice, key=uuid.uuid4())
    assert (missing.value.code, missing.value.status) == ("no_such_item", 404)
    with pytest.raises(EvalError):
        services.add_item(dataset=dataset, user=alice, input={"wrong": "shape"})
    assert dataset.versions.count() == 1
    dataset.refresh_from_db()
    assert dataset.current_version == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "content", "row", "field"),
    [
        ("jsonl", '{"input": {"question": "ok"}}\n{"input": {"question": "no"', 2, ""),
        (
            "jsonl",
            '{"input": {"question": "ok"}}\n{"input": {"text": "wrong shape"}}',
            2,
            "input.text",
        ),
        ("jsonl", '{"input": {"question": "ok"}, "tags": [1]}', 1, "tags"),
        ("csv", 'input\n"{""question"": ""ok""}"\n{broken\n', 3, "input"),
        ("csv", 'input,tags\n"{""question"": 7}",a\n', 2, "input.question"),
    ],
)
def test_a_bad_row_rejects_the_whole_import_and_stores_nothing(
    dataset: Dataset, alice: User, fmt: str, content: str, row: int, field: str
) -> None:
    services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    before = DatasetItem.objects.count()
    with pytest.raises(ImportRejected) as rejected:
        services.import_items(dataset=dataset, user=alice, content=content, fmt=fmt)  # type: ignore[arg-type]
    assert any(d["row"] == row and d["field"] == field for d in rejected.value.details), (
        rejected.value.details
    )
    assert "Nothing was imported" in rejected.value.message
    assert DatasetItem.objects.count() == before
    assert dataset.versions.count() == 1
    dataset.refresh_from_db()
    assert dataset.current_version == 1


@pytest.mark.django_db
def test_an_import_appends_refuses_keys_it_has_and_replaces_when_asked(
    dataset: Dataset, alice: User
) -> None:
    services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    with pytest.raises(ImportRejected) as clash:
        services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    assert [d["row"] for d in clash.value.details] == [1, 2]
    more = services.import_items(
        dataset=dataset, user=alice, content='{"input": {"question": "More?"}}', fmt="jsonl"
    )
    assert more.item_count == 3
    replaced = services.import_items(
        dataset=dataset, user=alice, content=ROWS, fmt="jsonl", replace=True
    )
    assert (replaced.number, replaced.item_count) == (3, 2)
    assert replaced.note.startswith("Replaced all items with 2 items")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_then_import_gives_the_same_items(
    dataset: Dataset, alice: User, acme: Workspace, fmt: str
) -> None:
    v1 = services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    services.add_item(
        dataset=dataset,
        user=alice,
        input={"question": 'Say "hi", then\nstop', "limit": 1},
        reference="hi; stop",
        expected_sources=["a;b.pdf"],
        metadata={"deep": {"list": [1, None]}},
    )
    exported = services.export_items(version=dataset.versions.get(number=2), fmt=fmt)  # type: ignore[arg-type]
    copy = services.create_dataset(workspace=acme, user=alice, name="Copy", target=QA)
    imported = services.import_items(dataset=copy, user=alice, content=exported.encode(), fmt=fmt)  # type: ignore[arg-type]

    def rows(version: DatasetVersion) -> list[tuple[object, ...]]:
        return list(
            version.items.order_by("position").values_list(
                "key", "input", "reference", "expected_sources", "tags", "metadata"
            )
        )

    assert rows(imported) == rows(dataset.versions.get(number=2))
    assert services.export_items(version=imported, fmt=fmt) == exported  # type: ignore[arg-type]
    assert rows(v1) == rows(dataset.versions.get(number=2))[:2]


@pytest.mark.django_db
def test_keys_named_in_a_file_are_the_same_in_every_dataset(
    dataset: Dataset, alice: User, acme: Workspace
) -> None:
    first = services.import_items(dataset=dataset, user=alice, content=ROWS, fmt="jsonl")
    other = services.create_dataset(workspace=acme, user=alice, name="Again", target=QA)
    second = services.import_items(dataset=other, user=alice, content=ROWS, fmt="jsonl")
    assert list(first.items.values_list("key", flat=True)) == list(
        second.items.values_list("key", flat=True)
    )


# --- feedback -------------------------------------------------------------------------------


def an_answer(workspace: Workspace, *, call: LLMCall | None = None) -> str:
    subject = str(uuid.uuid4())
    targets_for_tests.ANSWERS[subject] = (
        str(workspace.pk),
        Example(
            input={"question": "When is the launch?"},
            output="On April 3.",
            model="keel-dev-small",
            prompt_name="tests.qa",
            prompt_version="1",
            sources=["plan.md"],
            llm_call_id=str(call.pk) if call else None,
            url="/somewhere/",
        ),
    )
    return subject


def a_call(workspace: Workspace, user: User) -> LLMCall:
    return LLMCall.objects.create(
        workspace=workspace,
        user=user,
        feature="tests.qa",
        model="keel-dev-small",
        prompt_name="tests.qa",
        prompt_version="1",
        status=LLMCall.Status.SUCCEEDED,
    )


@pytest.mark.django_db
def test_it_records_feedback_with_a_snapshot_and_re_rating_changes_it(
    acme: Workspace, alice: User, bob: User
) -> None:
    call = a_call(acme, alice)
    subject = an_answer(acme, call=call)
    first = services.record_feedback(
        workspace=acme, user=alice, target=QA, subject_id=subject, rating="up"
    )
    assert first.example["output"] == "On April 3."
    assert first.llm_call_id == call.pk
    again = services.record_feedback(
        workspace=acme, user=alice, target=QA, subject_id=subject, rating="down", comment=" Late "
    )
    assert again.pk == first.pk
    assert (again.rating, again.comment) == ("down", "Late")
    # A teammate's rating is their own.
    services.record_feedback(workspace=acme, user=bob, target=QA, subject_id=subject, rating="up")
    assert Feedback.objects.count() == 2


@pytest.mark.django_db
def test_it_refuses_feedback_on_no_answer_or_with_a_bad_rating(
    acme: Workspace, alice: User, charlie: User
) -> None:
    subject = an_answer(acme)
    corner = Workspace.objects.get(name="Charlie's corner")
    for workspace, user, subject_id, rating, code in [
        (corner, charlie, subject, "up", "no_such_answer"),  # another workspace's answer
        (acme, alice, str(uuid.uuid4()), "up", "no_such_answer"),
        (acme, alice, "not-an-id", "up", "no_such_answer"),
        (acme, alice, subject, "meh", "invalid_rating"),
    ]:
        with pytest.raises(EvalError) as refused:
            services.record_feedback(
                workspace=workspace, user=user, target=QA, subject_id=subject_id, rating=rating
            )
        assert refused.value.code == code
    with pytest.raises(EvalError) as long_comment:
        services.record_feedback(
            workspace=acme,
            user=alice,
            target=QA,
            subject_id=subject,
            rating="up",
            comment="x" * 5000,
        )
    assert long_comment.value.code == "comment_too_long"
    assert not Feedback.objects.exists()


@pytest.mark.django_db
def test_a_thumbs_up_becomes_an_item_with_its_output_as_reference_and_its_call(
    acme: Workspace, alice: User, dataset: Dataset
) -> None:
    call = a_call(acme, alice)
    feedback = services.record_feedback(
        workspace=acme,
        user=alice,
        target=QA,
        subject_id=an_answer(acme, call=call),
        rating="up",
        comment="Spot on",
    )
    item = services.add_feedback_to_dataset(feedback=feedback, dataset=dataset, user=alice)
    assert item.input == {"question": "When is the launch?"}
    assert item.reference == "On April 3."
    assert item.expected_sources == ["plan.md"]
    assert item.tags == ["feedback", "up"]
    assert item.source_call_id == call.pk
    assert item.metadata == {
        "feedback_id": str(feedback.pk),
        "observed_output": "On April 3.",
        "comment": "Spot on",
        "model": "keel-dev-small",
        "prompt_name": "tests.qa",
        "prompt_version": "1",
    }
    assert item.version.note == "Added a thumbs-up answer from feedback"
    with pytest.raises(EvalError) as twice:
        services.add_feedback_to_dataset(feedback=feedback, dataset=dataset, user=alice)
    assert (twice.value.code, twice.value.status) == ("already_added", 409)


@pytest.mark.django_db
def test_a_thumbs_down_becomes_an_item_without_reference(
    acme: Workspace, alice: User, dataset: Dataset
) -> None:
    feedback = services.record_feedback(
        workspace=acme, user=alice, target=QA, subject_id=an_answer(acme), rating="down"
    )
    item = services.add_feedback_to_dataset(feedback=feedback, dataset=dataset, user=alice)
    assert item.reference == ""
    assert item.metadata["observed_output"] == "On April 3."
    assert item.tags == ["feedback", "down"]
    assert item.source_call_id is None


@pytest.mark.django_db
def test_feedback_goes_only_to_a_dataset_of_its_target_and_workspace(
    acme: Workspace, alice: User, charlie: User
) -> None:
    feedback = FeedbackFactory(workspace=acme, user=alice)  # an Ask once answer
    qa = services.create_dataset(workspace=acme, user=alice, name="QA", target=QA)
    with pytest.raises(EvalError) as mismatch:
        services.add_feedback_to_dataset(feedback=feedback, dataset=qa, user=alice)
    assert mismatch.value.code == "target_mismatch"
    corner = Workspace.objects.get(name="Charlie's corner")
    theirs = services.create_dataset(workspace=corner, user=charlie, name="QA", target=QA)
    mine = FeedbackFactory(
        workspace=acme, user=alice, target=QA, example={"input": {"question": "Q"}, "output": "A"}
    )
    with pytest.raises(EvalError) as elsewhere:
        services.add_feedback_to_dataset(feedback=mine, dataset=theirs, user=alice)
    assert elsewhere.value.status == 404
    assert not DatasetItem.objects.exists()
