"""Query terms marked in untrusted passage text: escaped always, marked only with our <mark>."""

from __future__ import annotations

from product.knowledge.highlight import highlight, query_terms


def test_it_marks_words_that_start_with_a_term_whatever_their_case() -> None:
    assert highlight("Installing Keel: install it.", "install") == (
        "<mark>Installing</mark> Keel: <mark>install</mark> it."
    )


def test_it_escapes_the_text_and_never_marks_inside_an_entity() -> None:
    marked = highlight('<b onclick="x()">Tom & Jerry</b>', "amp quot lt onclick")
    assert marked == "&lt;b <mark>onclick</mark>=&quot;x()&quot;&gt;Tom &amp; Jerry&lt;/b&gt;"


def test_it_escapes_a_hostile_query_too() -> None:
    assert highlight("a <script> here", "<script>") == "a &lt;<mark>script</mark>&gt; here"


def test_the_longer_of_two_overlapping_terms_wins() -> None:
    assert query_terms("in install") == ["install", "in"]
    assert highlight("install in", "in install") == "<mark>install</mark> <mark>in</mark>"


def test_without_usable_terms_it_only_escapes() -> None:
    assert highlight("x < y", "a") == "x &lt; y"
    assert highlight("x < y", "") == "x &lt; y"
    assert query_terms("a ! ?") == []
