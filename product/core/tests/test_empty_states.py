"""Every list page that can be empty says what the list is for and links the action that fills it.

They all use templates/includes/_empty.html, so one test walks them with a fresh workspace.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.knowledge.tests.factories import CollectionFactory

EMPTY = re.compile(
    r'<div class="empty" data-testid="empty-state">\s*<p class="empty-title">(?P<title>[^<]+)</p>'
    r'\s*<p>(?P<text>[^<]+)</p>\s*(?:<a class="btn btn-primary" href="(?P<href>[^"]+)">[^<]+</a>)?'
)


def empty_state(client: Client, url: str) -> dict[str, str | None]:
    response = client.get(url)
    assert response.status_code == 200, url
    match = EMPTY.search(response.content.decode())
    assert match is not None, f"no empty state on {url}"
    return match.groupdict()


@pytest.mark.parametrize(
    ("url_name", "title", "href"),
    [
        ("ask:question-list", "No tasks yet", "#ask-heading"),
        ("knowledge:collection-list", "No collections yet", "#create-heading"),
        ("evals:dataset-list", "No datasets yet", "#create-heading"),
        ("evals:run-list", "No runs yet", "evals:run-create"),
        ("evals:feedback-list", "No feedback yet", "chat:conversation-list"),
        ("apikeys:key-list", "No API keys yet", "apikeys:key-create"),
        ("observability:trace-list", "No traces yet", "chat:conversation-create"),
        ("observability:usage-page", "No model calls in this period", "chat:conversation-create"),
    ],
)
def test_it_says_what_to_do_on_an_empty_list(
    alice_client: Client, url_name: str, title: str, href: str
) -> None:
    state = empty_state(alice_client, reverse(url_name))
    assert state["title"] == title
    assert state["text"] and state["text"].endswith(".")
    # The action is a form further down the same page, or the page that does it.
    assert state["href"] == (href if href.startswith("#") else reverse(href))


def test_it_points_an_empty_collection_at_its_upload_form(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    collection = CollectionFactory(workspace=acme, created_by=alice)
    state = empty_state(alice_client, reverse("knowledge:collection-detail", args=[collection.pk]))
    assert state["title"] == "No documents yet"
    assert state["href"] == "#upload-heading"


def test_it_points_a_workspace_without_invitations_at_the_invite_form(
    acme: Workspace, alice_client: Client
) -> None:
    state = empty_state(alice_client, reverse("accounts:workspace-detail", args=[acme.pk]))
    assert state["title"] == "No pending invitations"
    assert state["href"] == "#invite-heading"


def test_it_offers_no_button_to_a_member_who_cannot_act(bob_client: Client) -> None:
    state = empty_state(bob_client, reverse("apikeys:key-list"))
    assert state["href"] is None
    assert "An owner or admin" in str(state["text"])
