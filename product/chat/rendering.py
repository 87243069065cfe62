"""Model text to safe HTML: markdown-it-py, then nh3 on an explicit allowlist.

Model output is untrusted (a prompt injection can make a model write anything). markdown-it runs
with raw HTML off, so tags in the text come out escaped; nh3 then keeps only the tags and
attributes listed here. No `img` at all: a remote image is an exfiltration channel (its URL can
carry the conversation), and nh3's defaults would keep it. Links keep only http(s) URLs and get
rel="noopener nofollow". No classes, ids, styles, event handlers or hx-* attributes survive.
"""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener nofollow"


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        # Relative URLs would point into Keel itself (e.g. a POST-less logout link): refuse them.
        url_relative="deny",
    )


def render_markdown(text: str) -> str:
    """Sanitised HTML for a model's markdown reply."""
    return sanitize_html(_markdown().render(text))
