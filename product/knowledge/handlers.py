"""The job kinds of knowledge; product.jobs imports every app's handlers.py at start-up.

Both run on the `knowledge` queue (prompts.QUEUE): parsing is CPU work, kept off the model-call
workers. No `messages=` builder: their model calls are embeddings, reserved batch by batch.
"""

from __future__ import annotations

from typing import Any

from product.jobs.registry import JobContext, job_handler
from product.knowledge import prompts, services


@job_handler(prompts.INGEST_KIND)
def ingest_document(ctx: JobContext) -> dict[str, Any]:
    job_input = ctx.job.input
    return services.ingest_document(
        ctx=ctx, document_id=str(job_input["document_id"]), generation=int(job_input["generation"])
    )


@job_handler(prompts.REINDEX_KIND)
def build_index(ctx: JobContext) -> dict[str, Any]:
    return services.build_index(ctx=ctx, index_id=str(ctx.job.input["index_id"]))
