"""The live stack for browser journeys: web (uvicorn, ASGI), a Celery worker and the dev model server.

One stack per test session, on free ports, against its own database (Postgres `keel_e2e` when
DATABASE_URL is set, else a SQLite file) and its own Redis database (or the embedded broker).
Journeys drive Debian's Chromium through Playwright; nothing is downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

# A page that renders a chart or a list after a click can take longer than Playwright's 5 s on a
# slow day of this 2-core machine; a journey then fails on time, not on behaviour. Where a step
# waits for the model, the journeys pass their own, longer TIMEOUT.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a localhost URL we built)
                return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def e2e_database_url(tmp: Path) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        return f"sqlite:///{tmp / 'e2e.sqlite3'}"
    import psycopg

    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    name = f"keel_e2e_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def drop_e2e_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    url: str
    devmodel_url: str
    env: dict[str, str]
    var_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def manage(self, *args: str, input_text: str | None = None) -> str:
        """Run a management command against the stack's database."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=input_text.encode() if input_text else None,
            capture_output=True,
            check=True,
            timeout=120,
        )
        return done.stdout.decode()

    def create_user(self, email: str, password: str, workspace: str | None = None) -> None:
        """A verified user (and a personal workspace), made directly: for journeys not about sign-up."""
        code = (
            "from allauth.account.models import EmailAddress\n"
            "from product.accounts.models import User\n"
            "from product.accounts.services import create_personal_workspace, create_workspace\n"
            f"u = User.objects.create_user({email!r}, {password!r})\n"
            "create_personal_workspace(user=u)\n"
            f"EmailAddress.objects.create(user=u, email={email!r}, verified=True, primary=True)\n"
            + (f"create_workspace(owner=u, name={workspace!r})\n" if workspace else "")
        )
        self.manage("shell", "-c", code)

    def mails_to(self, address: str) -> list[Any]:
        outbox = self.var_dir / "outbox"
        if not outbox.exists():
            return []
        paths = sorted(p for p in outbox.iterdir() if p.name.endswith(f"-{address}.eml"))
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]

    def last_mail_body(self, address: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.mails_to(address)
            if mails:
                body = mails[-1].get_body(preferencelist=("plain", "html"))
                return str(body.get_content())
            time.sleep(0.2)
        raise AssertionError(f"no mail to {address}")


def _start(
    name: str, args: list[str], env: dict[str, str], log_dir: Path
) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with run_stack(tmp_path_factory.mktemp("keel-e2e")) as running:
        yield running


@contextmanager
def run_stack(var_dir: Path, *, embedded: bool = False) -> Iterator[Stack]:
    """Start web, worker and dev model server. `embedded`: no Postgres, no Redis (the defaults)."""
    web_port, devmodel_port = free_port(), free_port()
    database_url = f"sqlite:///{var_dir / 'e2e.sqlite3'}" if embedded else e2e_database_url(var_dir)
    env = {
        **os.environ,
        "DEBUG": "true",
        "KEEL_TESTING": "false",
        "KEEL_VAR_DIR": str(var_dir),
        "EMAIL_OUTBOX_DIR": str(var_dir / "outbox"),
        "DATABASE_URL": database_url,
        "DEVMODEL_PORT": str(devmodel_port),
        "LLM_BASE_URL": f"http://127.0.0.1:{devmodel_port}/v1",
        "LLM_API_KEY": "",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "LOGIN_FAILED_RATE": "100/m/ip",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    if embedded:
        env.pop("REDIS_URL", None)
        for folder in ("out", "processed"):
            (var_dir / "broker" / folder).mkdir(parents=True, exist_ok=True)
    elif os.environ.get("REDIS_URL"):
        # E2E_REDIS_URL gives parallel e2e runs their own Redis db (a shared one lets one run's
        # worker take another run's tasks).
        env["REDIS_URL"] = os.environ.get("E2E_REDIS_URL") or (
            os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/14"
        )
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    stack = Stack(
        url=f"http://127.0.0.1:{web_port}",
        devmodel_url=f"http://127.0.0.1:{devmodel_port}",
        env=env,
        var_dir=var_dir,
    )
    stack.manage("migrate", "--no-input")
    log_dir = Path(os.environ.get("E2E_LOG_DIR", var_dir / "logs"))
    log_dir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    stack.processes["devmodel"] = _start(
        "devmodel", [python, "manage.py", "devmodel", "--port", str(devmodel_port)], env, log_dir
    )
    stack.processes["web"] = _start(
        "web",
        [
            python,
            "-m",
            "uvicorn",
            "product.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(web_port),
        ],
        env,
        log_dir,
    )
    stack.processes["worker"] = _start(
        "worker",
        [
            python,
            "-m",
            "celery",
            "-A",
            "worker",
            "worker",
            "-Q",
            "llm,default,knowledge",
            "-P",
            "threads",
            "-c",
            "20",
            "-n",
            f"e2e{web_port}@%h",
            "--loglevel",
            "INFO",
        ],
        env,
        log_dir,
    )
    try:
        wait_for_http(f"{stack.devmodel_url}/v1/models")
        wait_for_http(f"{stack.url}/healthz")
        yield stack
    finally:
        for process in stack.processes.values():
            process.terminate()
        for process in stack.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_e2e_database(database_url)


@pytest.fixture(scope="session")
def base_url(stack: Stack) -> str:
    return stack.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
