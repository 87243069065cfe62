#!/usr/bin/env python3
"""Do what a newcomer does, and fail loudly where they would be stuck.

Clone the committed HEAD into a temporary folder, run `make dev` there with nothing in the
environment but PATH and HOME, wait for /healthz on the port the README documents, sign in over
HTTP with the demo credentials `make dev` prints (allauth's form, with its CSRF token), check that
the signed-in dashboard answers, then press Ctrl-C (SIGINT to the process group) and make sure
every process started from the clone is gone.

On any failure it prints the dev server's log. Uncommitted changes are not part of the check.
Environment: NEWCOMER_TIMEOUT_S (default 300) bounds the wait for /healthz, which includes the
first `uv sync` of the fresh clone.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVMODEL_PORT = 8765  # settings.DEVMODEL_PORT's default: make dev starts the dev model server there
STARTUP_TIMEOUT_S = float(os.environ.get("NEWCOMER_TIMEOUT_S", "300"))
STOP_TIMEOUT_S = 30.0


class Failure(Exception):
    pass


def documented_url() -> str:
    """The URL the README tells a newcomer to open after `make dev`."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"open <(http://localhost:(\d+))>", readme)
    if not match:
        raise Failure("README.md no longer says which URL to open after `make dev`")
    return match.group(1)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def processes_under(folder: Path) -> dict[int, str]:
    """Processes whose working directory is inside the clone: everything `make dev` started.

    honcho starts each process in a session of its own, so the process group alone misses them.
    """
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # gone already, or not ours to read
        if cwd == folder or folder in cwd.parents:
            found[int(entry.name)] = cmdline
    return found


def fetch(
    opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None
) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode(errors="replace")


def wait_for_health(base: str, make: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    deadline = started + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if make.poll() is not None:
            raise Failure(
                f"`make dev` exited with {make.returncode} before {base}/healthz answered"
            )
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise Failure(f"{base}/healthz did not answer within {STARTUP_TIMEOUT_S:.0f} s")


def sign_in(base: str, log: str) -> None:
    printed = re.search(r"email: (\S+)\s+password: (\S+)", log)
    if not printed:
        raise Failure("`make dev` did not print the demo credentials")
    email, password = printed.groups()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    status, _, page = fetch(opener, f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not token:
        raise Failure(f"the login page answered {status} without a CSRF token")
    form = {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    status, landed, page = fetch(opener, f"{base}/accounts/login/", form)
    if status != 200 or urllib.parse.urlsplit(landed).path != "/dashboard/":
        raise Failure(f"signing in as {email} ended at {landed} with {status}")
    if "<h1>Dashboard</h1>" not in page or "Workspace <strong>" not in page:
        raise Failure("the dashboard answered without the signed-in workspace")


def stop(make: subprocess.Popen[bytes], clone: Path) -> None:
    """Ctrl-C, as a person would; anything still running after the deadline is a failure."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if make.poll() is not None and not processes_under(clone):
            return
        time.sleep(0.2)
    left = processes_under(clone)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGKILL)
    make.wait()
    lines = "\n".join(f"  {pid} {cmd}" for pid, cmd in sorted(left.items()))
    raise Failure(f"processes were still running {STOP_TIMEOUT_S:.0f} s after Ctrl-C:\n{lines}")


def main() -> int:
    base = documented_url()
    port = int(base.rsplit(":", 1)[1])
    for busy in (port, DEVMODEL_PORT):
        if port_open(busy):
            print(f"newcomer: port {busy} is already in use; stop what holds it", file=sys.stderr)
            return 1
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    clone = Path(tempfile.mkdtemp(prefix="keel-newcomer-")).resolve()
    log_path = clone.parent / f"{clone.name}.log"
    make: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        subprocess.run(
            ["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True
        )
        subprocess.run(
            ["git", "-C", str(clone), "checkout", "--quiet", "--detach", head], check=True
        )
        env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
        with log_path.open("wb") as log_file:
            make = subprocess.Popen(
                ["make", "dev"],
                cwd=clone,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ready_after = wait_for_health(base, make)
        sign_in(base, log_path.read_text(errors="replace"))
        stop(make, clone)
        for closed in (port, DEVMODEL_PORT):
            if port_open(closed):
                raise Failure(f"port {closed} still answers after `make dev` stopped")
    except (Failure, subprocess.CalledProcessError) as error:
        if make is not None and make.poll() is None:
            try:
                stop(make, clone)
            except Failure as also:
                print(f"newcomer: {also}", file=sys.stderr)
        log = log_path.read_text(errors="replace") if log_path.exists() else "(no log)"
        print(f"---- make dev log ({log_path}) ----\n{log[-20000:]}", file=sys.stderr)
        print(f"newcomer: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(clone, ignore_errors=True)
    log_path.unlink(missing_ok=True)
    total = time.monotonic() - started
    print(
        f"newcomer: {head[:12]} served {base} after {ready_after:.1f} s, signed in, "
        f"stopped cleanly ({total:.1f} s in all)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
