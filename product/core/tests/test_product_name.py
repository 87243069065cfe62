"""Renaming the product is one setting: PRODUCT_NAME reaches the pages, the mails and the API docs.

The tests rename it "Lighthouse" rather than "Acme": Acme is alice's workspace, so a page or a mail
that names her workspace would pass for the wrong reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from product.accounts.models import User, Workspace

ROOT = Path(settings.BASE_DIR)
renamed = override_settings(PRODUCT_NAME="Lighthouse")


@renamed
def test_it_names_the_product_on_the_landing_page(client: Client) -> None:
    html = client.get(reverse("core:landing-page")).content.decode()
    assert "<title>Ship your AI product · Lighthouse</title>" in html
    assert "Lighthouse</a>" in html  # the brand in the header
    assert "Keel" not in html


@renamed
def test_it_names_the_product_inside_the_app(alice_client: Client) -> None:
    html = alice_client.get(reverse("core:dashboard-page")).content.decode()
    assert "· Lighthouse</title>" in html
    assert "Keel" not in html


@renamed
def test_it_names_the_product_in_an_invitation(
    alice_client: Client, acme: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            reverse("accounts:invitation-create", args=[acme.id]),
            {"email": "dave@example.com", "role": "member"},
        )
    message = mail.outbox[-1]
    assert message.subject.startswith("[Lighthouse] ")
    assert "on Lighthouse as member" in message.body
    assert "Keel" not in f"{message.subject}{message.body}"


@renamed
def test_it_names_the_product_in_allauth_mails(client: Client, alice: User) -> None:
    client.post(reverse("account_reset_password"), {"email": alice.email})
    message = mail.outbox[-1]
    assert str(message.subject).startswith("[Lighthouse] ")
    assert "Keel" not in f"{message.subject}{message.body}"


@renamed
def test_it_names_the_product_in_the_api_schema_and_docs(client: Client) -> None:
    info = client.get("/api/v1/openapi.json").json()["info"]
    assert info["title"] == "Lighthouse API"
    assert info["description"].startswith("Lighthouse's public API.")
    assert "Keel" not in info["title"] + info["description"]
    assert "<title>Lighthouse API</title>" in client.get("/api/v1/docs").content.decode()


def test_it_derives_the_sender_and_the_totp_issuer_from_the_variable(tmp_path: Path) -> None:
    # These two are read once at start, so the variable is what renames them: a fresh process.
    env = {key: value for key, value in os.environ.items() if key not in ("DEFAULT_FROM_EMAIL",)}
    env.update(
        {"PRODUCT_NAME": "Lighthouse", "DEBUG": "true", "KEEL_VAR_DIR": str(tmp_path / "var")}
    )
    code = (
        "from django.conf import settings; "
        "print(settings.MFA_TOTP_ISSUER); print(settings.DEFAULT_FROM_EMAIL)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "product.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Lighthouse", "Lighthouse <noreply@keel.localhost>"]
