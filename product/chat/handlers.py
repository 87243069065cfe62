"""The chat's job kinds; product.jobs imports this module at start-up in every process."""

from __future__ import annotations

from typing import Any

from product.chat import services
from product.jobs.registry import JobContext, job_handler


@job_handler(services.REPLY_KIND)
def chat_reply(ctx: JobContext) -> dict[str, Any]:
    return services.run_reply(ctx)


@job_handler(services.TITLE_KIND)
def chat_title(ctx: JobContext) -> dict[str, Any]:
    return services.run_title(ctx)
