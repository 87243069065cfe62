"""A grounded answer as an evaluation target (product/evals/registry.py): search a collection for
the item's question, answer from the passages found, keep only citations of passages sent.

The same steps as a grounded chat reply (retrieval.search, retrieval.relevant, grounding's prompt
and resolve_citations), for one question: what the citation and retrieval graders measure.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from product.accounts.models import User, Workspace
from product.core.db import release_connection
from product.evals.errors import EvalError
from product.evals.registry import RunConfig, TargetContext, TargetOutput, target
from product.evals.suites import corpus_loader
from product.jobs import services as job_services
from product.knowledge import grounding, prompts, retrieval, services
from product.knowledge.models import Collection, Document
from product.llm import gateway


class AnswerInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=prompts.MAX_QUERY_CHARS)


def _collection(workspace: Workspace, collection_id: str | None) -> Collection:
    if not collection_id:
        raise EvalError("Pick the collection the answers are grounded in.", code="no_collection")
    try:
        key = uuid.UUID(str(collection_id))
    except ValueError:
        raise EvalError("That is not a collection id.", code="no_collection") from None
    collection = Collection.objects.filter(pk=key, workspace=workspace).first()
    if collection is None:
        raise EvalError("No such collection in this workspace.", code="no_collection")
    return collection


def check_config(workspace: Workspace, config: RunConfig) -> None:
    _collection(workspace, config.collection_id)


@target(
    prompts.ANSWER_PROMPT_NAME,
    label="Grounded answer",
    input_model=AnswerInput,
    prompt_name=prompts.ANSWER_PROMPT_NAME,
    prompt_versions=grounding.ANSWER_VERSIONS,
    current_version=grounding.PROMPT_VERSION,
    grounded=True,
    default_graders=("citation_validity", "retrieval_recall"),
    validate_config=check_config,
)
def run_grounded_answer(ctx: TargetContext) -> TargetOutput:
    assert isinstance(ctx.input, AnswerInput)
    collection = _collection(ctx.workspace, ctx.config.collection_id)
    question = ctx.input.question
    results = retrieval.search(
        workspace=ctx.workspace,
        collection_ids=[collection.pk],
        query=question,
        k=ctx.config.top_k,
        user=ctx.user,
        feature=prompts.ANSWER_FEATURE,
        job=ctx.link,
    )
    passages = retrieval.relevant(results.fused)
    release_connection()  # no pooled connection held while the model thinks
    answer = gateway.complete(
        workspace=ctx.workspace,
        user=ctx.user,
        feature=prompts.ANSWER_FEATURE,
        messages=grounding.answer_messages(
            question,
            collection_name=collection.name,
            passages=passages,
            version=ctx.prompt_version,
        ),
        prompt_name=prompts.ANSWER_PROMPT_NAME,
        prompt_version=ctx.prompt_version,
        model=ctx.config.model or None,
        temperature=ctx.config.temperature,
        job=ctx.link,
    )
    text, cited = grounding.resolve_citations(answer.text, passages)
    return TargetOutput(
        text=text,
        answer=answer,
        citations=[
            {
                "number": citation.n,
                "document": citation.document_name,
                "passage_id": citation.chunk_id,
                "text": passages[citation.n - 1].text,
            }
            for citation in cited
        ],
        # Every document retrieval ranked, best first, once each: what recall@k reads.
        retrieved=list(dict.fromkeys(passage.document_name for passage in results.fused)),
        context=grounding.build_sources_block(passages),
    )


# Suite files: where the CI gate's grounded suites get their documents (product/evals/suites.py).
CORPUS_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".pdf", ".docx")


@corpus_loader(prompts.ANSWER_PROMPT_NAME)
def ingest_suite_corpus(
    *, workspace: Workspace, user: User, name: str, folder: Path
) -> dict[str, Any]:
    """Upload every document of a suite's corpus folder into a new collection and ingest each
    one here, in this process (no worker needed); any document that does not end ready stops
    the suite with its reason. The run searches that collection."""
    paths = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES
    )
    if not paths:
        raise EvalError(f"The corpus folder {folder.name}/ of suite {name} holds no documents.")
    collection = services.create_collection(
        workspace=workspace, user=user, name=f"Suite {name}", description=f"Eval suite {name}"
    )
    for path in paths:
        upload = services.upload_document(
            collection=collection, user=user, filename=path.name, data=path.read_bytes()
        )
        if upload.document.job is not None:
            job_services.run_job(upload.document.job.pk)
    unready = (
        Document.objects.filter(collection=collection).exclude(status=Document.Status.READY).first()
    )
    if unready is not None:
        raise EvalError(
            f"Suite {name}: {unready.name} was not ingested ({unready.status}): "
            f"{unready.error_message or 'no reason given'}."
        )
    return {"collection_id": str(collection.pk)}
