"""The token estimate against the exact tokenizer, on prose in many languages, code and odd text."""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings

from product.llm import tokens
from product.llm.tokens import (
    count_message_tokens,
    count_tokens,
    estimate_message_tokens,
    estimate_tokens,
)

DJANGO = Path(django.__file__).parent
RANDOM = random.Random(15)
EMOJI = [chr(c) for c in [*range(0x1F300, 0x1F5FF), *range(0x1F600, 0x1F64F)]]


def _files(pattern: str, root: Path, size: int = 40_000) -> str:
    text = ""
    for path in sorted(root.glob(pattern)):
        text += path.read_text(encoding="utf-8", errors="replace")
        if len(text) >= size:
            break
    return text[:size]


def _translations(language: str) -> str:
    """Django's own translations: real sentences in every language it is translated into."""
    lines = []
    for path in sorted(DJANGO.glob(f"**/locale/{language}/LC_MESSAGES/django.po")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith('msgstr "') and len(line) > len('msgstr ""'):
                lines.append(line[len('msgstr "') : -1])
    return "\n".join(lines)[:20_000]


# Every language Django has a real translation of (English has none; a few have only a handful).
LANGUAGES = sorted(
    path.name
    for path in (DJANGO / "conf" / "locale").iterdir()
    if (path / "LC_MESSAGES" / "django.po").exists() and len(_translations(path.name)) >= 1000
)

# Text people and programs write: the estimate must not be under the exact count.
REAL = {
    "english docs": _files("docs/*.md", settings.BASE_DIR),
    "python": _files("product/**/*.py", settings.BASE_DIR),
    "javascript": _files("contrib/admin/static/admin/js/*.js", DJANGO),
    "css": _files("contrib/admin/static/admin/css/*.css", DJANGO),
    "html": _files("templates/**/*.html", settings.BASE_DIR),
    "json": json.dumps(
        [{"id": n, "name": f"item {n}", "price": n * 1.25, "ok": n % 2 == 0} for n in range(400)],
        indent=2,
    ),
    "emoji in text": " ".join(
        RANDOM.choice(["great", "ok", "ship it", "thanks!"]) + RANDOM.choice(EMOJI)
        for _ in range(800)
    ),
    "emoji run": "".join(RANDOM.choice(EMOJI) for _ in range(1000)),
    "family emoji": "👩‍👩‍👧‍👦👨🏽‍💻🏳️‍🌈" * 100,
    "indentation": "".join(" " * RANDOM.randint(0, 40) + "x\n" for _ in range(500)),
    "blank lines": "\n" * 3000 + "\r\n" * 500 + " \n" * 500 + "\t\n" * 500,
    "spaces": " " * 3000,
    "digits": "".join(RANDOM.choice(string.digits) for _ in range(3000)),
    "numbers": " ".join(str(RANDOM.randint(0, 10 ** RANDOM.randint(1, 12))) for _ in range(800)),
    "hex": "".join(RANDOM.choice("0123456789abcdef") for _ in range(3000)),
    "uuids": " ".join(str(uuid.UUID(int=RANDOM.getrandbits(128))) for _ in range(200)),
    "identifiers": " ".join(
        "".join(w.capitalize() for w in RANDOM.sample(["get", "user", "by", "id", "http"], 3))
        + "_"
        + RANDOM.choice(["handler", "factory", "json", "url"])
        for _ in range(600)
    ),
    **{f"language {language}": _translations(language) for language in LANGUAGES},
}

# Text with no structure at all: the estimate may be under it, never by more than half.
STRUCTURELESS = {
    "random letters": "".join(RANDOM.choice(string.ascii_letters) for _ in range(3000)),
    "random printable": "".join(RANDOM.choice(string.printable) for _ in range(3000)),
    "random punctuation": "".join(RANDOM.choice(string.punctuation) for _ in range(3000)),
    "base64": base64.b64encode(RANDOM.randbytes(2000)).decode(),
    "control characters": "".join(chr(RANDOM.randint(0, 31)) for _ in range(2000)),
    "mixed whitespace": "".join(RANDOM.choice(" \t\n\r") for _ in range(2000)),
    "random code points": "".join(chr(RANDOM.randint(0xA0, 0xD7FF)) for _ in range(1000)),
    "rare ideographs": "".join(chr(RANDOM.randint(0x20000, 0x2A6DF)) for _ in range(1000)),
    "combining marks": "".join("a" + chr(RANDOM.randint(0x300, 0x36F)) * 3 for _ in range(800)),
}


def test_the_corpus_is_what_it_says() -> None:
    assert len(LANGUAGES) > 80
    short = [name for name, text in REAL.items() if len(text) < 1000]
    assert not short, f"too little text to measure: {short}"


@pytest.mark.parametrize("name", REAL)
def test_it_never_estimates_real_text_under_its_count(name: str) -> None:
    text = REAL[name]
    assert estimate_tokens(text) >= count_tokens(text)


@pytest.mark.parametrize("name", STRUCTURELESS)
def test_it_estimates_structureless_text_at_half_its_count_or_more(name: str) -> None:
    text = STRUCTURELESS[name]
    assert estimate_tokens(text) >= count_tokens(text) / 2


@pytest.mark.parametrize("name", ["english docs", "python", "javascript", "json"])
def test_it_estimates_english_and_code_close_to_their_count(name: str) -> None:
    # Close enough that a prompt rarely needs the exact count at the input cap (quotas.py).
    text = REAL[name]
    assert estimate_tokens(text) <= 1.7 * count_tokens(text)


def test_it_estimates_short_text_and_nothing() -> None:
    assert estimate_tokens("") == count_tokens("") == 0
    for text in ["hi", "hello world", "Hello, world!", "日本語", "🙂", "  ", "a_b", "x" * 40]:
        assert estimate_tokens(text) >= count_tokens(text), text


def test_it_estimates_a_prompt_with_its_framing_and_tool_calls() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": REAL["english docs"][:3000]},
        {"role": "user", "content": REAL["language ja"][:2000]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"function": {"name": "search", "arguments": '{"q": "billing"}'}}],
        },
        {"role": "tool", "content": REAL["json"][:2000]},
    ]
    exact = count_message_tokens(messages)
    assert exact < estimate_message_tokens(messages) <= 3 * exact
    # "hello" and "user" are a piece each, 2.2 with the margin, rounded up; 3 + 3 of framing.
    assert estimate_message_tokens([{"role": "user", "content": "hello"}]) == 3 + 3 + 3


def test_it_estimates_without_loading_the_tokenizer() -> None:
    tokens._encoding.cache_clear()
    estimate_message_tokens([{"role": "user", "content": REAL["english docs"]}])
    assert not tokens.tokenizer_loaded()
    count_tokens("now it loads")
    assert tokens.tokenizer_loaded()
