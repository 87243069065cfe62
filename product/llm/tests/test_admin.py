from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from product.accounts.models import Workspace
from product.accounts.tests.factories import UserFactory
from product.llm.models import BudgetReservation, LLMCall


def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_it_lists_the_ledger_read_only(acme: Workspace) -> None:
    call = LLMCall.objects.create(
        workspace=acme,
        feature="summary",
        model="keel-dev-small",
        status="succeeded",
        cost_usd=Decimal("0.000123"),
    )
    client = staff_client()
    response = client.get(reverse("admin:llm_llmcall_changelist"), {"status": "succeeded"})
    assert response.status_code == 200
    assert b"summary" in response.content
    assert client.get(reverse("admin:llm_llmcall_add")).status_code == 403
    detail = client.get(reverse("admin:llm_llmcall_change", args=[call.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content


def test_it_lists_reservations(acme: Workspace) -> None:
    BudgetReservation.objects.create(
        workspace=acme, feature="summary", estimated_usd=Decimal("0.5")
    )
    response = staff_client().get(reverse("admin:llm_budgetreservation_changelist"))
    assert response.status_code == 200 and b"summary" in response.content
