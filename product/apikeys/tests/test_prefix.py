"""The typed key prefix comes from one setting, API_KEY_PREFIX, and changing it breaks no key."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import Client, override_settings
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.apikeys.auth import authenticate_api_key, parse_api_key
from product.apikeys.tests.factories import bearer, make_key
from product.llm.gateway import redact


def test_it_makes_keys_under_the_configured_prefix(
    client: Client, alice: User, acme: Workspace
) -> None:
    with override_settings(API_KEY_PREFIX="acme_test_"):
        created = make_key(user=alice, workspace=acme)
        assert created.full_key.startswith(f"acme_test_{created.key.prefix}_")
        assert created.key.typed_prefix == "acme_test_"
        assert parse_api_key(created.full_key) is not None
        assert client.get("/api/v1/me", **bearer(created)).status_code == 200


def test_it_still_accepts_a_key_made_under_the_old_prefix(
    client: Client, alice: User, acme: Workspace
) -> None:
    old = make_key(user=alice, workspace=acme)
    assert old.full_key.startswith("keel_live_")
    with override_settings(API_KEY_PREFIX="acme_live_"):
        assert client.get("/api/v1/me", **bearer(old)).status_code == 200
        # The old key under the new prefix is not a key: each row keeps the prefix it was made with.
        swapped = "acme_live_" + old.full_key.removeprefix("keel_live_")
        assert authenticate_api_key(swapped) is None
        # Secret scanners' view: the old key is still removed from text we store.
        assert old.full_key not in redact(f"upstream said: bad key {old.full_key}.")


def test_it_redacts_keys_under_the_current_prefix(alice: User, acme: Workspace) -> None:
    with override_settings(API_KEY_PREFIX="acme_live_"):
        assert redact("leaked acme_live_abcd1234_short here") == "leaked [redacted] here"


def test_it_shows_the_prefix_in_the_pages(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    old = make_key(user=alice, workspace=acme, name="Old")
    with override_settings(API_KEY_PREFIX="acme_live_"):
        make_key(user=alice, workspace=acme, name="New")
        page = alice_client.get(reverse("apikeys:key-list")).content.decode()
        assert "Bearer acme_live_…" in page
        assert f"keel_live_{old.key.prefix}_…" in page  # each key as it was made


def test_it_refuses_a_prefix_that_is_not_a_plain_word() -> None:
    # A fresh interpreter: the settings module runs once per process.
    result = subprocess.run(
        [sys.executable, "-c", "import product.settings"],
        env={**os.environ, "API_KEY_PREFIX": "keel live!", "DEBUG": "true"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "API_KEY_PREFIX" in result.stderr
