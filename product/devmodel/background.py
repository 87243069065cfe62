"""The dev model server in a background thread of this process (tests, benchmarks, evaluations).

    with serve_in_thread(port=0) as base_url:    # http://127.0.0.1:N/v1
        ...

Port 0 picks a free one. The server stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from product.devmodel.server import create_app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(
    *, host: str = "127.0.0.1", port: int = 0, startup_timeout_s: float = 10.0
) -> Iterator[str]:
    """Run the server until the block ends; yield its base URL (`http://host:port/v1`)."""
    port = port or free_port(host)
    config = uvicorn.Config(
        create_app(), host=host, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="devmodel", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the dev model server did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
