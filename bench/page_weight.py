"""Page weight: the compressed JS and CSS a signed-in person downloads for the chat and dashboard.

The stack runs as production does (DEBUG off, uvicorn, WhiteNoise serving the collected static
files with their precompressed .gz siblings). For each route a fresh headless Chromium context
(cold cache) signed in as one user loads the page and waits for the network to go quiet; every
script and stylesheet response is counted at its size on the wire: WhiteNoise's gzip when it sent
one ("gzip (served)"), else the body gzipped here at level 6 ("gzip-6 (computed)"), so a file the
server forgot to compress is still counted the way it should be sent. The chat route is a
conversation with a finished reply. Budget: 60 KB per route (docs/ui.md).

Prints one JSON line per route with the per-file breakdown, then the summary last:
{"bench":"page_weight","chat_kb":..,"dashboard_kb":..,"goal_kb":60,...}
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

GOAL_KB = 60
REPLY_END = "Usage shows the cost of every call."
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def seed(stack: BenchStack) -> tuple[str, str, str]:
    """A verified user, a conversation with a reply, and a signed-in session: (session, chat, dashboard)."""
    stack.setup_django()
    from importlib import import_module

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.urls import reverse
    from django.utils import timezone

    from product.accounts.models import User
    from product.accounts.selectors import CURRENT_WORKSPACE_SESSION_KEY
    from product.accounts.services import create_personal_workspace
    from product.chat.models import Message
    from product.chat.services import start_conversation

    user = User.objects.create_user("weight@example.com", "bench-password-123", name="Wei")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = create_personal_workspace(user=user)
    conversation = start_conversation(workspace=workspace, user=user, title="Release notes")
    Message.objects.create(
        conversation=conversation, position=0, role=Message.Role.USER, author=user,
        text="Summarise what changed in this release, in three bullet points.",
    )  # fmt: skip
    Message.objects.create(
        conversation=conversation, position=1, role=Message.Role.ASSISTANT,
        status=Message.Status.DONE, finished_at=timezone.now(), model="keel-dev-small",
        text=f"- Streaming replies survive reloads.\n- Documents answer with citations.\n- {REPLY_END}",
    )  # fmt: skip
    # A real signed-in session, written where the web process reads sessions, so no log-in page
    # (and its assets) warms the browser's cache before the measured load.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[CURRENT_WORKSPACE_SESSION_KEY] = str(workspace.pk)
    session.create()
    chat = reverse("chat:conversation-detail", args=[conversation.pk])
    return str(session.session_key), chat, reverse("core:dashboard-page")


def measure(
    browser: Any, stack: BenchStack, session_key: str, path: str, shows: str
) -> dict[str, Any]:
    """Load `path` in a cold context; the compressed size of each JS and CSS file it fetched."""
    from django.conf import settings

    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": stack.web_url}]
    )
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(stack.web_url + path, wait_until="networkidle")
    if page.url.rstrip("/") != (stack.web_url + path).rstrip("/"):
        raise RuntimeError(f"{path} redirected to {page.url}: the session was not accepted")
    if shows not in page.content():
        raise RuntimeError(f"{path} does not show {shows!r}: not the page meant to be weighed")
    files: list[dict[str, Any]] = []
    for response in responses:
        kind = response.request.resource_type
        if kind not in ("script", "stylesheet") or response.status != 200:
            continue
        body = response.body()
        encoding = response.header_value("content-encoding") or ""
        if encoding == "gzip":
            wire = int(response.request.sizes()["responseBodySize"])
            how = "gzip (served)"
        else:
            wire = len(gzip.compress(body, compresslevel=6))
            how = "gzip-6 (computed)" + (f", served {encoding}" if encoding else ", served plain")
        files.append(
            {
                "url": response.url.removeprefix(stack.web_url),
                "type": "js" if kind == "script" else "css",
                "bytes": len(body),
                "compressed_bytes": wire,
                "compression": how,
            }
        )
    context.close()
    total = sum(f["compressed_bytes"] for f in files)
    return {
        "route": path,
        "kb": round(total / 1024, 1),
        "js_kb": round(sum(f["compressed_bytes"] for f in files if f["type"] == "js") / 1024, 1),
        "css_kb": round(sum(f["compressed_bytes"] for f in files if f["type"] == "css") / 1024, 1),
        "uncompressed_kb": round(sum(f["bytes"] for f in files) / 1024, 1),
        "files": sorted(files, key=lambda f: -f["compressed_bytes"]),
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "12"))) as stack:
        # Production's static files: hashed names and .gz siblings, as the Dockerfile builds them.
        stack.manage("collectstatic", "--no-input")
        stack.start_web()
        session_key, chat_path, dashboard_path = seed(stack)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                chat = measure(browser, stack, session_key, chat_path, REPLY_END)
                dashboard = measure(browser, stack, session_key, dashboard_path, "Get started")
            finally:
                browser.close()
        for name, route in (("chat", chat), ("dashboard", dashboard)):
            print_result({"bench": "page_weight", "page": name, **route})
        compression = sorted({f["compression"] for r in (chat, dashboard) for f in r["files"]})
        print_result(
            {
                "bench": "page_weight",
                "chat_kb": chat["kb"],
                "dashboard_kb": dashboard["kb"],
                "goal_kb": GOAL_KB,
                "chat_ok": chat["kb"] <= GOAL_KB,
                "dashboard_ok": dashboard["kb"] <= GOAL_KB,
                "chat_files": len(chat["files"]),
                "dashboard_files": len(dashboard["files"]),
                "compression": compression,
                "cache": "cold (a new browser context per route)",
            }
        )


if __name__ == "__main__":
    main()
