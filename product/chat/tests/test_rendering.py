from __future__ import annotations

import re

from product.chat.rendering import render_markdown, render_with_citations, sanitize_html

HOSTILE = (
    "Here is **bold** text.\n\n"
    "<script>alert(1)</script><img src=https://evil.example/x onerror=alert(1)> "
    '<a href="javascript:alert(1)">x</a> <div hx-get="/evil">boo</div>\n\n'
    "![pixel](https://evil.example/pixel.png) [safe](https://example.com) "
    "[bad](javascript:alert(2)) [local](/accounts/logout/)\n"
)


def test_it_renders_markdown() -> None:
    html = render_markdown("# Title\n\nSome *em* and `code`.\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


def test_it_keeps_code_blocks_readable() -> None:
    html = render_markdown("```\ndef f():\n    return 1 < 2\n```")
    assert "<pre><code>def f():\n    return 1 &lt; 2\n</code></pre>" in html


def test_it_highlights_python_with_token_spans() -> None:
    html = render_markdown("```python\ndef f():\n    return 'a' < 2  # why\n```")
    assert html.startswith('<pre><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    assert '<span class="c1"># why</span>' in html
    assert '<span class="o">&lt;</span>' in html
    # The code reads the same once the spans are gone.
    assert re.sub(r"<[^>]+>", "", html).strip() == "def f():\n    return 'a' &lt; 2  # why"


def test_it_keeps_a_hostile_fence_escaped() -> None:
    html = render_markdown('```html\n<script>alert(1)</script><img src=x onerror="y()">\n```')
    assert "<script" not in html and "<img" not in html
    assert "&lt;" in html and '<span class="nt">script</span>' in html
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html)


def test_it_shows_an_unknown_language_as_plain_escaped_code() -> None:
    html = render_markdown("```klingon\n<b>qapla'</b>\n```")
    assert html == "<pre><code>&lt;b&gt;qapla'&lt;/b&gt;\n</code></pre>\n"


def test_it_strips_classes_outside_the_allowlist() -> None:
    html = sanitize_html(
        '<span class="k evil">a</span><span class="htmx-request">b</span>'
        '<code class="language-python language-evil">c</code><p class="k">d</p>'
        '<pre class="x"><code class="language-klingon">e</code></pre>'
    )
    assert html == (
        '<span class="k">a</span><span>b</span><code class="language-python">c</code>'
        "<p>d</p><pre><code>e</code></pre>"
    )


def test_it_drops_the_paragraph_a_removed_image_leaves() -> None:
    html = render_markdown("Before.\n\n![pixel](https://evil.example/pixel.png)\n\nAfter.")
    assert html == "<p>Before.</p>\n<p>After.</p>\n"
    assert "<p></p>" not in render_markdown(HOSTILE)


def test_it_escapes_raw_html() -> None:
    html = render_markdown(HOSTILE)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<div" not in html
    # Shown as text (inert), never as an element htmx would act on.
    assert "&lt;div hx-get=" in html


def test_it_drops_images_so_nothing_loads_from_outside() -> None:
    html = render_markdown(HOSTILE)
    assert "<img" not in html


def test_it_allows_only_http_links_with_rel() -> None:
    html = render_markdown(HOSTILE)
    assert '<a href="https://example.com" rel="noopener nofollow">safe</a>' in html
    assert not re.search(r"<a [^>]*href=\"(javascript|/)", html)


def test_it_never_emits_event_handlers() -> None:
    html = render_markdown('<b onclick="x()">hi</b> [x](https://a.example "t" onmouseover=y)')
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html)


LINKS = {
    1: ("/knowledge/passages/5/?q=a+b", 'guide.md · "page" <3>'),
    2: ("/knowledge/passages/6/", ""),
}


def test_it_links_citation_markers_after_sanitising() -> None:
    html = render_with_citations("Reaped every 30 s [1][2]. Also [1, 2]. Not [3].", LINKS)
    one = (
        '<a class="citation" href="/knowledge/passages/5/?q=a+b" '
        'title="guide.md · &quot;page&quot; &lt;3&gt;">[1]</a>'
    )
    two = '<a class="citation" href="/knowledge/passages/6/" title="">[2]</a>'
    assert html == f"<p>Reaped every 30 s {one}{two}. Also {one}{two}. Not [3].</p>\n"


def test_it_links_no_marker_inside_code_links_or_attributes() -> None:
    text = (
        '`[1]` and [see [1]](https://example.com) and [x](https://example.com "t [1]")\n\n'
        "```\n[2]\n```\n\n    indented [2]\n"
    )
    html = render_with_citations(text, LINKS)
    assert 'class="citation"' not in html
    assert "<code>[1]</code>" in html
    assert '<a href="https://example.com" rel="noopener nofollow">see [1]</a>' in html
    assert 'title="t [1]"' in html
    assert "<pre><code>[2]\n</code></pre>" in html
    assert "<pre><code>indented [2]\n</code></pre>" in html


def test_it_lets_no_text_inject_markup_around_citations() -> None:
    hostile = (
        '<a class="citation" href="/evil">[1]</a> [1]<script>x</script> '
        "kcite0000000000000000x0x [2](javascript:alert(1)) " + HOSTILE
    )
    html = render_with_citations(hostile, LINKS)
    # Exactly the two real markers became links; the text's own "link" is escaped text.
    assert html.count('<a class="citation"') == 2
    assert '&lt;a class="citation" href="/evil"&gt;' in html
    assert "<script" not in html and "<img" not in html
    assert "kcite0000000000000000x0x" in html  # a forged placeholder is only text
    assert not re.search(r"<a [^>]*href=\"(javascript|/evil)", html)


def test_it_renders_plain_markdown_without_citations() -> None:
    assert render_with_citations("Just [1] text", {}) == render_markdown("Just [1] text")
