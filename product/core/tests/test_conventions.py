"""Guard rails for the project's conventions (docs/architecture.md, "Conventions"), so a new page
or route follows them the day it lands instead of starting a second way.

URL names: neapolitan's `<base>-<role>` in kebab case (`conversation-detail`, `job-list`), and the
standard paths carry the standard roles (`new/` creates, `<pk>/` is the detail, `<pk>/edit/`
updates, `<pk>/delete/` deletes).

Page assets: hx-boost swaps only the <body>, so a stylesheet or script a page links on its own (in
a head block, or in its body, where htmx drops scripts) goes missing after a boosted navigation.
Every asset is therefore linked once, from templates/base.html, on every page.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
BASE = TEMPLATES / "base.html"

ASSET_TAG = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet|<script\b", re.I)
HEAD_BLOCK = re.compile(r"{%\s*block\s+(?:extra_)?head\s*%}")
STATIC_REF = re.compile(r"{%\s*static\s+['\"]([^'\"]+)['\"]\s*%}")
# Gzipped bytes of everything base.html makes a first visit download.
BUNDLE_BUDGET_BYTES = 60 * 1024


def page_templates() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt"))


def bundle() -> list[str]:
    """The static paths base.html links as stylesheets or scripts."""
    tags = re.findall(r"<(?:link|script)\b[^>]*>", BASE.read_text())
    return [
        ref
        for tag in tags
        if "stylesheet" in tag or tag.startswith("<script")
        for ref in STATIC_REF.findall(tag)
    ]


def test_it_links_stylesheets_and_scripts_only_from_base() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in page_templates()
        if path != BASE and ASSET_TAG.search(path.read_text())
    ]
    assert offenders == [], "link page assets from templates/base.html (the one bundle) instead"


def test_it_has_no_head_block_a_boosted_navigation_would_skip() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in page_templates()
        if HEAD_BLOCK.search(path.read_text())
    ]
    assert offenders == [], "a page's <head> is never swapped in by hx-boost; use the bundle"


def test_it_bundles_every_stylesheet_and_script_in_static() -> None:
    # An asset file outside the bundle would only be reachable by linking it from a page.
    shipped = {
        str(path.relative_to(STATIC))
        for path in STATIC.rglob("*")
        if path.suffix in (".css", ".js")
    }
    assert shipped == set(bundle())


def test_it_keeps_the_bundle_within_its_weight_budget() -> None:
    weight = sum(len(gzip.compress((STATIC / ref).read_bytes())) for ref in bundle())
    assert weight < BUNDLE_BUDGET_BYTES, f"{weight} gzipped bytes"


def test_it_serves_the_same_bundle_to_every_layout(client: Client, alice_client: Client) -> None:
    expected = [static(ref) for ref in bundle()]
    for html in (
        client.get(reverse("core:landing-page")).content.decode(),  # the public layout
        alice_client.get(reverse("core:dashboard-page")).content.decode(),  # the app layout
        client.get(reverse("account_login")).content.decode(),  # allauth in our layout
    ):
        linked = re.findall(r"<(?:link rel=\"stylesheet\" href|script src)=\"([^\"]+)\"", html)
        assert linked == expected


URL_NAME = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
# The role a name must end with when its own path segment is one of these.
ROLE_OF_PATH = {"new/": "create", "<uuid:pk>/": "detail", "edit/": "update", "delete/": "delete"}
# Names that are not ours to choose.
EXEMPT_NAMESPACES = {
    "admin": "Django's admin",
    "api-v1": "ninja names each route after its operationId, the typed client's method name",
}


def our_url_names() -> Iterator[tuple[str, str, str]]:
    """(qualified name, the pattern's own path, the full path) for every named route of ours."""

    def walk(resolver: URLResolver, namespace: str, prefix: str) -> Iterator[tuple[str, str, str]]:
        for pattern in resolver.url_patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                if inner in EXEMPT_NAMESPACES:
                    continue
                yield from walk(
                    pattern, f"{namespace}{inner}:" if inner else namespace, prefix + route
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                if pattern.callback.__module__.startswith("allauth."):
                    continue  # allauth's own names (account_login, mfa_index, ...)
                yield f"{namespace}{pattern.name}", route, prefix + route

    yield from walk(get_resolver(), "", "")


def test_it_walks_the_names_of_every_app() -> None:
    names = {name for name, _, _ in our_url_names()}
    assert {"core:landing-page", "chat:conversation-detail", "ask:question-list"} <= names
    assert not any(name.startswith(("account_", "admin:", "api-v1:")) for name in names)


def test_it_names_urls_base_dash_role() -> None:
    offenders = [name for name, _, _ in our_url_names() if not URL_NAME.match(name.split(":")[-1])]
    assert offenders == [], "name URLs `<base>-<role>` in kebab case, e.g. `conversation-detail`"


def test_it_gives_standard_paths_their_standard_role() -> None:
    offenders = [
        (name, path)
        for name, route, path in our_url_names()
        for suffix, role in ROLE_OF_PATH.items()
        if route.endswith(suffix) and not name.endswith(f"-{role}")
    ]
    assert offenders == []


def test_no_template_comment_spans_lines() -> None:
    # Django's {# ... #} ends at the line's end: a comment over two lines is printed on the page
    # (base.html once showed its own comment above every page). Use {% comment %} for those.
    root = Path(settings.BASE_DIR) / "templates"
    broken = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert not broken, f"multi-line {{# #}} comments render as text: {broken}"
