"""A grounded reply as one reader may see it: only citations of passages they can still open.

A reply stores its citations when it finishes (Message.citations, checked against the passages it
was sent). Between then and a reading, a document may be deleted or replaced, or the reader may
be someone else: at every rendering (page, SSE `done`, API) the citations whose passage the
reader cannot open (knowledge.selectors.readable_passage_ids) are dropped, and so are their
markers in the text. The rest become links, inserted after the sanitiser (product/chat/rendering).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from product.accounts.models import User
from product.chat import prompts
from product.chat.models import Message
from product.chat.rendering import render_markdown, render_with_citations
from product.knowledge import grounding
from product.knowledge.selectors import readable_passage_ids


@dataclass(frozen=True)
class ShownCitation:
    citation: grounding.Citation
    url: str

    @property
    def n(self) -> int:
        return self.citation.n


@dataclass(frozen=True)
class ShownReply:
    """What a reader sees of a finished reply: its text, its HTML with links, its sources."""

    text: str
    html: SafeString
    citations: list[ShownCitation]


def passage_url(chunk_id: int, query: str) -> str:
    """Where a citation link goes: the passage page, with the question to highlight."""
    path = reverse("knowledge:passage-detail", args=[chunk_id])
    return f"{path}?{urlencode({'q': query})}" if query else path


def stored_citations(message: Message) -> list[grounding.Citation]:
    return [grounding.Citation.from_json(item) for item in message.citations or []]


def readable_chunks(viewer: User, messages: Iterable[Message]) -> set[int]:
    """The cited passages of these messages that `viewer` can open now (one query for all)."""
    ids = sorted({c.chunk_id for m in messages for c in stored_citations(m)})
    return readable_passage_ids(viewer, ids) if ids else set()


def visible(message: Message, readable: set[int]) -> tuple[str, list[grounding.Citation]]:
    """The message's text without the markers of unreadable citations, and the readable ones."""
    cited = stored_citations(message)
    if not cited:
        return message.text, []
    shown = {c.n: c for c in cited if c.chunk_id in readable}
    hidden = {c.n for c in cited} - set(shown)
    # Only numbers this reply cited are touched: any other "[n]" in it is the model's own text.
    text = (
        grounding.rewrite_markers(message.text, lambda n: n not in hidden)
        if hidden
        else (message.text)
    )
    return text, list(shown.values())


def show_reply(message: Message, *, readable: set[int], question: str) -> ShownReply:
    """A finished reply's text, HTML and sources for a reader who can open `readable`."""
    text, cited = visible(message, readable)
    query = prompts.search_query(question) if cited else ""
    shown = [ShownCitation(citation=c, url=passage_url(c.chunk_id, query)) for c in cited]
    if shown:
        html = render_with_citations(text, {s.n: (s.url, _link_title(s.citation)) for s in shown})
    else:
        html = render_markdown(text)
    # Safe to mark: both escape raw HTML and sanitise on an allowlist; the citation links are
    # built from escaped parts after the sanitiser (product/chat/rendering.py).
    return ShownReply(text=text, html=mark_safe(html), citations=shown)  # noqa: S308


def _link_title(citation: grounding.Citation) -> str:
    return " · ".join(part for part in (citation.document_name, citation.locator) if part)
