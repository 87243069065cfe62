"""`manage.py devmodel`: run the offline OpenAI-compatible model server (see docs/devmodel.md)."""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from product.devmodel.server import create_app


class Command(BaseCommand):
    help = "Run the offline OpenAI-compatible dev model server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.DEVMODEL_HOST)
        parser.add_argument("--port", type=int, default=settings.DEVMODEL_PORT)
        # Latency defaults come from the environment so benchmarks can model a real provider.
        parser.add_argument(
            "--ttft-ms", type=int, default=int(os.environ.get("DEVMODEL_TTFT_MS", "0"))
        )
        parser.add_argument(
            "--token-delay-ms",
            type=int,
            default=int(os.environ.get("DEVMODEL_TOKEN_DELAY_MS", "0")),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        app = create_app(ttft_ms=options["ttft_ms"], token_delay_ms=options["token_delay_ms"])
        self.stdout.write(
            f"dev model server on http://{options['host']}:{options['port']}/v1 "
            f"(ttft {options['ttft_ms']} ms, {options['token_delay_ms']} ms/token)"
        )
        # One process, pure asyncio: hundreds of slow streams at once. No access log: benchmarks
        # push thousands of requests through it.
        uvicorn.run(
            app,
            host=options["host"],
            port=options["port"],
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            backlog=2048,
        )
