"""`python manage.py devmodel`, exactly as docs/devmodel.md shows it, starts without DEBUG and
without any of the web's required settings, and answers /v1/models."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_starts_with_the_documented_command_without_debug() -> None:
    port = _free_port()
    # What a fresh shell has: none of DEBUG, the test flag, SECRET_KEY, DATABASE_URL, ...
    dropped = {"DEBUG", "KEEL_TESTING", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env["DEVMODEL_PORT"] = str(port)
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "devmodel"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, server.communicate()[0].decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:  # noqa: S310
                    models = json.load(r)
                break
            except OSError:
                assert time.monotonic() < deadline, "the dev model server did not answer in 20 s"
                time.sleep(0.2)
        assert [model["id"] for model in models["data"]] == ["keel-dev-small", "keel-dev-large"]
    finally:
        server.terminate()
        server.wait(timeout=10)
