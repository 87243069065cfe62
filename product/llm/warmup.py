"""Load at worker start what the first model call would otherwise load while a user waits.

The openai SDK (its client and lazily imported resources) takes a second or more on first use. A
worker that runs model calls warms it before it takes work (worker/celery.py), so the first reply
after `make dev` starts as fast as the tenth.

The exact tokenizer is not warmed: a model call estimates its tokens (product/llm/tokens.py), and
only a stream cut before the provider reported usage, or a prompt near the input cap, counts them
exactly. Loading it here would cost every worker ~130 MB for a rare path.
"""

from __future__ import annotations

import logging
import time

from product.llm import gateway

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Idempotent: the client is cached per process."""
    started = time.monotonic()
    # `chat.completions` is a lazily imported resource of the SDK: touch it, make no request.
    _ = gateway.get_client().chat.completions
    logger.info("model gateway warmed up in %.2f s", time.monotonic() - started)
