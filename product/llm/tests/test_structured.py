"""Structured outputs through the gateway, against the dev model server: one ledger row per attempt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field

from product.accounts.models import User, Workspace
from product.llm import gateway
from product.llm.catalog import get_model
from product.llm.errors import QuotaExceeded, StructuredOutputInvalid
from product.llm.models import BudgetReservation, LLMCall
from product.llm.structured import StructuredResult, complete_structured, strict_schema


class Contact(BaseModel):
    name: str
    email: str
    age: int = Field(ge=0, le=150)
    company: str | None = None


TEXT = "Name: Ada Lovelace\nEmail: ada@example.org\nAge: 36\nCompany: Analytical Engines"


def extract(alice: User, acme: Workspace, text: str, **kwargs: Any) -> StructuredResult[Contact]:
    return complete_structured(
        workspace=acme,
        user=alice,
        feature="test",
        messages=[{"role": "user", "content": text}],
        schema=Contact,
        prompt_name="contact",
        **kwargs,
    )


@pytest.fixture
def keeps_bodies(acme: Workspace) -> Workspace:
    acme.store_model_bodies = True
    acme.save(update_fields=["store_model_bodies"])
    return acme


def test_a_valid_first_answer_is_one_ledger_row(
    devmodel_llm: str, alice: User, keeps_bodies: Workspace
) -> None:
    result = extract(alice, keeps_bodies, TEXT)
    assert result.value == Contact(
        name="Ada Lovelace", email="ada@example.org", age=36, company="Analytical Engines"
    )
    assert not result.repaired
    call = LLMCall.objects.get()
    assert call.id == result.call_id and result.call_ids == [call.id]
    assert (call.status, call.error, call.prompt_name) == (LLMCall.Status.SUCCEEDED, "", "contact")
    # Strict json_schema: the prompt is sent as it is, with no schema instructions added.
    assert call.request_messages == [{"role": "user", "content": TEXT}]
    assert result.chat.output_tokens == call.output_tokens and result.chat.cost_usd == call.cost_usd
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


def test_an_invalid_answer_is_repaired_on_a_second_ledgered_attempt(
    devmodel_llm: str, alice: User, keeps_bodies: Workspace
) -> None:
    result = extract(alice, keeps_bodies, f"{TEXT} [[json_invalid: 1]]")
    assert result.repaired and result.value.name == "Ada Lovelace"
    first, second = LLMCall.objects.order_by("created_at")
    assert result.call_ids == [first.id, second.id] and result.call_id == second.id
    assert first.prompt_name == "contact" and "name: Field required" in first.error
    assert second.prompt_name == "contact:repair" and second.error == ""
    # The repair saw the invalid answer and what was wrong with it.
    assert second.request_messages is not None
    assert second.request_messages[1]["role"] == "assistant"
    assert "name: Field required" in second.request_messages[2]["content"]
    reservation = BudgetReservation.objects.get()
    assert reservation.status == BudgetReservation.Status.SETTLED
    assert reservation.actual_usd == (first.cost_usd or Decimal(0)) + (second.cost_usd or 0)


def test_an_answer_invalid_twice_is_a_clear_error_after_two_rows(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(StructuredOutputInvalid) as caught:
        extract(alice, acme, f"{TEXT} [[json_invalid]]")
    assert "name: Field required" in caught.value.message
    assert "Fields that failed: name" in caught.value.message
    assert caught.value.code == "structured_output_invalid"
    first, second = LLMCall.objects.order_by("created_at")
    assert caught.value.call_id == second.id
    assert (first.prompt_name, second.prompt_name) == ("contact", "contact:repair")
    assert first.error and second.error
    # Both answers cost tokens: the reservation is settled with them, not released.
    reservation = BudgetReservation.objects.get()
    assert reservation.status == BudgetReservation.Status.SETTLED
    assert reservation.actual_usd == (first.cost_usd or Decimal(0)) + (second.cost_usd or 0)


def test_text_that_is_not_json_is_named_as_such(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(StructuredOutputInvalid) as caught:
        extract(alice, acme, "[[json_broken]]")
    assert "the answer: Invalid JSON" in caught.value.message
    assert LLMCall.objects.count() == 2


def test_without_the_capability_it_uses_json_mode_and_the_schema_in_the_prompt(
    devmodel_llm: str, alice: User, keeps_bodies: Workspace, settings: Any
) -> None:
    settings.LLM_CATALOG = {
        **settings.LLM_CATALOG,
        "keel-dev-small": {**settings.LLM_CATALOG["keel-dev-small"], "structured_outputs": False},
    }
    result = extract(alice, keeps_bodies, TEXT)
    assert result.value.email == "ada@example.org" and result.value.age == 36
    call = LLMCall.objects.get()
    assert call.request_messages is not None
    system = call.request_messages[0]
    assert (
        system["role"] == "system"
        and '"required":["name","email","age","company"]' in (system["content"])
    )
    # The same repair applies in JSON mode.
    repaired = extract(alice, keeps_bodies, f"{TEXT} [[json_invalid: 1]]")
    assert repaired.repaired and repaired.value.name == "Ada Lovelace"


def test_an_unknown_model_follows_the_default_setting(settings: Any) -> None:
    settings.LLM_STRUCTURED_OUTPUTS_DEFAULT = False
    assert not get_model("someone-elses-model").structured_outputs
    settings.LLM_STRUCTURED_OUTPUTS_DEFAULT = True
    assert get_model("someone-elses-model").structured_outputs
    assert get_model("keel-dev-small").structured_outputs


def test_the_repair_must_fit_the_budget(
    devmodel_llm: str, alice: User, acme: Workspace, settings: Any
) -> None:
    # The first attempt's reservation fits, but not a second worst case on top of it.
    settings.LLM_CATALOG = {
        **settings.LLM_CATALOG,
        "keel-dev-small": {**settings.LLM_CATALOG["keel-dev-small"], "output": "1000000"},
    }
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("150")
    with pytest.raises(QuotaExceeded):
        extract(alice, acme, f"{TEXT} [[json_invalid: 1]]", max_tokens=100)
    assert LLMCall.objects.count() == 1  # no repair call was made
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


def test_the_strict_schema_closes_every_object() -> None:
    class Line(BaseModel):
        amount: float = 0

    class Invoice(BaseModel):
        lines: list[Line]

    schema = strict_schema(Invoice)
    line = schema["$defs"]["Line"]
    assert line["required"] == ["amount"] and line["additionalProperties"] is False
    assert "default" not in line["properties"]["amount"]
    assert schema["required"] == ["lines"] and schema["additionalProperties"] is False


@dataclass
class JobLinkForTests:
    job_id: uuid.UUID
    charges: list[gateway.PendingCharge] = field(default_factory=list)
    noted: list[LLMCall] = field(default_factory=list)

    def defer_charge(self, charge: gateway.PendingCharge) -> None:
        self.charges.append(charge)

    def note_call(self, call: LLMCall) -> None:
        self.noted.append(call)


def test_inside_a_job_only_the_answer_waits_for_the_outcome(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    from product.jobs.models import Job

    link = JobLinkForTests(Job.objects.create(workspace=acme, kind="test.echo").pk)
    result = extract(alice, acme, f"{TEXT} [[json_invalid: 1]]", job=link)
    # The invalid attempt is written at once; the repaired answer is deferred to the job's commit.
    assert list(LLMCall.objects.values_list("prompt_name", flat=True)) == ["contact"]
    (charge,) = link.charges
    assert [call.id for call in charge.calls] == [result.call_id]
    assert len(link.noted) == 2
