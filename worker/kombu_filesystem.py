"""A fix for kombu's filesystem transport (the embedded broker) losing its worker to a race.

The producer (`Channel._put`) creates the message file under its final name, then writes it; a
worker polling the folder may move and read that file between the two, find it empty, and die:
`Unrecoverable error: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')` in
`Channel._get` (kombu 5.7.0; seen under `bench/ttft.py` with 10 concurrent sends on
`make dev`'s setup; the same crash is reported upstream, https://github.com/celery/kombu/issues/1551).
The message is gone with the worker, and every reply waits for the reaper.

Here the producer writes the file under a name the consumer skips (it reads only names ending in
`.<queue>.msg`), then renames it into place: a rename within a folder is atomic, so a consumer
sees a whole message or none. Remove this module when kombu writes its messages atomically
(worker/tests/test_kombu_filesystem.py fails without it).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem as kombu_filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# What a message file is called while it is written: not `.msg`, so no consumer takes it.
WRITING_SUFFIX = ".writing"


def _put(self: Any, queue: str, payload: Any, **kwargs: Any) -> None:
    """Put `payload` onto `queue`: written aside, then renamed into the folder's view."""
    name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
    final = os.path.join(self.data_folder_out, name)
    writing = final + WRITING_SUFFIX
    try:
        with open(writing, "wb", buffering=0) as file:
            file.write(str_to_bytes(dumps(payload)))
        os.replace(writing, final)
    except OSError as exc:
        raise ChannelError(f"Cannot add file {final!r} to directory") from exc


def install() -> None:
    """Patch once (idempotent): worker/celery.py calls it when the Celery app is made."""
    if kombu_filesystem.Channel._put is not _put:
        kombu_filesystem.Channel._put = _put  # type: ignore[method-assign]
