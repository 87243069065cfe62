"""Guard rails for markup that phones and screen readers depend on, over every template.

A table wider than a phone must scroll inside its own box, never pan the page: each <table> sits
in a <div class="table-wrap"> (app.css), a focusable, named region so the keyboard can scroll it
too. Times are said the way people say them: `|ago` ("just now", "5 minutes ago"), never
`timesince` + " ago", which says "0 minutes ago".
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
TABLE_WRAP = re.compile(r'<div class="table-wrap"[^>]*>\s*(?:\{%[^%]*%\}\s*)*$')


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_it_wraps_every_table_in_a_scrolling_box() -> None:
    unwrapped = []
    for path in templates():
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            if not TABLE_WRAP.search(text[: match.start()]):
                line = text.count("\n", 0, match.start()) + 1
                unwrapped.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert not unwrapped, unwrapped


def test_it_names_every_scrolling_box_for_the_keyboard() -> None:
    unnamed = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in templates()
        for tag in re.findall(r'<div class="table-wrap"[^>]*>', path.read_text())
        if 'tabindex="0"' not in tag or 'role="region"' not in tag or "aria-label" not in tag
    ]
    # allauth's table element is its own layer (templates/allauth), named by the page around it.
    assert all(entry.startswith("allauth/") for entry in unnamed), unnamed


def test_it_says_how_long_ago_with_the_ago_filter() -> None:
    raw = [
        str(path.relative_to(TEMPLATES))
        for path in templates()
        if re.search(r"\|timesince\s*\}\}\s*ago", path.read_text())
    ]
    assert not raw, raw
