"""`manage.py prune`: run the retention pruners now (the beat runs them every hour) and print
how many rows each removed or emptied."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from product.observability.retention import PruneFailed, prune_everything


class Command(BaseCommand):
    help = "Prune what retention settings say is too old (docs/observability.md, Retention)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = prune_everything()
        except PruneFailed as failure:
            self._print(failure.counts)
            raise CommandError(f"{failure} (see the log for why)") from failure
        self._print(counts)

    def _print(self, counts: dict[str, int]) -> None:
        for name, rows in counts.items():
            self.stdout.write(f"{name}: {rows}")
