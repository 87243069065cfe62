"""What operators rely on: request ids in responses and logs, a production configuration that
passes `check --deploy`, and a clear stop when a required variable is missing."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from product.core.middleware import RequestIdLogFilter

ROOT = Path(settings.BASE_DIR)


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "product.settings",
            "DEBUG": "false",
            "KEEL_TESTING": "false",
            "KEEL_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": "k3el-x7Rq9vLm2PzT8wYb4NcJ6hGd1FsK0aEe5UiOo3WlQr-8dH2mVt6yBn0pXc",
            "ALLOWED_HOSTS": "keel.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://keel.example.com",
            "SITE_URL": "https://keel.example.com",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        }
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_echoes_a_safe_request_id(client: Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "edge-1234.abc"})
    assert response["X-Request-ID"] == "edge-1234.abc"


def test_it_replaces_an_unsafe_request_id(client: Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "<script>\n"})
    assert response["X-Request-ID"] != "<script>\n"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("logger_name", "method", "path", "status"),
    [
        ("django.security.csrf", "post", "/workspaces/new/", 403),
        ("django.request", "get", "/no-such-page/", 404),
    ],
)
def test_it_puts_the_request_id_on_log_lines(
    db: None, logger_name: str, method: str, path: str, status: int
) -> None:
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        client = Client(enforce_csrf_checks=True)
        response = getattr(client, method)(path, headers={"X-Request-ID": "trace-42"})
    finally:
        logger.removeHandler(handler)
    assert response.status_code == status
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, f"nothing logged on {logger_name}"
    assert all(line["request_id"] == "trace-42" for line in lines), lines


def test_it_finds_the_request_id_on_records_logged_after_the_response() -> None:
    # Django logs a 5xx returned (not raised) by a view once the middleware has returned: the
    # record carries the request, and the request the id.
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None, None)
    record.request = type("Request", (), {"request_id": "late-7"})()
    RequestIdLogFilter().filter(record)
    assert getattr(record, "request_id", None) == "late-7"


def test_it_passes_the_deployment_checklist(tmp_path: Path) -> None:
    done = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize("variable", ["SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"])
def test_it_stops_at_start_naming_a_missing_variable(tmp_path: Path, variable: str) -> None:
    env = production_env(tmp_path)
    del env[variable]
    done = manage(env, "check")
    assert done.returncode != 0
    assert f"environment variable {variable} is required" in done.stderr


def test_it_documents_every_setting_in_env_example() -> None:
    import re

    source = (ROOT / "product" / "settings.py").read_text()
    read = set(re.findall(r'(?:env(?:\.[a-z]+)?|required)\(\s*"([A-Z][A-Z0-9_]*)"', source))
    read.add("KEEL_VAR_DIR")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set(), "add these to .env.example with a comment"


def test_it_ships_a_compose_file_that_validates() -> None:
    import shutil

    import yaml

    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        command = ["docker", "compose", "config", "--quiet"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "--quiet"]
    else:
        command = []
    if command:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    # Whatever validated it, the stack has the six services the docs promise.
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"db", "redis", "web", "worker", "knowledge-worker", "beat"}
    assert "-P threads" in (ROOT / "docker" / "entrypoint.sh").read_text()


def test_it_builds_a_slim_non_root_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic" in dockerfile
    assert "\nUSER keel" in dockerfile
    assert "migrate --noinput" in (ROOT / "docker" / "entrypoint.sh").read_text()


def test_the_compose_health_check_reaches_healthz_on_a_production_web(tmp_path: Path) -> None:
    # Production redirects plain HTTP to HTTPS and refuses unknown hosts: a probe that asks as
    # a browser would not (no forwarded scheme, the container's own address) never sees /healthz.
    import time
    import urllib.error
    import urllib.request

    import yaml

    from product.devmodel.background import free_port

    port = free_port()
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    check = services["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"] and ":8000/healthz" in check[3]
    code = check[3].replace(":8000/", f":{port}/")
    env = production_env(tmp_path, ALLOWED_HOSTS=".example.org,keel.example.com,*.example.net")
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "product.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Started once it answers at all: production answers this bare probe with a host error.
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "the web process did not start"
                time.sleep(0.2)
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
    finally:
        web.terminate()
        web.wait(timeout=30)
