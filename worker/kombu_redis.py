"""A workaround for kombu's Redis transport crashing the worker when Redis restarts.

When the broker connection drops, Celery closes it (consumer.on_connection_error_after_connected)
and the Redis channel, after dropping its connection pool, tries to put the messages it delivered
back in their queue (QoS.restore_unacked). Building a new pool then reads the transport's
connection, which is already gone: `AttributeError: 'NoneType' object has no attribute
'hostname'` in `_connparams`. That is not a connection error, so Celery's `ignore_errors` lets
it through and the worker exits with "Unrecoverable error" (measured here with kombu 5.7.0 and a
Redis SIGKILLed for half a second, every time). The same failure is reported upstream:
https://github.com/celery/kombu/issues/582 (and, for the worker that stops consuming after a
connection reset, https://github.com/celery/celery/issues/10205).

A task still running when the connection dropped later acks (or rejects) its message on that
closed channel and fails the same way, so those are skipped too.

Skipping them on a closed connection loses nothing: the messages stay in Redis's
`unacked` index, which kombu restores after `visibility_timeout`; the tasks still running in this
worker finish and write their outcome to the database; and the database reaper re-sends any job
whose message is gone (product/jobs/services.reap_stale_jobs). Remove this module when a kombu
release guards `restore_unacked` itself (product/jobs/tests/test_chaos.py fails without it).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

_original_restore_unacked = kombu_redis.QoS.restore_unacked
_original_ack = kombu_redis.QoS.ack
_original_reject = kombu_redis.QoS.reject


def _closed(qos: Any) -> bool:
    """The channel's transport, or the transport's connection, is already gone."""
    return getattr(qos.channel.connection, "client", None) is None


def _restore_unacked(self: Any, client: Any = None) -> Any:
    if client is None and _closed(self):
        logger.warning(
            "broker connection closed with %s unacked message(s); Redis and the reaper keep them",
            len(self._delivered),
        )
        self._delivered.clear()
        return None
    return _original_restore_unacked(self, client)


def _ack(self: Any, delivery_tag: Any) -> None:
    if _closed(self):
        # A task that was running when the connection dropped finished afterwards: its message
        # belongs to the old channel. If Redis still has it, it comes back after the visibility
        # timeout and its second delivery finds the job finished (claiming is conditional).
        logger.info("ack of %s skipped: its broker connection is gone", delivery_tag)
        self._delivered.pop(delivery_tag, None)
        return
    _original_ack(self, delivery_tag)


def _reject(self: Any, delivery_tag: Any, requeue: bool = False) -> None:
    if _closed(self):
        logger.info("reject of %s skipped: its broker connection is gone", delivery_tag)
        self._delivered.pop(delivery_tag, None)
        return
    _original_reject(self, delivery_tag, requeue=requeue)


def install() -> None:
    """Patch once (idempotent): worker/celery.py calls it when the Celery app is made."""
    if kombu_redis.QoS.restore_unacked is not _restore_unacked:
        kombu_redis.QoS.restore_unacked = _restore_unacked  # type: ignore[method-assign]
        kombu_redis.QoS.ack = _ack  # type: ignore[method-assign]
        kombu_redis.QoS.reject = _reject  # type: ignore[method-assign]
