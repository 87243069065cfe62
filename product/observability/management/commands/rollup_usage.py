"""Roll up the ledger's complete hours now, or again from a day (`--rebuild-since 2025-01-01`).

The beat does the first every few minutes; the second is for rows that reached the ledger later
than USAGE_ROLLUP_LAG_MINUTES after they happened, or after the histogram buckets changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from product.observability import rollups


class Command(BaseCommand):
    help = "Roll up usage: the complete hours after the watermark, or all of them from a day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild-since",
            metavar="YYYY-MM-DD",
            help="Roll up again every hour from the start of this UTC day.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options.get("rebuild_since")
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError as exc:
                raise CommandError(
                    f"--rebuild-since takes a date like 2025-01-31, not {raw!r}."
                ) from exc
            hours = rollups.rebuild_usage(since=datetime.combine(day, time.min, tzinfo=UTC))
        else:
            hours = rollups.roll_up_all()
        self.stdout.write(f"Rolled up {hours} hour(s).")
