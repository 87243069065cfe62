"""Project-wide pytest fixtures: the named people of every test.

alice owns the "Acme" workspace, bob is her teammate (member), charlie is an outsider with a
workspace of his own. Tests talk about them by name.
"""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.apps import apps
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.test import Client

if not apps.ready:
    # e2e runs with `-p no:django`, which would otherwise leave the imports below unusable.
    django.setup()

from product.accounts.models import Membership, User, Workspace  # noqa: E402
from product.accounts.tests.factories import UserFactory, WorkspaceFactory  # noqa: E402
from product.apikeys.tests.factories import bearer, make_key  # noqa: E402

pytest_plugins = ["product.devmodel.testing"]


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Every test starts with an empty cache: allauth's rate limits and the API's live there.

    Redis outlives a test, and so does the embedded default's database cache: a transactional
    test's rows are flushed, but the cache table is not a model, so nothing flushes it. That
    table is in the test database, which only a test with database access can reach (nor can it
    set up the test database on its own: outside it, the clear would hit the development one).
    """
    if not isinstance(caches["default"], DatabaseCache):
        cache.clear()
        return
    if request.node.get_closest_marker("django_db") or "_django_db_helper" in request.fixturenames:
        request.getfixturevalue("db")  # the mode (transactional or not) is the test's own
        cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files go to a folder of the test's own, never to var/media."""
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def alice(db: None) -> User:
    user = UserFactory(email="alice@example.com", name="Alice")
    WorkspaceFactory(name="Acme", owner=user)
    return user


@pytest.fixture
def acme(alice: User) -> Workspace:
    return Workspace.objects.get(name="Acme")


@pytest.fixture
def bob(acme: Workspace) -> User:
    user = UserFactory(email="bob@example.com", name="Bob")
    Membership.objects.create(workspace=acme, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def charlie(db: None) -> User:
    user = UserFactory(email="charlie@example.com", name="Charlie")
    WorkspaceFactory(name="Charlie's corner", owner=user)
    return user


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: User) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    client = Client()
    client.force_login(charlie)
    return client


@pytest.fixture
def alice_api(alice: User, acme: Workspace) -> dict[str, Any]:
    """Headers that call the API with a read+write key of alice's in Acme."""
    return bearer(make_key(user=alice, workspace=acme))


@pytest.fixture
def charlie_api(charlie: User) -> dict[str, Any]:
    """The same for charlie, in his own workspace: the outsider of every API test."""
    return bearer(make_key(user=charlie, workspace=Workspace.objects.get(name="Charlie's corner")))
