"""Model text to safe HTML: markdown-it-py, then nh3 on an explicit allowlist.

Model output is untrusted (a prompt injection can make a model write anything). markdown-it runs
with raw HTML off, so tags in the text come out escaped; nh3 then keeps only the tags and
attributes listed here. No `img` at all: a remote image is an exfiltration channel (its URL can
carry the conversation), and nh3's defaults would keep it. Links keep only http(s) URLs and get
rel="noopener nofollow". No ids, styles, event handlers or hx-* attributes survive, and the only
classes are those of code highlighting: fenced code in a language of `LANGUAGES` is highlighted
here, server-side, by Pygments (short token classes on `span`, so the CSS can colour it with no JS),
and its `code` keeps `class="language-x"`. The allowlist names each class, so a model writing
`<span class="...">` (escaped anyway, raw HTML is off) or any other class gets nothing through.
Paragraphs left empty by the sanitiser (a removed image) are dropped.

A grounded reply's citation markers ([n]) become links to Keel's own passage pages, which the
sanitiser would refuse (a class, a relative URL). They are inserted after it, by
`render_with_citations`: markdown and nh3 see each marker as a random placeholder of letters and
digits that no text can forge, and only placeholders in text nodes (not inside another link,
code or an attribute) become links, built here from escaped parts. Nothing a document or a
hostile reply writes can therefore turn into markup.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from functools import cache

import nh3
from django.utils.html import format_html
from markdown_it import MarkdownIt
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from product.knowledge import grounding

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
# Fence languages that are highlighted (and keep their `language-x` class): what models write most.
# Any other language is plain escaped code, as is a fence without one.
LANGUAGES = frozenset(
    {
        "bash", "c", "cpp", "csharp", "css", "diff", "dockerfile", "go", "html", "ini", "java",
        "javascript", "js", "json", "jsx", "kotlin", "markdown", "php", "python", "py", "ruby",
        "rust", "sh", "shell", "sql", "swift", "toml", "ts", "tsx", "typescript", "xml", "yaml",
        "yml",
    }
)  # fmt: skip
# Pygments' short token classes ("k", "s2", "nf", …): the only classes a `span` may carry.
TOKEN_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
ALLOWED_CLASSES = {
    "span": set(TOKEN_CLASSES),
    "code": {f"language-{language}" for language in LANGUAGES},
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener nofollow"


_FORMATTER = HtmlFormatter(nowrap=True)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
# What the class allowlist leaves of a class it refused entirely (`<` in text is always escaped).
_EMPTY_CLASS = re.compile(r'<(code|span) class="">')


def highlight_code(code: str, language: str, attrs: str = "") -> str:
    """Pygments' token spans for a fence in a known language; "" (markdown-it then escapes the
    code itself) for any other."""
    language = language.lower()
    if language not in LANGUAGES:
        return ""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return ""
    return str(pygments_highlight(code, lexer, _FORMATTER))


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "highlight": highlight_code}
    ).enable(["table", "strikethrough"])


def sanitize_html(html: str) -> str:
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        # Relative URLs would point into Keel itself (e.g. a POST-less logout link): refuse them.
        url_relative="deny",
    )
    # A paragraph that held only a removed image would leave a blank gap in the reply.
    return _EMPTY_PARAGRAPH.sub("", _EMPTY_CLASS.sub(r"<\1>", clean))


def render_markdown(text: str) -> str:
    """Sanitised HTML for a model's markdown reply."""
    return sanitize_html(_markdown().render(text))


# A tag as the sanitiser writes it: attribute values double-quoted, with `"` escaped inside.
_TAG = re.compile(r'<(/?)([a-zA-Z0-9]+)(?:[^>"]|"[^"]*")*>')
# Inside these a link cannot go (a link in a link, a link in code).
_NO_LINKS_IN = frozenset({"a", "code", "pre"})


def render_with_citations(text: str, links: Mapping[int, tuple[str, str]]) -> str:
    """Sanitised HTML for a reply whose markers of the numbers in `links` (n -> (url, title))
    become `<a class="citation">[n]</a>`; other numbers stay as they were written."""
    markers = [m for m in grounding.find_markers(text) if any(n in links for n in m.numbers)]
    if not markers:
        return render_markdown(text)
    nonce = secrets.token_hex(8)
    parts = []
    position = 0
    for i, marker in enumerate(markers):
        parts.append(f"{text[position : marker.start]}kcite{nonce}x{i}x")
        position = marker.end
    parts.append(text[position:])
    html = render_markdown("".join(parts))

    def as_links(marker: grounding.Marker) -> str:
        written = []
        for n in marker.numbers:
            if n in links:
                url, title = links[n]
                link = '<a class="citation" href="{}" title="{}">[{}]</a>'
                written.append(str(format_html(link, url, title, n)))
            else:
                written.append(f"[{n}]")
        return "".join(written)

    def as_written(marker: grounding.Marker) -> str:
        return text[marker.start : marker.end]

    placeholder = re.compile(rf"kcite{nonce}x(\d+)x")

    def substitute(html: str, render: Callable[[grounding.Marker], str]) -> str:
        return placeholder.sub(lambda found: render(markers[int(found.group(1))]), html)

    out: list[str] = []
    blocked = 0  # how many <a>, <code>, <pre> are open here
    position = 0
    for tag in _TAG.finditer(html):
        out.append(substitute(html[position : tag.start()], as_written if blocked else as_links))
        if tag.group(2).lower() in _NO_LINKS_IN:
            blocked = max(0, blocked - 1) if tag.group(1) else blocked + 1
        # In an attribute a placeholder is only ever text again.
        out.append(substitute(tag.group(), as_written))
        position = tag.end()
    out.append(substitute(html[position:], as_written if blocked else as_links))
    return "".join(out)
