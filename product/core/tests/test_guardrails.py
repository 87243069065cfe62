"""Cheap tests over the whole site (STYLE.md §11), so new pages are covered the day they land.

The URL resolver is walked, not a list kept by hand:
- every named page without arguments answers a signed-in user with 200 and exactly one <h1>;
- every page whose arguments are UUIDs is tried with the ids of Acme's objects (the workspace, its
  memberships and invitations, and any row with a `workspace` foreign key to Acme, made by the
  apps' own factories when they have them); the first that resolves must give 200 and one <h1>;
- every such URL, with every one of Acme's ids, is a 404 for charlie, who is not in Acme — for
  GET, and for POST on views that only accept POST.
Views that only accept POST answer GET with 405 (their `Allow` header says so) and are otherwise
checked by the outsider test. Redirects are allowed only when listed below with a reason.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import re
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from product.accounts.models import Invitation, Membership, User, Workspace

# Namespaces that are not pages of ours.
SKIPPED_NAMESPACES = {
    "admin": "Django's admin: staff only, its own templates",
    "api-v1": "the JSON API, covered by the API's schema and isolation tests",
}

# Pages that redirect a signed-in user, and why that is right.
REDIRECTS = {
    "core:landing-page": "the landing page sends signed-in people to their dashboard",
    "account_login": "allauth: already signed in",
    "account_signup": "allauth: already signed in",
    "account_set_password": "allauth: the user has a password; this page is for those without",
    "account_reset_password_from_key_done": "allauth: only after a reset",
    "mfa_authenticate": "allauth: only during a log-in that needs a second factor",
    "mfa_generate_recovery_codes": "allauth: recovery codes need an authenticator app first",
    "account_confirm_reauthentication_code": "allauth: only during a re-authentication by code",
    "mfa_reauthenticate": "allauth: only when an MFA user must re-confirm",
    "mfa_trust": "allauth: only during a log-in that needs a second factor",
    "account_confirm_login_code": "allauth: only during a log-in by code",
    "account_confirm_password_reset_code": "allauth: only during a reset by code",
    "account_email_verification_sent": "allauth: only right after sign-up",
    "api-docs": "a short alias for the API's interactive docs at /api/v1/docs",
    "chat:conversation-list": "opens the newest conversation when there is one",
}
# Pages that are 404 until the user has something to show there; test_allauth_pages renders them
# for a user who has.
ABSENT = {
    "mfa_deactivate_totp": "no authenticator app yet",
    "mfa_view_recovery_codes": "no recovery codes yet (they come with an authenticator app)",
    "mfa_download_recovery_codes": "no recovery codes yet",
}
# Pages that need a fresh password confirmation first: force_login is not a real log-in, so
# allauth asks to re-authenticate (which is itself checked as a page).
REAUTHENTICATE = {"mfa_activate_totp", "account_change_phone"}


@dataclass(frozen=True)
class Route:
    name: str
    uuid_args: tuple[str, ...]
    other_args: tuple[str, ...]


def _walk(
    patterns: list[Any], namespace: str = "", converters: dict[str, Any] | None = None
) -> Iterator[Route]:
    for entry in patterns:
        found = dict(converters or {})
        found.update(getattr(entry.pattern, "converters", {}))
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace, found)
        elif isinstance(entry, URLPattern) and entry.name:
            regex_groups = list(entry.pattern.regex.groupindex)
            uuid_args = tuple(k for k, v in found.items() if isinstance(v, UUIDConverter))
            other = tuple(k for k in regex_groups if k not in uuid_args)
            yield Route(f"{namespace}{entry.name}", uuid_args, other)


def routes() -> list[Route]:
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        if route.name.split(":")[0] in SKIPPED_NAMESPACES:
            continue
        seen.setdefault(route.name, route)
    return sorted(seen.values(), key=lambda r: r.name)


def h1_count(html: str) -> int:
    return html.count("<h1>") + html.count("<h1 ")


def _make_with_factories(alice: User, acme: Workspace) -> None:
    """Give Acme one of everything the apps know how to build (best effort, each in a savepoint)."""
    for config in apps.get_app_configs():
        if not config.name.startswith("product."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.factories")
        except ImportError:
            continue
        for _, factory in inspect.getmembers(module, inspect.isclass):
            model = getattr(getattr(factory, "_meta", None), "model", None)
            if model is None or factory.__module__ != module.__name__:
                continue
            fields = {f.name for f in model._meta.get_fields()}
            if "workspace" not in fields:
                continue
            kwargs: dict[str, Any] = {"workspace": acme}
            for person in ("user", "created_by", "author", "owner"):
                if person in fields:
                    kwargs[person] = alice
            try:
                with transaction.atomic():
                    factory(**kwargs)
            except Exception:  # noqa: S112 (a factory that needs more than this is simply skipped)
                continue


@pytest.fixture
def acme_ids(alice: User, bob: User, acme: Workspace) -> list[uuid.UUID]:
    Invitation.objects.create(
        workspace=acme,
        email="dave@example.com",
        invited_by=alice,
        expires_at="2999-01-01T00:00:00Z",
    )
    _make_with_factories(alice, acme)
    ids: list[uuid.UUID] = [acme.id]
    for model in apps.get_models():
        if not model.__module__.startswith("product.") or model is Workspace:
            continue
        pk = model._meta.pk
        if pk is None or pk.get_internal_type() != "UUIDField":
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if "workspace" in field_names:
            ids.extend(model._default_manager.filter(workspace=acme).values_list("pk", flat=True))
    assert Membership.objects.filter(workspace=acme).count() == 2
    return ids


def _arg_sets(route: Route, ids: list[uuid.UUID]) -> Iterator[dict[str, uuid.UUID]]:
    for combo in itertools.product(ids, repeat=len(route.uuid_args)):
        yield dict(zip(route.uuid_args, combo, strict=True))


def _check_page(client: Client, name: str, url: str) -> str | None:
    """None when the page is fine, else what is wrong with it."""
    response = client.get(url)
    if response.status_code == 405 and "GET" not in response.get("Allow", ""):
        return None  # POST-only: the outsider test covers it
    if response.status_code in (301, 302):
        location = response["Location"]
        if name in REDIRECTS:
            return None
        if name in REAUTHENTICATE and reverse("account_reauthenticate") in location:
            return None
        return f"{name}: redirects to {location} (list it in REDIRECTS with a reason?)"
    if response.status_code == 404 and name in ABSENT:
        return None
    if response.status_code != 200:
        return f"{name}: {response.status_code}"
    if response.streaming or not response["Content-Type"].startswith("text/html"):
        return None  # JSON, text or event streams: no <h1> to count
    count = h1_count(response.content.decode())
    if count != 1:
        return f"{name}: {count} <h1> elements"
    return None


def test_it_has_no_pending_migrations(db: None) -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")


def test_it_serves_every_page_with_one_h1(alice_client: Client, acme_ids: list[uuid.UUID]) -> None:
    problems: list[str] = []
    checked: list[str] = []
    unresolved: list[str] = []
    for route in routes():
        if route.other_args:
            continue  # tokens and keys from emails: their flows have their own tests
        if not route.uuid_args:
            problems.append(_check_page(alice_client, route.name, reverse(route.name)) or "")
            checked.append(route.name)
            continue
        for kwargs in _arg_sets(route, acme_ids):
            url = reverse(route.name, kwargs=kwargs)
            probe = alice_client.get(url)
            if probe.status_code == 404:
                continue
            if probe.streaming:
                probe.close()
            problems.append(_check_page(alice_client, route.name, url) or "")
            checked.append(route.name)
            break
        else:
            unresolved.append(route.name)
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    assert {"core:dashboard-page", "accounts:workspace-detail", "account_email"} <= set(checked)
    if unresolved:
        warnings.warn(
            "No fixture object resolves these pages (add a factory with a `workspace` field): "
            + ", ".join(unresolved),
            stacklevel=1,
        )


def test_it_hides_every_workspace_object_from_outsiders(
    charlie_client: Client, acme_ids: list[uuid.UUID]
) -> None:
    leaks: list[str] = []
    tried = 0
    for route in routes():
        if not route.uuid_args or route.other_args:
            continue
        for kwargs in _arg_sets(route, acme_ids):
            url = reverse(route.name, kwargs=kwargs)
            response = charlie_client.get(url)
            if response.status_code == 405:
                response = charlie_client.post(url)
            if response.streaming:
                response.close()
            tried += 1
            if response.status_code != 404:
                leaks.append(f"{route.name} {url}: {response.status_code}")
    assert tried > 0
    assert not leaks, "\n".join(leaks)


def test_it_keeps_templates_within_the_content_security_policy() -> None:
    """The CSP blocks inline script, inline styles and inline handlers: catch them before a browser."""
    from django.conf import settings

    pattern = re.compile(
        r"""\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=\s*["']""", re.I
    )
    offenders = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
