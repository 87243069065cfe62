"""The dashboard's first-run checklist: which steps a member sees, and when each is ticked.

The steps come from the apps (each one's `dashboard.py`); these tests go through the dashboard
page, the way a person meets them, and through `first_steps` for the computation itself.
"""

from __future__ import annotations

from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from product.accounts.models import Invitation, Membership, User, Workspace
from product.accounts.selectors import CURRENT_WORKSPACE_SESSION_KEY
from product.apikeys.tests.factories import make_key
from product.chat.tests.factories import ConversationFactory
from product.core import dashboard
from product.core.dashboard import FirstStep, add_first_step, first_steps
from product.knowledge.models import Document
from product.knowledge.tests.factories import CollectionFactory


def steps_of(client: Client) -> dict[str, bool]:
    response = client.get(reverse("core:dashboard-page"))
    assert response.status_code == 200
    return {s.step.title: s.done for s in response.context["first_steps"]}


def test_it_lists_every_step_undone_for_a_new_workspace(alice_client: Client) -> None:
    assert steps_of(alice_client) == {
        "Start a chat": False,
        "Upload a document": False,
        "Invite a teammate": False,
        "Create an API key": False,
    }


def test_it_links_each_step_to_the_page_that_does_it(alice_client: Client, acme: Workspace) -> None:
    response = alice_client.get(reverse("core:dashboard-page"))
    html = response.content.decode()
    assert response.context["first_steps_left"] == 4
    for url in (
        reverse("chat:conversation-create"),
        reverse("knowledge:collection-list"),
        reverse("accounts:workspace-detail", args=[acme.pk]),
        reverse("apikeys:key-create"),
    ):
        assert f'href="{url}"' in html, url
    assert "Get started" in html
    assert "4 of 4 steps left" in html


def test_it_hides_the_manager_steps_from_a_member(bob_client: Client) -> None:
    # Bob may neither invite nor make keys in Acme, so he is not asked to.
    assert steps_of(bob_client) == {"Start a chat": False, "Upload a document": False}


def test_it_ticks_the_chat_step_once_the_workspace_has_a_conversation(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    ConversationFactory(workspace=acme, created_by=alice)
    assert steps_of(alice_client)["Start a chat"] is True


def test_it_ticks_the_document_step_once_a_document_is_uploaded(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    collection = CollectionFactory(workspace=acme, created_by=alice)
    assert steps_of(alice_client)["Upload a document"] is False  # an empty collection is not it
    Document.objects.create(
        workspace=acme, collection=collection, created_by=alice, name="a.md", kind="md", sha256="0"
    )
    assert steps_of(alice_client)["Upload a document"] is True


def test_it_ticks_the_invite_step_for_an_invitation_or_a_teammate(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    Invitation.objects.create(
        workspace=acme, email="dora@example.com", invited_by=alice, expires_at=acme.created_at
    )
    assert steps_of(alice_client)["Invite a teammate"] is True
    Invitation.objects.all().delete()
    assert steps_of(alice_client)["Invite a teammate"] is False
    Membership.objects.create(
        workspace=acme, user=User.objects.create_user("erin@example.com"), role="member"
    )
    assert steps_of(alice_client)["Invite a teammate"] is True


def test_it_ticks_the_key_step_even_after_the_key_is_revoked(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    created = make_key(user=alice, workspace=acme)
    assert steps_of(alice_client)["Create an API key"] is True
    created.key.revoked_at = acme.created_at
    created.key.save(update_fields=["revoked_at"])
    assert steps_of(alice_client)["Create an API key"] is True


def test_it_checks_only_the_current_workspace(
    alice: User, acme: Workspace, charlie: User, charlie_client: Client
) -> None:
    # Alice's activity in Acme ticks nothing for Charlie, who is in a workspace of his own.
    ConversationFactory(workspace=acme, created_by=alice)
    make_key(user=alice, workspace=acme)
    assert not any(steps_of(charlie_client).values())


def test_it_shrinks_to_one_line_when_every_step_is_done(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    ConversationFactory(workspace=acme, created_by=alice)
    collection = CollectionFactory(workspace=acme, created_by=alice)
    Document.objects.create(
        workspace=acme, collection=collection, created_by=alice, name="a.md", kind="md", sha256="0"
    )
    Invitation.objects.create(
        workspace=acme, email="dora@example.com", invited_by=alice, expires_at=acme.created_at
    )
    make_key(user=alice, workspace=acme)
    response = alice_client.get(reverse("core:dashboard-page"))
    html = response.content.decode()
    assert response.context["first_steps_left"] == 0
    assert "Get started" not in html
    assert "You're set up" in html


def test_it_costs_one_query_per_step(
    alice: User, acme: Workspace, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    request = RequestFactory().get("/")
    request.user = alice
    request.session = {CURRENT_WORKSPACE_SESSION_KEY: str(acme.pk)}  # type: ignore[assignment]
    # The current membership (cached on the request for every later check), then one per step.
    with django_assert_num_queries(1 + 4):
        steps = first_steps(request)
    assert len(steps) == 4


def test_it_orders_steps_by_position_whoever_registers_first(alice: User, acme: Workspace) -> None:
    request = RequestFactory().get("/")
    request.user = alice
    request.session = {CURRENT_WORKSPACE_SESSION_KEY: str(acme.pk)}  # type: ignore[assignment]
    early = add_first_step(
        FirstStep(
            title="Read the docs", text="", url_name="core:dashboard-page", done=bool, position=1
        )
    )
    try:
        titles = [s.step.title for s in first_steps(request)]
        assert titles[0] == "Read the docs"
        assert titles[1:] == [
            "Start a chat",
            "Upload a document",
            "Invite a teammate",
            "Create an API key",
        ]
    finally:
        dashboard._steps.remove(early)
