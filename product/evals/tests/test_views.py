"""The evaluation pages and the thumbs widgets under answers: rate with and without htmx, list
and filter feedback, add it to a dataset, create datasets, add/edit/delete items, import with
per-row errors, export, old versions; and other workspaces' objects are 404."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.evals import services
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback
from product.evals.tests.answers import answered_question, chat_reply
from product.evals.tests.factories import FeedbackFactory
from product.llm.models import LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


@pytest.fixture
def dataset(acme: Workspace, alice: User) -> Dataset:
    return services.create_dataset(workspace=acme, user=alice, name="Summaries", target="ask.once")


def rows(*items: dict[str, Any]) -> bytes:
    return "".join(json.dumps(item) + "\n" for item in items).encode()


# --- the widgets --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_finished_chat_reply_has_the_thumbs_and_rating_it_works_without_js(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    reply = chat_reply(acme, alice)
    url = reverse("chat:message-feedback", args=[reply.pk])
    page = alice_client.get(reverse("chat:conversation-detail", args=[reply.conversation_id]))
    html = page.content.decode()
    assert f'id="feedback-{reply.pk}"' in html
    assert f'action="{url}"' in html
    assert 'name="rating" value="down"' in html

    response = alice_client.post(url, {"rating": "down", "comment": "Wrong city"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{reply.pk}")
    feedback = Feedback.objects.get()
    assert (feedback.target, feedback.subject_id, feedback.rating) == (
        "chat.reply",
        reply.pk,
        "down",
    )
    assert feedback.comment == "Wrong city"
    assert feedback.example["input"] == {
        "messages": [
            {"role": "user", "content": "Hello there"},
            {"role": "assistant", "content": reply.conversation.messages.get(position=1).text},
            {"role": "user", "content": "[[reply: Paris.]] Capital?"},
        ]
    }
    assert feedback.example["output"] == "Paris."
    assert feedback.llm_call_id == reply.llm_call_id
    assert reply.llm_call_id is not None
    call = LLMCall.objects.get(pk=reply.llm_call_id)
    assert feedback.example["prompt_name"] == call.prompt_name == "chat.reply"
    assert feedback.example["prompt_version"] == call.prompt_version
    # The page shows the rating given.
    again = alice_client.get(reverse("chat:conversation-detail", args=[reply.conversation_id]))
    assert "you rated it bad" in again.content.decode()
    assert (
        'value="down" class="btn btn-small btn-primary" aria-pressed="true"'
        in again.content.decode()
    )


@pytest.mark.django_db
def test_the_chat_widget_re_rates_over_htmx_and_answers_with_itself(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    reply = chat_reply(acme, alice)
    url = reverse("chat:message-feedback", args=[reply.pk])
    alice_client.post(url, {"rating": "down"}, HTTP_HX_REQUEST="true")
    fragment = alice_client.post(
        url, {"rating": "up", "comment": "Fine after all"}, HTTP_HX_REQUEST="true"
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith(f'<form id="feedback-{reply.pk}"')
    assert "you rated it good" in html and "Fine after all" in html
    assert Feedback.objects.get().rating == "up"
    refused = alice_client.post(url, {"rating": "meh"}, HTTP_HX_REQUEST="true")
    assert "Rate the answer up or down." in refused.content.decode()
    assert Feedback.objects.get().rating == "up"


@pytest.mark.django_db
def test_an_unfinished_or_failed_reply_has_no_thumbs(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    from product.chat import services as chat_services

    conversation = chat_services.start_conversation(workspace=acme, user=alice)
    reply = chat_services.send_message(conversation=conversation, author=alice, text="Hi").reply
    page = alice_client.get(reverse("chat:conversation-detail", args=[conversation.pk]))
    assert f'id="feedback-{reply.pk}"' not in page.content.decode()
    response = alice_client.post(
        reverse("chat:message-feedback", args=[reply.pk]), {"rating": "up"}
    )
    assert response.status_code == 302
    assert not Feedback.objects.exists()


@pytest.mark.django_db
def test_an_ask_once_answer_has_the_thumbs_and_rating_it_works(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    question = answered_question(acme, alice)
    url = reverse("ask:question-feedback", args=[question.pk])
    page = alice_client.get(reverse("ask:question-detail", args=[question.pk])).content.decode()
    assert f'id="feedback-{question.pk}"' in page and f'action="{url}"' in page

    assert alice_client.post(url, {"rating": "up"}).status_code == 302
    fragment = alice_client.post(url, {"rating": "up", "comment": "Exact"}, HTTP_HX_REQUEST="true")
    assert "you rated it good" in fragment.content.decode()
    feedback = Feedback.objects.get()
    assert feedback.target == "ask.once" and feedback.comment == "Exact"
    assert feedback.example["input"] == {"task": "summarise", "text": question.text}
    assert feedback.example["output"] == "A short summary."
    assert str(feedback.llm_call_id) == (question.job.result or {})["call_id"]
    assert feedback.example["prompt_name"] == "ask.once"
    assert feedback.example["url"] == reverse("ask:question-detail", args=[question.pk])


@pytest.mark.django_db
def test_outsiders_cannot_rate_an_answer(
    alice: User, acme: Workspace, charlie_client: Client
) -> None:
    question = answered_question(acme, alice)
    reply = chat_reply(acme, alice)
    assert (
        charlie_client.post(
            reverse("ask:question-feedback", args=[question.pk]), {"rating": "up"}
        ).status_code
        == 404
    )
    assert (
        charlie_client.post(
            reverse("chat:message-feedback", args=[reply.pk]), {"rating": "up"}
        ).status_code
        == 404
    )
    assert not Feedback.objects.exists()


# --- feedback list --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feedback_list_filters_and_adds_an_answer_to_a_dataset(
    alice: User, acme: Workspace, alice_client: Client, dataset: Dataset
) -> None:
    question = answered_question(acme, alice)
    down = services.record_feedback(
        workspace=acme,
        user=alice,
        target="ask.once",
        subject_id=question.pk,
        rating="down",
        comment="Missed the date",
    )
    FeedbackFactory(workspace=acme, user=alice, rating="up", comment="Lovely")
    page = alice_client.get(reverse("evals:feedback-list")).content.decode()
    assert h1_count(page) == 1
    assert "Missed the date" in page and "Lovely" in page
    assert "keel-dev-small" in page and "ask.once v1" in page
    assert reverse("ask:question-detail", args=[question.pk]) in page
    filtered = alice_client.get(reverse("evals:feedback-list") + "?rating=down").content.decode()
    assert "Missed the date" in filtered and "Lovely" not in filtered
    by_feature = alice_client.get(
        reverse("evals:feedback-list") + "?target=chat.reply"
    ).content.decode()
    assert "No feedback matches these filters" in by_feature

    response = alice_client.post(
        reverse("evals:feedback-add-to-dataset", args=[down.pk]), {"dataset": str(dataset.pk)}
    )
    assert response.status_code == 302
    item = DatasetItem.objects.get()
    assert item.source_call_id == down.llm_call_id
    assert item.input == {"task": "summarise", "text": question.text}
    assert item.reference == ""
    listed = alice_client.get(response["Location"]).content.decode()
    assert "Added to “Summaries”" in listed
    twice = alice_client.post(
        reverse("evals:feedback-add-to-dataset", args=[down.pk]),
        {"dataset": str(dataset.pk)},
        follow=True,
    )
    assert "already in “Summaries”" in twice.content.decode()
    assert DatasetItem.objects.count() == 1


@pytest.mark.django_db
def test_the_home_page_counts_feedback_and_lists_datasets(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    empty = alice_client.get(reverse("evals:home-page")).content.decode()
    assert h1_count(empty) == 1 and "No ratings yet" in empty and "No datasets yet" in empty
    FeedbackFactory(workspace=acme, user=alice, rating="down")
    services.create_dataset(workspace=acme, user=alice, name="Summaries", target="ask.once")
    page = alice_client.get(reverse("evals:home-page")).content.decode()
    assert '<span data-testid="feedback-down">1</span>' in page
    assert "Summaries" in page


# --- datasets -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_a_dataset_and_refuses_a_taken_name(
    alice_client: Client, dataset: Dataset
) -> None:
    url = reverse("evals:dataset-list")
    assert "Summaries" in alice_client.get(url).content.decode()
    response = alice_client.post(url, {"name": "Chats", "target": "chat.reply"})
    created = Dataset.objects.get(name="Chats")
    assert response["Location"] == reverse("evals:dataset-detail", args=[created.pk])
    page = alice_client.get(response["Location"]).content.decode()
    assert h1_count(page) == 1 and "No items yet" in page
    taken = alice_client.post(url, {"name": "Summaries", "target": "ask.once"})
    assert taken.status_code == 422
    assert "already a dataset called “Summaries”" in taken.content.decode()


@pytest.mark.django_db
def test_it_adds_edits_and_deletes_items_each_a_new_version(
    alice_client: Client, dataset: Dataset
) -> None:
    add = reverse("evals:dataset-item-create", args=[dataset.pk])
    response = alice_client.post(
        add,
        {
            "input": '{"task": "summarise", "text": "Keel ships."}',
            "reference": "Ships.",
            "tags": "a, b",
        },
    )
    assert response.status_code == 302
    item = DatasetItem.objects.get()
    assert item.tags == ["a", "b"] and item.version.number == 1

    bad_json = alice_client.post(add, {"input": '{"task": "summarise",'})
    assert bad_json.status_code == 422
    assert "This is not valid JSON" in bad_json.content.decode()
    wrong_shape = alice_client.post(add, {"input": '{"question": "What?"}'})
    assert wrong_shape.status_code == 422
    assert "question: Extra inputs are not permitted" in wrong_shape.content.decode()
    assert DatasetVersion.objects.count() == 1

    edit = alice_client.post(
        reverse("evals:item-update", args=[item.pk]),
        {"input": '{"task": "key_points", "text": "Keel ships."}', "reference": "Ships!"},
    )
    assert edit.status_code == 302
    dataset.refresh_from_db()
    assert dataset.current_version == 2
    refused = alice_client.post(
        reverse("evals:item-update", args=[DatasetItem.objects.get(version__number=2).pk]),
        {"input": "[]"},
    )
    assert refused.status_code == 422 and "must be a JSON object" in refused.content.decode()

    page = alice_client.get(reverse("evals:dataset-detail", args=[dataset.pk])).content.decode()
    assert "key_points" in page and "Edited item #1" in page
    old = alice_client.get(
        reverse("evals:dataset-detail", args=[dataset.pk]) + "?version=1"
    ).content.decode()
    assert "You are looking at version 1" in old and "Ships." in old and "key_points" not in old
    assert (
        alice_client.get(
            reverse("evals:dataset-detail", args=[dataset.pk]) + "?version=9"
        ).status_code
        == 404
    )

    current = DatasetItem.objects.get(version__number=2)
    assert alice_client.post(reverse("evals:item-delete", args=[current.pk])).status_code == 302
    dataset.refresh_from_db()
    assert dataset.current_version == 3
    assert DatasetVersion.objects.get(number=3).item_count == 0
    assert DatasetItem.objects.filter(version__number=1).get().reference == "Ships."


@pytest.mark.django_db
def test_it_imports_shows_each_bad_row_and_exports_what_import_reads(
    alice_client: Client, dataset: Dataset
) -> None:
    url = reverse("evals:dataset-import", args=[dataset.pk])
    bad = rows(
        {"input": {"text": "fine"}}, {"input": {"task": "sing", "text": "x"}}, {"input": "no"}
    )
    response = alice_client.post(url, {"file": SimpleUploadedFile("cases.jsonl", bad)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "Row 2, <code>input.task</code>" in html and "Row 3, <code>input</code>" in html
    assert not DatasetItem.objects.exists()

    broken_csv = b'input\n"{""text"": ""ok""}"\n{oops\n'
    response = alice_client.post(url, {"file": SimpleUploadedFile("cases.csv", broken_csv)})
    assert (
        response.status_code == 422
        and "Row 3, <code>input</code>: Not valid JSON" in response.content.decode()
    )
    unknown = alice_client.post(url, {"file": SimpleUploadedFile("cases.txt", b"x")})
    assert "name it .jsonl or .csv" in unknown.content.decode()

    good = rows(
        {"key": "one", "input": {"text": "First."}},
        {"input": {"text": "Second.", "task": "key_points"}},
    )
    response = alice_client.post(
        url, {"file": SimpleUploadedFile("cases.txt", good), "format": "jsonl"}
    )
    assert response.status_code == 302
    assert DatasetItem.objects.count() == 2

    export = reverse("evals:dataset-export", args=[dataset.pk])
    page = alice_client.get(reverse("evals:dataset-detail", args=[dataset.pk])).content.decode()
    assert f"{export}?format=csv&amp;version=1" in page
    for fmt in ("jsonl", "csv"):
        dataset.refresh_from_db()
        download = alice_client.get(f"{export}?format={fmt}")
        assert download["Content-Disposition"] == (
            f'attachment; filename="Summaries-v{dataset.current_version}.{fmt}"'
        )
        replaced = alice_client.post(
            url, {"file": SimpleUploadedFile(f"back.{fmt}", download.content), "replace": "on"}
        )
        assert replaced.status_code == 302, replaced.content.decode()[-2000:]
    dataset.refresh_from_db()
    assert dataset.current_version == 3
    versions = [
        list(v.items.values_list("key", "input", "metadata"))
        for v in dataset.versions.order_by("number")
    ]
    assert versions[0] == versions[1] == versions[2]


@pytest.mark.django_db
def test_teammates_share_datasets_and_outsiders_get_404(
    alice: User, acme: Workspace, bob_client: Client, charlie_client: Client, dataset: Dataset
) -> None:
    services.import_items(
        dataset=dataset, user=alice, content=rows({"input": {"text": "x"}}), fmt="jsonl"
    )
    item = DatasetItem.objects.get()
    feedback = FeedbackFactory(workspace=acme, user=alice)
    assert bob_client.get(reverse("evals:dataset-detail", args=[dataset.pk])).status_code == 200
    for method, url in [
        ("get", reverse("evals:dataset-detail", args=[dataset.pk])),
        ("get", reverse("evals:dataset-export", args=[dataset.pk])),
        ("post", reverse("evals:dataset-item-create", args=[dataset.pk])),
        ("post", reverse("evals:dataset-import", args=[dataset.pk])),
        ("post", reverse("evals:item-update", args=[item.pk])),
        ("post", reverse("evals:item-delete", args=[item.pk])),
        ("post", reverse("evals:feedback-add-to-dataset", args=[feedback.pk])),
    ]:
        assert getattr(charlie_client, method)(url).status_code == 404, url
    listed = charlie_client.get(reverse("evals:dataset-list")).content.decode()
    assert "Summaries" not in listed
    assert "Too long." not in charlie_client.get(reverse("evals:feedback-list")).content.decode()
    assert DatasetVersion.objects.count() == 1
