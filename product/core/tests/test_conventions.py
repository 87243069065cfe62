"""Guard rails for the project's conventions (docs/architecture.md, "Conventions"), so a new page
or route follows them the day it lands instead of starting a second way.

Page assets: hx-boost swaps only the <body>, so a stylesheet or script a page links on its own (in
a head block, or in its body, where htmx drops scripts) goes missing after a boosted navigation.
Every asset is therefore linked once, from templates/base.html, on every page.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

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
        client.get(reverse("core:landing")).content.decode(),  # the public layout
        alice_client.get(reverse("core:dashboard")).content.decode(),  # the app layout
        client.get(reverse("account_login")).content.decode(),  # allauth in our layout
    ):
        linked = re.findall(r"<(?:link rel=\"stylesheet\" href|script src)=\"([^\"]+)\"", html)
        assert linked == expected
