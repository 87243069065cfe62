"""The workspace's privacy setting: whether traces keep prompts and responses."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import Membership, User, Workspace

pytestmark = pytest.mark.django_db


def _post(client: Client, workspace: Workspace, store: str) -> object:
    url = reverse("accounts:workspace-privacy-update", kwargs={"pk": workspace.pk})
    return client.post(url, {"store": store})


def test_it_shows_the_control_to_owners_with_the_default_named(
    alice_client: Client, acme: Workspace, settings: object
) -> None:
    settings.LLM_STORE_BODIES = True  # type: ignore[attr-defined]
    html = alice_client.get(
        reverse("accounts:workspace-detail", kwargs={"pk": acme.pk})
    ).content.decode()
    assert "Store prompts and responses for traces" in html
    assert "Default (on: follows LLM_STORE_BODIES)" in html
    assert 'value="default" id="id_store_0" required checked' in html  # None: the default


def test_it_shows_the_saved_choice(alice_client: Client, acme: Workspace) -> None:
    acme.store_model_bodies = False
    acme.save(update_fields=["store_model_bodies"])
    html = alice_client.get(
        reverse("accounts:workspace-detail", kwargs={"pk": acme.pk})
    ).content.decode()
    assert 'value="off" id="id_store_2" required checked' in html
    assert '<strong data-testid="bodies-stored">not stored</strong>' in html


def test_it_saves_on_off_and_default(alice_client: Client, acme: Workspace) -> None:
    for choice, stored in (("off", False), ("on", True), ("default", None)):
        response = _post(alice_client, acme, choice)
        assert response.status_code == 302  # type: ignore[attr-defined]
        acme.refresh_from_db()
        assert acme.store_model_bodies is stored


def test_it_says_what_the_default_means(
    alice_client: Client, acme: Workspace, settings: object
) -> None:
    settings.LLM_STORE_BODIES = False  # type: ignore[attr-defined]
    html = alice_client.get(
        reverse("accounts:workspace-detail", kwargs={"pk": acme.pk})
    ).content.decode()
    assert "Default (off: follows LLM_STORE_BODIES)" in html
    assert '<strong data-testid="bodies-stored">not stored</strong>' in html


def test_it_lets_admins_change_it(bob: User, bob_client: Client, acme: Workspace) -> None:
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    _post(bob_client, acme, "off")
    acme.refresh_from_db()
    assert acme.store_model_bodies is False


def test_it_refuses_members(bob_client: Client, acme: Workspace) -> None:
    html = bob_client.get(
        reverse("accounts:workspace-detail", kwargs={"pk": acme.pk})
    ).content.decode()
    assert "Store prompts and responses for traces" not in html  # no control, only the state
    assert 'data-testid="bodies-stored"' in html
    _post(bob_client, acme, "off")
    acme.refresh_from_db()
    assert acme.store_model_bodies is None


def test_it_hides_the_workspace_from_outsiders(charlie_client: Client, acme: Workspace) -> None:
    assert _post(charlie_client, acme, "off").status_code == 404  # type: ignore[attr-defined]


def test_it_answers_a_bad_choice_with_422_and_the_reason(
    alice_client: Client, acme: Workspace
) -> None:
    response = _post(alice_client, acme, "sometimes")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Select a valid choice" in response.content.decode()  # type: ignore[attr-defined]
