"""Load at worker start what the first model call would otherwise load while a user waits.

The tokenizer (bpe-openai maps ~70 MB) and the openai SDK (its client and lazily imported
resources) take seconds on first use. A worker that runs model calls warms them before it takes
work (worker/celery.py), so the first reply after `make dev` starts as fast as the tenth.
"""

from __future__ import annotations

import logging
import time

from product.llm import gateway, tokens

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Idempotent: both loads are cached per process."""
    started = time.monotonic()
    tokens.count_tokens("warm up")
    # `chat.completions` is a lazily imported resource of the SDK: touch it, make no request.
    _ = gateway.get_client().chat.completions
    logger.info("model gateway warmed up in %.2f s", time.monotonic() - started)
