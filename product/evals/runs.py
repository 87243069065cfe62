"""Writes for runs (experiments): submit, cancel, resume, re-run, and run inline.

A run is one dataset version × a target × a configuration × N repeats, executed by ONE durable job
(kind `evals.run`, product/evals/handlers.py) on the "llm" queue. Everything is checked before
anything is written: an unknown prompt version, a grounded target without its collection, an
unknown grader or an unknown grader param is an EvalError (a 422 with a message) and stores
nothing. Nothing is reserved up front: each model call of a case reserves its own budget in the
gateway and is charged in the transaction that records the case (runner.py), so a run stops with
a readable error when the workspace's budget runs out, and resuming it later finishes the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from product.accounts.models import User, Workspace
from product.evals.errors import EvalError
from product.evals.models import DatasetVersion, Run
from product.evals.registry import GraderSpec, RunConfig, get_grader, get_target
from product.jobs import services as job_services
from product.jobs.models import Job

KIND = "evals.run"
MAX_REPEATS = 10


def _check_graders(graders: Sequence[GraderSpec]) -> list[GraderSpec]:
    if not graders:
        raise EvalError("Pick at least one grader.", code="no_graders")
    seen: set[str] = set()
    checked = []
    for spec in graders:
        try:
            grader = get_grader(spec.name)
        except LookupError:
            raise EvalError(
                f"There is no grader named “{spec.name}”.", code="unknown_grader"
            ) from None
        if spec.name in seen:
            raise EvalError(
                f"The grader “{spec.name}” is listed twice; a run scores each grader once.",
                code="duplicate_grader",
            )
        seen.add(spec.name)
        # A grader that declares its params is checked against them, so a typo in a param name
        # is a message at submit, not a silently ignored setting in every case.
        unknown = sorted(set(spec.params) - set(grader.params)) if grader.params else []
        if unknown:
            known = ", ".join(grader.params)
            raise EvalError(
                f"The grader “{spec.name}” has no param {', '.join(map(repr, unknown))} "
                f"(it takes: {known}).",
                code="unknown_grader_param",
            )
        checked.append(spec)
    return checked


def _concurrency(value: int | None) -> int:
    cap = int(settings.EVAL_MAX_CONCURRENCY)
    if value is None:
        return max(1, min(int(settings.EVAL_DEFAULT_CONCURRENCY), cap))
    if not 1 <= value <= cap:
        raise EvalError(
            f"Concurrency must be between 1 and {cap} cases in flight.", code="bad_concurrency"
        )
    return value


def submit_run(
    *,
    workspace: Workspace,
    user: User | None,
    dataset_version: DatasetVersion,
    config: RunConfig,
    graders: Sequence[GraderSpec],
    repeats: int = 1,
    concurrency: int | None = None,
    name: str = "",
    idempotency_key: str | None = None,
) -> Run:
    """Check the run, then write it and its queued job in one transaction (enqueued on commit)."""
    dataset = dataset_version.dataset
    if dataset.workspace_id != workspace.pk:
        raise EvalError("No such dataset in this workspace.", code="no_dataset")
    try:
        target = get_target(dataset.target)
    except LookupError:
        raise EvalError(
            f"The dataset's target “{dataset.target}” is not available in this version of the "
            "product.",
            code="unknown_target",
        ) from None
    try:
        version = target.resolve_version(config.prompt_version)
    except LookupError as exc:
        raise EvalError(str(exc), code="unknown_prompt_version") from None
    config = config.model_copy(update={"prompt_version": version})
    if target.grounded and not config.collection_id:
        raise EvalError(
            f"{target.label} answers from a collection: pick one.", code="no_collection"
        )
    if target.validate_config is not None:
        target.validate_config(workspace, config)
    checked = _check_graders(graders)
    if not 1 <= repeats <= MAX_REPEATS:
        raise EvalError(f"Repeats must be between 1 and {MAX_REPEATS}.", code="bad_repeats")
    if dataset_version.item_count == 0:
        raise EvalError(
            f"Version {dataset_version.number} of “{dataset.name}” has no items to run.",
            code="empty_dataset",
        )
    with transaction.atomic():
        run_id = uuid.uuid4()  # chosen first, so the job's input names the run it executes
        job = job_services.submit_job(
            workspace=workspace,
            user=user,
            kind=KIND,
            input={"run_id": str(run_id)},
            queue="llm",
            idempotency_key=idempotency_key,
        )
        return Run.objects.create(
            id=run_id,
            workspace=workspace,
            created_by=user,
            name=name.strip()[:200],
            dataset_version=dataset_version,
            target=target.name,
            config=config.model_dump(),
            graders=[spec.model_dump() for spec in checked],
            repeats=repeats,
            concurrency=_concurrency(concurrency),
            prompt_name=target.prompt_name,
            prompt_version=version,
            case_count=dataset_version.item_count * repeats,
            job=job,
        )


def cancel_run(*, run: Run, user: User) -> Run:
    """Queued: cancelled at once. Running: the cases in flight land, no new one starts."""
    job_services.cancel_job(job=run.job, user=user)
    run.job.refresh_from_db()
    return run


def resume_run(*, run: Run, user: User) -> Run:
    """Put a failed or cancelled run back in the queue: its finished cases are kept, the rest run.

    (A run whose worker died needs nothing: the reaper re-runs its job the same way.)
    """
    job = run.job
    if not job.can_retry:
        if job.status == Job.Status.SUCCEEDED:
            raise EvalError("This run finished: there is nothing to resume.", code="run_finished")
        raise EvalError("This run is still going.", code="run_in_progress")
    job_services.retry_job(job=job, user=user)
    run.job.refresh_from_db()
    return run


def rerun(*, run: Run, user: User) -> Run:
    """A new run of the same dataset version, configuration, graders and repeats."""
    name = f"{run.name} (re-run)" if run.name else ""
    return submit_run(
        workspace=run.workspace,
        user=user,
        dataset_version=run.dataset_version,
        config=RunConfig.model_validate(run.config),
        graders=[GraderSpec.model_validate(spec) for spec in run.graders],
        repeats=run.repeats,
        concurrency=run.concurrency,
        name=name,
    )


def execute_run_inline(run: Run) -> Run:
    """Run the run's job in this process (the `eval` command, tests): returns it finished."""
    job_services.run_job(run.job_id)
    run.refresh_from_db()
    run.job.refresh_from_db()
    return run
