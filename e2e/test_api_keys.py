"""API keys, end to end: a person makes a key in the browser, a program uses it, revocation
takes effect at once. Also: the interactive docs work under the strict CSP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ROOT, Stack

PASSWORD = "correct horse battery staple"
TIMEOUT = 30_000


@pytest.fixture
def owner(browser: Browser, stack: Stack) -> Iterator[Page]:
    email = f"keys-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/?$"), timeout=TIMEOUT)
    yield page
    context.close()


def test_it_creates_uses_and_revokes_a_key(
    owner: Page, stack: Stack, screenshots_dir: Path
) -> None:
    owner.goto(f"{stack.url}/keys/")
    expect(owner.get_by_role("heading", level=1)).to_have_text("API keys")
    owner.get_by_role("link", name="New API key").click()
    owner.get_by_label("Name").fill("Deploy bot")
    owner.get_by_label("Write").check()
    owner.get_by_role("button", name="Create key").click()

    field = owner.locator("[data-new-key]")
    expect(field).to_have_value(re.compile(r"^keel_live_[a-z0-9]{8}_[\w-]{20,}$"))
    full_key = field.input_value()
    owner.get_by_role("button", name="Copy").click()
    expect(owner.locator("[data-copy-status]")).not_to_be_empty()

    headers = {"Authorization": f"Bearer {full_key}"}
    me = httpx.get(f"{stack.url}/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["scopes"] == ["read", "write"]
    prefix = me.json()["key_prefix"]
    assert full_key.startswith(f"keel_live_{prefix}_")

    # The generated client, against the same live server.
    sys.path.insert(0, str(ROOT / "clients" / "python"))
    from keel_client import AuthenticatedClient
    from keel_client.api.api_keys import list_api_keys
    from keel_client.models import PagedApiKeyOut

    with AuthenticatedClient(base_url=stack.url, token=full_key) as client:
        page = list_api_keys.sync(client=client)
    assert isinstance(page, PagedApiKeyOut), page  # not an ErrorOut
    assert [key.name for key in page.items] == ["Deploy bot"]

    # The key is listed with its prefix and last use, and never in full again.
    owner.goto(f"{stack.url}/keys/")
    row = owner.locator(f"tr[data-key-prefix='{prefix}']")
    expect(row).to_contain_text("Deploy bot")
    expect(row).to_contain_text("active")
    expect(row.locator("[data-last-used]")).not_to_have_text("never")
    owner.screenshot(path=str(screenshots_dir / "api-keys.png"), full_page=True)
    assert full_key not in owner.content()

    row.get_by_role("link", name="Revoke").click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text("Revoke")
    owner.get_by_role("button", name="Revoke key").click()
    expect(owner.locator(f"tr[data-key-prefix='{prefix}']")).to_contain_text("revoked")

    after = httpx.get(f"{stack.url}/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    assert after.json()["error"]["code"] == "unauthenticated"


def test_it_serves_interactive_docs_under_the_strict_csp(browser: Browser, stack: Stack) -> None:
    context = browser.new_context()
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{stack.url}/api/docs")
    expect(page).to_have_url(re.compile(r"/api/v1/docs$"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Keel API", timeout=TIMEOUT)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/keys").first).to_be_visible()
    assert blocked == []
    context.close()


def test_it_runs_the_documented_client_example(stack: Stack) -> None:
    """docs/api.md's example (the README's) runs as written against the live stack."""
    email = f"client-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    full_key = stack.manage(
        "shell",
        "-c",
        "from product.accounts.models import Membership\n"
        "from product.apikeys.services import create_api_key\n"
        f"m = Membership.objects.get(user__email={email!r}, workspace__is_personal=True)\n"
        "print(create_api_key(membership=m, name='docs', scopes=['read', 'write']).full_key)\n",
    ).split()[-1]  # the shell may print a banner first
    doc = (ROOT / "docs" / "api.md").read_text()
    example = doc.split("## Example", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", example],
        env={
            **os.environ,
            "KEEL_URL": stack.url,
            "KEEL_API_KEY": full_key,
            "PYTHONPATH": str(ROOT / "clients" / "python"),
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    first_line, reply = done.stdout.splitlines()[0], "".join(done.stdout.splitlines()[1:])
    assert first_line.startswith("succeeded")
    assert reply.strip()
