"""The beat's housekeeping for observability (worker/celery.py schedules it, on `default`).

Periodic and idempotent, so not a job kind: nobody waits for it, it charges nothing, and a lost
or doubled run is made good by the next one (rollups.py explains why).
"""

from __future__ import annotations

from celery import shared_task

from product.observability import retention, rollups


@shared_task(name="observability.prune", ignore_result=True)
def prune() -> dict[str, int]:
    return retention.prune_everything()


@shared_task(name="observability.roll_up_usage", ignore_result=True)
def roll_up_usage() -> int:
    return rollups.roll_up_usage()
