"""Cheap tests over the whole site (STYLE.md §11), so new pages are covered the day they land.

The URL resolver is walked, not a list kept by hand:
- every named page without arguments answers a signed-in user with 200 and exactly one <h1>;
- every page whose arguments are UUIDs is tried with the ids of Acme's objects (the workspace and
  every object that reaches it: through a `workspace` foreign key, or a path in WORKSPACE_PATHS;
  the apps' own factories make one of each for Acme, and a factory that fails fails the test);
  the first that resolves must give 200 and one <h1>;
- every such URL is a 404 for charlie, who is not in Acme, with ids that resolve for alice (so
  the 404 means "hidden", not "wrong kind of id") — for GET, and for POST on POST-only views.
Every gap is a failure with the reason: a route no object resolves, a route with arguments that
are not UUIDs, a model with a UUID that reaches no workspace, unless listed below with a reason.
Views that only accept POST answer GET with 405 (their `Allow` header says so) and are otherwise
checked by the outsider test. Redirects are allowed only when listed below with a reason.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
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
    "metrics-scrape": "disabled until METRICS_TOKEN is set: observability/tests/test_metrics.py",
}
# Pages that need a fresh password confirmation first: force_login is not a real log-in, so
# allauth asks to re-authenticate (which is itself checked as a page).
REAUTHENTICATE = {"mfa_activate_totp", "account_change_phone"}
# Routes whose arguments are not UUIDs, and what tests them instead.
OTHER_ARGUMENTS = {
    "account_confirm_email": "allauth's signed key from the mail: test_signup_journey, allauth",
    "account_reset_password_from_key": "allauth's reset key from the mail: allauth's own tests",
    "accounts:invitation-accept": "a signed token from the mail: accounts/tests/test_invitations",
    "knowledge:passage-detail": "a chunk's integer id: knowledge/tests/test_views.py (200 with "
    "one <h1> for alice, 404 for charlie)",
    "observability:trace-detail": "a trace's 32-hex id: observability/tests/test_trace_views.py "
    "(200 with one <h1> for alice, 404 for charlie and for a member on others' traces)",
    "observability:call-detail": "a trace's 32-hex id and a call's UUID: "
    "observability/tests/test_trace_views.py (200 with one <h1>, 404 for outsiders)",
}
# Event streams (async views): under the sync test client, inside the test's transaction, a
# stream alice opens leaves its connection unusable for the next one. Her streams are read in
# chat/tests/test_sse.py; here charlie gets every Acme id (the messages' included) and must 404.
EVENT_STREAMS = {
    "chat:message-stream": "the owner's events: chat/tests/test_sse.py",
    "api-message-stream": "the owner's events: chat/tests/test_api.py and test_sse.py",
}
# How an object reaches its workspace when it has no `workspace` foreign key (a lookup path).
WORKSPACE_PATHS = {
    "chat.Message": "conversation__workspace",
    "evals.DatasetVersion": "dataset__workspace",
    "evals.DatasetItem": "version__dataset__workspace",
}
# Objects with a UUID that belong to no workspace, and why no URL can show one across workspaces.
NOT_IN_A_WORKSPACE = {
    "accounts.User": "a person: pages only ever show the signed-in user's own account",
}
PEOPLE = ("user", "created_by", "author", "owner", "invited_by")


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


def workspace_path(model: type[Model]) -> str | None:
    """The lookup from `model` to its workspace; None for a model listed as in none."""
    label = model._meta.label
    if label in WORKSPACE_PATHS:
        return WORKSPACE_PATHS[label]
    if any(f.name == "workspace" and f.is_relation for f in model._meta.get_fields()):
        return "workspace"
    if label in NOT_IN_A_WORKSPACE:
        return None
    raise AssertionError(
        f"{label} has a UUID but no `workspace` foreign key: add its lookup path to "
        "WORKSPACE_PATHS (e.g. 'conversation__workspace'), or list it in NOT_IN_A_WORKSPACE "
        "with the reason no URL can show it across workspaces"
    )


def uuid_models() -> list[type[Model]]:
    """Our models that URLs can name (public ids are UUIDs), but the workspace itself."""
    found = []
    for model in apps.get_models():
        pk = model._meta.pk
        if not model.__module__.startswith("product.") or model is Workspace or pk is None:
            continue
        if pk.get_internal_type() == "UUIDField":
            found.append(model)
    return found


def _factories() -> list[tuple[type[Model], Any]]:
    made = []
    for config in apps.get_app_configs():
        if not config.name.startswith("product."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.factories")
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.tests.factories":
                raise  # the module exists and imports something that does not
            continue
        for _, factory in inspect.getmembers(module, inspect.isclass):
            model = getattr(getattr(factory, "_meta", None), "model", None)
            if model is not None and factory.__module__ == module.__name__:
                made.append((model, factory))
    return made


def _make_with_factories(alice: User, acme: Workspace) -> None:
    """Give Acme one of everything the apps' factories build; a factory that fails, fails."""
    plan = []
    for model, factory in _factories():
        if model is Workspace or model is User:
            continue  # the fixtures make the people and their workspaces
        path = workspace_path(model)
        if path is not None:
            plan.append((path.count("__"), model, factory, path))
    # Nearest to the workspace first: a message needs its conversation to exist.
    for _, model, factory, path in sorted(plan, key=lambda p: (p[0], p[1]._meta.label)):
        field_names = {f.name for f in model._meta.get_fields()}
        kwargs: dict[str, Any] = {p: alice for p in PEOPLE if p in field_names}
        hop, _, rest = path.partition("__")
        if not rest:
            kwargs[hop] = acme
        else:
            parent_model: Any = model._meta.get_field(hop).related_model
            parent = parent_model._default_manager.filter(**{rest: acme}).first()
            assert parent is not None, (
                f"{model._meta.label} reaches Acme through {hop}, but no "
                f"{parent_model._meta.label} of Acme exists: give it a factory"
            )
            kwargs[hop] = parent
        try:
            with transaction.atomic():
                factory(**kwargs)
        except Exception as error:
            raise AssertionError(
                f"{factory.__module__}.{factory.__name__}({', '.join(kwargs)}) failed for Acme: "
                f"{error!r}. The guard rails build every factory's object this way; make it "
                "build with these arguments"
            ) from error


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
    for model in uuid_models():
        path = workspace_path(model)
        if path is not None:
            ids.extend(model._default_manager.filter(**{path: acme}).values_list("pk", flat=True))
    assert Membership.objects.filter(workspace=acme).count() == 2
    return ids


def _arg_sets(route: Route, ids: list[uuid.UUID]) -> Iterator[dict[str, uuid.UUID]]:
    for combo in itertools.product(ids, repeat=len(route.uuid_args)):
        yield dict(zip(route.uuid_args, combo, strict=True))


def _check_page(client: Client, name: str, url: str, response: Any = None) -> str | None:
    """None when the page is fine, else what is wrong with it."""
    if response is None:
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


def test_it_knows_how_every_object_reaches_its_workspace() -> None:
    problems = []
    for model in uuid_models():
        try:
            workspace_path(model)
        except AssertionError as gap:
            problems.append(str(gap))
    assert not problems, "\n".join(problems)


def test_it_serves_every_page_with_one_h1(alice_client: Client, acme_ids: list[uuid.UUID]) -> None:
    problems: list[str] = []
    checked: list[str] = []
    for route in routes():
        if route.other_args:
            if route.name not in OTHER_ARGUMENTS:
                problems.append(
                    f"{route.name}: takes {', '.join(route.other_args)}, not UUIDs; list it in "
                    "OTHER_ARGUMENTS with what tests it instead"
                )
            continue
        if route.name in EVENT_STREAMS:
            continue
        if not route.uuid_args:
            problems.append(_check_page(alice_client, route.name, reverse(route.name)) or "")
            checked.append(route.name)
            continue
        for kwargs in _arg_sets(route, acme_ids):
            url = reverse(route.name, kwargs=kwargs)
            probe = alice_client.get(url)
            if probe.streaming:
                probe.close()
            if probe.status_code == 404:
                continue
            problems.append(_check_page(alice_client, route.name, url, probe) or "")
            checked.append(route.name)
            break
        else:
            problems.append(
                f"{route.name}: no object of Acme resolves it (give its model a factory in "
                "<app>/tests/factories.py, and a WORKSPACE_PATHS entry without a `workspace` key)"
            )
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    assert {"core:dashboard-page", "accounts:workspace-detail", "account_email"} <= set(checked)


def _answer(client: Client, url: str) -> int:
    """The status of a GET, or of a POST on a POST-only view; database effects rolled back."""
    response = client.get(url)
    if response.status_code == 405 and "POST" in response.get("Allow", ""):
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():
            response = client.post(url)
            transaction.set_rollback(True)
        client.cookies = cookies  # a rolled-back session must not sign the client out
    if response.streaming:
        response.close()
    return response.status_code


def test_it_hides_every_workspace_object_from_outsiders(
    alice_client: Client, charlie_client: Client, acme_ids: list[uuid.UUID]
) -> None:
    leaks: list[str] = []
    gaps: list[str] = []
    for route in routes():
        if not route.uuid_args or route.other_args:
            continue
        # Only ids that resolve for alice make charlie's 404 mean "hidden from him".
        urls = [reverse(route.name, kwargs=kwargs) for kwargs in _arg_sets(route, acme_ids)]
        if route.name in EVENT_STREAMS:
            resolving = urls
        else:
            resolving = [url for url in urls if _answer(alice_client, url) != 404]
        if not resolving:
            gaps.append(f"{route.name}: no object of Acme resolves it for alice")
        for url in resolving:
            status = _answer(charlie_client, url)
            if status != 404:
                leaks.append(f"{route.name} {url}: {status}")
    assert not gaps, "\n".join(gaps)
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
