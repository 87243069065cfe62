"""The embedded broker's messages are never seen half written (worker/kombu_filesystem.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kombu import Connection

from worker import celery as worker_celery  # noqa: F401 (installs the patch)
from worker import kombu_filesystem


def options(folder: Path) -> dict[str, Any]:
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def test_it_names_a_message_file_only_once_it_is_written(tmp_path: Path, monkeypatch: Any) -> None:
    seen_while_writing: list[list[str]] = []
    real_open = open

    class Watching:
        """The file being written: what a consumer listing the folder would find meanwhile."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._file = real_open(*args, **kwargs)

        def __enter__(self) -> Watching:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def write(self, data: bytes) -> int:
            seen_while_writing.append(sorted(os.listdir(tmp_path)))
            return int(self._file.write(data))

    monkeypatch.setattr(kombu_filesystem, "open", Watching, raising=False)
    with Connection("filesystem://", transport_options=options(tmp_path)) as connection:
        queue = connection.SimpleQueue("llm")
        queue.put({"job": 1})
        assert seen_while_writing, "the patched _put wrote the message"
        for names in seen_while_writing:
            assert not [n for n in names if n.endswith(".llm.msg")], "no consumer may take it yet"
        assert queue.get(timeout=1).payload == {"job": 1}
        queue.close()
