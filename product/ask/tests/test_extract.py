"""Ask once's extract tasks: typed fields through structured outputs, on the page and the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from product.accounts.models import User, Workspace
from product.ask import prompts
from product.ask.models import Question
from product.ask.schemas import SCHEMAS, ContactDetails, InvoiceFields, as_text, field_rows
from product.ask.services import submit_question
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import BudgetReservation, LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")
INVOICE = "Vendor: Acme Tools Ltd\nDate: 2026-03-14\nTotal: 1250.00\nCurrency: GBP\nDrills."
CONTACT = "Name: Ada <b>Lovelace</b>\nEmail: ada@analytical.example\nCompany: Analytical Engines"
SUITE = Path(__file__).resolve().parents[1] / "eval_suites" / "extracts.jsonl"


def run(question: Question) -> Question:
    services.run_job(question.job.pk)
    question = Question.objects.select_related("job").get(pk=question.pk)
    return question


def result(question: Question) -> dict[str, Any]:
    found: dict[str, Any] = question.job.result or {}
    return found


@pytest.mark.django_db
def test_an_invoice_extract_is_a_typed_answer_with_one_ledger_row(
    alice: User, acme: Workspace
) -> None:
    question = run(
        submit_question(workspace=acme, user=alice, text=INVOICE, task="extract_invoice")
    )
    assert question.job.status == Job.Status.SUCCEEDED, question.job.error_message
    assert question.fields is not None
    fields = InvoiceFields.model_validate(question.fields)
    assert (fields.vendor, fields.date, fields.total, fields.currency) == (
        "Acme Tools Ltd",
        "2026-03-14",
        1250.0,
        "GBP",
    )
    assert fields.line_items, "a list with minItems gets items"
    assert question.answer.startswith("Vendor: Acme Tools Ltd\nDate: 2026-03-14\nTotal: 1250.00")
    call = LLMCall.objects.get()
    assert (call.prompt_name, str(call.job_id)) == (prompts.PROMPT_NAME, str(question.job.pk))
    assert result(question)["call_id"] == str(call.id)
    assert result(question)["repaired"] is False
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


@pytest.mark.django_db
def test_an_invalid_extract_is_repaired_and_both_attempts_are_ledgered(
    alice: User, acme: Workspace
) -> None:
    text = f"{INVOICE} [[json_invalid: 1]]"
    question = run(submit_question(workspace=acme, user=alice, text=text, task="extract_invoice"))
    assert question.job.status == Job.Status.SUCCEEDED, question.job.error_message
    assert question.fields is not None and question.fields["vendor"] == "Acme Tools Ltd"
    assert result(question)["repaired"] is True
    names = sorted(
        LLMCall.objects.filter(job_id=question.job.pk).values_list("prompt_name", flat=True)
    )
    assert names == [prompts.PROMPT_NAME, f"{prompts.PROMPT_NAME}:repair"]


@pytest.mark.django_db
def test_an_extract_invalid_twice_fails_the_job_with_the_fields_named(
    alice: User, acme: Workspace
) -> None:
    text = f"{INVOICE} [[json_invalid]]"
    question = run(submit_question(workspace=acme, user=alice, text=text, task="extract_invoice"))
    assert question.job.status == Job.Status.FAILED
    assert question.job.error_code == "structured_output_invalid"
    assert "vendor: Field required" in question.job.error_message
    assert question.fields is None and question.text == text
    assert LLMCall.objects.filter(job_id=question.job.pk).count() == 2


@pytest.mark.django_db
def test_the_page_shows_the_fields_as_an_escaped_table(alice_client: Client) -> None:
    response = alice_client.post(
        reverse("ask:question-list"), {"text": CONTACT, "task": "extract_contact"}
    )
    assert response.status_code == 302
    job = Job.objects.get()
    services.run_job(job.pk)
    page = alice_client.get(response["Location"]).content.decode()
    assert 'data-testid="job-fields"' in page
    assert '<th scope="row">Name</th>' in page
    assert f"<td>{escape('Ada <b>Lovelace</b>')}</td>" in page
    assert "<b>Lovelace</b>" not in page
    assert "<td>ada@analytical.example</td>" in page
    assert 'data-testid="job-answer"' not in page


@pytest.mark.django_db
def test_the_page_shows_a_failed_extract_and_retry_works(alice_client: Client) -> None:
    alice_client.post(
        reverse("ask:question-list"),
        {"text": f"{CONTACT} [[json_invalid]]", "task": "extract_contact"},
    )
    question = Question.objects.get()
    services.run_job(question.job.pk)
    url = reverse("ask:question-detail", args=[question.pk])
    page = alice_client.get(url).content.decode()
    assert "did not have the expected fields" in page and "name: Field required" in page
    assert "Company: Analytical Engines [[json_invalid]]" in page, "the text is kept"
    retry = reverse("ask:question-retry", args=[question.pk])
    assert retry in page
    assert alice_client.post(retry).status_code == 302
    question.job.refresh_from_db()
    assert question.job.status == Job.Status.QUEUED


@pytest.mark.django_db
def test_the_api_returns_the_fields_typed(client: Client, alice_api: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/questions",
        data=json.dumps({"text": INVOICE, "task": "extract_invoice"}),
        content_type="application/json",
        **alice_api,
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["fields"] is None
    services.run_job(body["job"]["id"])
    done = client.get(f"/api/v1/questions/{body['id']}", **alice_api).json()
    assert done["job"]["status"] == "succeeded"
    assert done["fields"]["vendor"] == "Acme Tools Ltd"
    assert done["fields"]["total"] == 1250.0
    assert isinstance(done["fields"]["line_items"], list)
    listed = client.get("/api/v1/questions", **alice_api).json()
    assert listed["items"][0]["fields"] == done["fields"]


@pytest.mark.django_db
def test_a_prose_task_has_no_fields(client: Client, alice_api: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/questions",
        data=json.dumps({"text": "[[reply: Short.]]", "task": "summarise"}),
        content_type="application/json",
        **alice_api,
    )
    services.run_job(response.json()["job"]["id"])
    done = client.get(f"/api/v1/questions/{response.json()['id']}", **alice_api).json()
    assert (done["answer"], done["fields"]) == ("Short.", None)


def test_the_table_keeps_the_schema_order_and_nests_line_items() -> None:
    fields = {
        "vendor": "Acme",
        "date": "2026-03-14",
        "total": 12.0,
        "currency": "EUR",
        # Stored keys come back sorted (jsonb): the columns still follow the item model.
        "line_items": [{"amount": 12.0, "description": "Bolts"}],
    }
    rows = field_rows("extract_invoice", fields)
    assert [row.label for row in rows] == ["Vendor", "Date", "Total", "Currency", "Line items"]
    assert rows[2].value == "12.00"
    assert (rows[4].columns, rows[4].rows) == (["Description", "Amount"], [["Bolts", "12.00"]])
    assert as_text("extract_invoice", fields).endswith("Line items:\n- Bolts · 12.00")
    assert field_rows("summarise", fields) == []
    contact = field_rows("extract_contact", ContactDetails(name="Ada").model_dump())
    assert [row.value for row in contact] == ["Ada", "—", "—", "—"]


def test_the_eval_suite_uses_the_tasks_schemas() -> None:
    rows = [json.loads(line) for line in SUITE.read_text().splitlines() if line.strip()]
    assert {row["input"]["task"] for row in rows} == set(SCHEMAS)
    for row in rows:
        assert row["metadata"]["schema"] == SCHEMAS[row["input"]["task"]].model_json_schema()
