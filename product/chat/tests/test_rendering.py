from __future__ import annotations

import re

from product.chat.rendering import render_markdown

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
    html = render_markdown("```python\ndef f():\n    return 1 < 2\n```")
    assert "<pre><code>def f():\n    return 1 &lt; 2\n</code></pre>" in html


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
