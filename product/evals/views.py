"""The evaluation pages: the home page, feedback, datasets (items, versions, import, export),
runs and comparisons:
- /evals/runs/: the workspace's runs, with a "compare selected" form;
- /evals/runs/new/: start a run (dataset version, prompt version, model, sampling, retrieval,
  repeats, concurrency, graders with their params);
- /evals/runs/<id>/: live progress (the status block polls itself while the run runs), cancel,
  resume, re-run, a card per grader, and every case with its output, scores and cost;
- /evals/compare/?runs=a&runs=b: aggregates with intervals, then each case diffed, regressions
  first.

Thin adapters over services and selectors, like the reference app (product/ask/views.py). Every
form posts to a real URL and redirects after success, so the pages work without JavaScript; a
failed form renders the page again with its errors beside the fields (422). The thumbs widgets
themselves live with the answers they rate (chat and Ask once views); this app lists the ratings.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.models import Workspace
from product.accounts.selectors import get_current_workspace
from product.core.errors import KeelError, add_form_error, show_error
from product.core.http import is_fragment_request
from product.evals import compare, io, registry, runs, selectors, services
from product.evals.errors import ImportRejected
from product.evals.forms import (
    AddToDatasetForm,
    DatasetForm,
    ImportForm,
    ItemForm,
    RunForm,
)
from product.evals.models import Dataset, DatasetVersion, Feedback, Run

DETAIL_TEMPLATE = "evals/dataset_detail.html"
LISTED_FEEDBACK = 100
LISTED_ITEMS = 500
MAX_IMPORT_BYTES = 10 * 1_048_576
CASES_PER_PAGE = 50
MAX_COMPARED = 5


@require_GET
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    context = {
        "workspace": workspace,
        "datasets": list(selectors.datasets_for_workspace(workspace)[:10]),
        "counts": selectors.feedback_counts(workspace),
        "recent_feedback": list(selectors.feedback_for_workspace(workspace)[:5]),
        "runs": list(selectors.runs_for_workspace(workspace)[:5]),
    }
    return render(request, "evals/home.html", context)


# --- feedback -------------------------------------------------------------------------------


def rate_answer(
    request: AuthenticatedHttpRequest,
    *,
    workspace: Workspace,
    target: str,
    subject_id: uuid.UUID,
    feedback_url: str,
    back_url: str,
) -> HttpResponse:
    """The thumbs widget's POST, for the feature that shows the answer (chat, Ask once) once it
    has checked the person may see it: htmx gets the widget back (with the rating or the error),
    a plain form post goes back to the answer with a toast."""
    error = ""
    feedback: Feedback | None = None
    try:
        feedback = services.record_feedback(
            workspace=workspace,
            user=request.user,
            target=target,
            subject_id=subject_id,
            rating=request.POST.get("rating", ""),
            comment=request.POST.get("comment", ""),
        )
    except KeelError as exc:
        if not is_fragment_request(request):
            show_error(request, exc)
            return redirect(back_url)
        error = exc.message
    if not is_fragment_request(request):
        flash.success(request, "Thanks for rating the answer.")
        return redirect(back_url)
    if feedback is None:
        feedback = selectors.feedback_of_user(
            request.user, target=target, subject_ids=[subject_id]
        ).get(str(subject_id))
    context = {
        "feedback": feedback,
        "feedback_error": error,
        "feedback_url": feedback_url,
        "subject_id": subject_id,
    }
    return render(request, "includes/_feedback.html", context)


@require_GET
@login_required
def feedback_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    rating = request.GET.get("rating", "")
    rating = rating if rating in Feedback.Rating.values else ""
    target = request.GET.get("target", "")
    target = target if target in {t.name for t in registry.targets()} else ""
    feedback = list(
        selectors.feedback_for_workspace(workspace, rating=rating or None, target=target or None)[
            :LISTED_FEEDBACK
        ]
    )
    datasets = list(selectors.datasets_for_workspace(workspace))
    rows = [
        (
            entry,
            services.target_label(entry.target),
            [d for d in datasets if d.target == entry.target],
        )
        for entry in feedback
    ]
    context = {
        "workspace": workspace,
        "rows": rows,
        "rating": rating,
        "target": target,
        "targets": registry.targets(),
    }
    return render(request, "evals/feedback_list.html", context)


@require_POST
@login_required
def feedback_add_to_dataset(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    feedback = selectors.get_feedback_for_user(request.user, pk)
    form = AddToDatasetForm(
        request.POST,
        datasets=selectors.datasets_for_workspace(feedback.workspace, target=feedback.target),
    )
    if not form.is_valid():
        problems = [str(e) for e in form.errors.get("dataset", [])]
        show_error(request, KeelError(" ".join(problems) or "Pick a dataset."))
    else:
        dataset: Dataset = form.cleaned_data["dataset"]
        try:
            item = services.add_feedback_to_dataset(
                feedback=feedback, dataset=dataset, user=request.user
            )
        except KeelError as exc:
            show_error(request, exc)
        else:
            flash.success(
                request, f"Added to “{dataset.name}” as an item of version {item.version.number}."
            )
    back = request.POST.get("next", "")
    if back.startswith(reverse("evals:feedback-list")):
        return redirect(back)
    return redirect("evals:feedback-list")


# --- datasets -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def dataset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    form = DatasetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dataset = services.create_dataset(
                    workspace=workspace,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    target=form.cleaned_data["target"],
                    description=form.cleaned_data["description"],
                )
            except KeelError as exc:
                add_form_error(form, "name" if exc.code.startswith("name_") else None, exc)
            else:
                return redirect("evals:dataset-detail", pk=dataset.pk)
        status = 200 if request.htmx else 422
    context = {
        "workspace": workspace,
        "form": form,
        "datasets": [
            (dataset, services.target_label(dataset.target))
            for dataset in selectors.datasets_for_workspace(workspace)
        ],
    }
    return render(request, "evals/dataset_list.html", context, status=status)


def _version_number(request: AuthenticatedHttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError as exc:
        raise Http404("No such version.") from exc
    if number < 1:
        raise Http404("No such version.")
    return number


def _detail(
    request: AuthenticatedHttpRequest,
    dataset: Dataset,
    *,
    status: int = 200,
    edit: tuple[uuid.UUID, ItemForm] | None = None,
    **extra: Any,
) -> HttpResponse:
    number = _version_number(request)
    version: DatasetVersion | None = None
    if number is not None or dataset.current_version:
        version = selectors.get_version(dataset, number)
    items = list(selectors.items_of(version)[:LISTED_ITEMS]) if version is not None else []
    try:
        label = registry.get_target(dataset.target).label
        known_target = True
    except LookupError:
        label, known_target = dataset.target, False
    context: dict[str, Any] = {
        "dataset": dataset,
        "version": version,
        "is_current": version is not None and version.number == dataset.current_version,
        # Each item with its edit form; the one just refused shows its errors, open.
        "items": [
            (
                item,
                json.dumps(item.input, indent=2, ensure_ascii=False),
                *(
                    (edit[1], True)
                    if edit is not None and item.key == edit[0]
                    else (ItemForm.for_item(item, target=dataset.target), False)
                ),
            )
            for item in items
        ],
        "more_items": version is not None and version.item_count > len(items),
        "versions": list(selectors.versions_of(dataset)),
        "target_label": label,
        "known_target": known_target,
        "item_form": ItemForm(target=dataset.target),
        "import_form": ImportForm(),
        "import_errors": [],
        "import_message": "",
        "add_open": False,
        "formats": io.FORMATS,
    }
    context.update(extra)
    return render(request, DETAIL_TEMPLATE, context, status=status)


@require_GET
@login_required
def dataset_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _detail(request, selectors.get_dataset_for_user(request.user, pk))


def _show_details(form: ItemForm, exc: KeelError) -> None:
    """A service's item errors beside the form's fields ("input.text" → the input field)."""
    details = exc.details if isinstance(exc.details, list) else []
    placed = False
    for detail in details:
        field = str(detail.get("field", "")).split(".", 1)[0]
        if field in form.fields:
            where = str(detail.get("field", ""))
            prefix = f"{where.split('.', 1)[1]}: " if "." in where else ""
            form.add_error(field, f"{prefix}{detail.get('message', '')}")
            placed = True
    if not placed:
        add_form_error(form, None, exc)


@require_POST
@login_required
def dataset_item_create(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    dataset = selectors.get_dataset_for_user(request.user, pk)
    form = ItemForm(request.POST, target=dataset.target)
    if form.is_valid():
        try:
            services.add_item(dataset=dataset, user=request.user, **form.cleaned_data)
        except KeelError as exc:
            _show_details(form, exc)
        else:
            flash.success(request, f"Item added: this is version {dataset.current_version}.")
            return redirect("evals:dataset-detail", pk=dataset.pk)
    return _detail(request, dataset, status=422, item_form=form, add_open=True)


@require_POST
@login_required
def item_update(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    dataset = item.version.dataset
    form = ItemForm(request.POST, target=dataset.target)
    if form.is_valid():
        try:
            version = services.update_item(
                dataset=dataset, user=request.user, key=item.key, **form.cleaned_data
            )
        except KeelError as exc:
            _show_details(form, exc)
        else:
            flash.success(request, f"Item saved: this is version {version.number}.")
            return redirect("evals:dataset-detail", pk=dataset.pk)
    return _detail(request, dataset, status=422, edit=(item.key, form))


@require_POST
@login_required
def item_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    dataset = item.version.dataset
    try:
        version = services.delete_item(dataset=dataset, user=request.user, key=item.key)
    except KeelError as exc:
        show_error(request, exc)
    else:
        flash.success(
            request, f"Item deleted: this is version {version.number}; older versions keep it."
        )
    return redirect("evals:dataset-detail", pk=dataset.pk)


@require_POST
@login_required
def dataset_import(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    dataset = selectors.get_dataset_for_user(request.user, pk)
    form = ImportForm(request.POST, request.FILES)
    errors: list[dict[str, Any]] = []
    message = ""
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise ImportRejected(
                    f"This file is {upload.size / 1_048_576:.1f} MB; the limit is "
                    f"{MAX_IMPORT_BYTES // 1_048_576} MB.",
                    code="too_large",
                )
            fmt = io.format_for(upload.name or "", form.cleaned_data["format"])
            version = services.import_items(
                dataset=dataset,
                user=request.user,
                content=upload.read(),
                fmt=fmt,
                filename=upload.name or "",
                replace=form.cleaned_data["replace"],
            )
        except KeelError as exc:
            message = exc.message
            errors = exc.details if isinstance(exc.details, list) else []
        else:
            flash.success(request, f"{version.note}: this is version {version.number}.")
            return redirect("evals:dataset-detail", pk=dataset.pk)
    return _detail(
        request,
        dataset,
        status=422,
        import_form=form,
        import_errors=errors,
        import_message=message,
    )


@require_GET
@login_required
def dataset_export(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    dataset = selectors.get_dataset_for_user(request.user, pk)
    fmt = request.GET.get("format", "jsonl")
    if fmt not in io.FORMATS:
        raise Http404("Export as jsonl or csv.")
    version = selectors.get_version(dataset, _version_number(request))
    return export_response(dataset, version, fmt)  # type: ignore[arg-type]


def export_response(dataset: Dataset, version: DatasetVersion, fmt: io.Format) -> HttpResponse:
    """The version's items as a file download (the pages and the API send the same bytes)."""
    content = services.export_items(version=version, fmt=fmt)
    media_type = "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    response = HttpResponse(content, content_type=f"{media_type}; charset=utf-8")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in dataset.name).strip("-")
    filename = f"{safe or 'dataset'}-v{version.number}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- runs and comparisons ---


@require_GET
@login_required
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    context = {
        "workspace": workspace,
        "runs": [
            (run, services.target_label(run.target))
            for run in selectors.runs_for_workspace(workspace)[:100]
        ],
    }
    return render(request, "evals/run_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def run_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    datasets = [d for d in selectors.datasets_for_workspace(workspace) if d.current_version]
    initial = {"dataset": request.GET.get("dataset", "")}
    form = RunForm(request.POST or None, datasets=datasets, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = _submit(request, form)
            except KeelError as exc:
                add_form_error(form, None, exc)
            else:
                return redirect("evals:run-detail", pk=run.pk)
        status = 422
    return render(
        request,
        "evals/run_form.html",
        {"workspace": workspace, "form": form, "has_datasets": bool(datasets)},
        status=status,
    )


def _submit(request: AuthenticatedHttpRequest, form: RunForm) -> Run:
    workspace = get_current_workspace(request)
    data = form.cleaned_data
    dataset = selectors.get_dataset_for_user(request.user, data["dataset"], workspace=workspace)
    version = selectors.get_version(dataset, data["version"])
    prompt_version = ""
    if data["prompt_version"]:
        target_name, _, prompt_version = str(data["prompt_version"]).partition(":")
        if target_name != dataset.target:
            raise KeelError(
                f"“{dataset.name}” holds cases for {services.target_label(dataset.target)}: pick one of "
                "its prompt versions.",
                code="wrong_prompt_version",
            )
    collection = data["collection_id"]
    return runs.submit_run(
        workspace=workspace,
        user=request.user,
        dataset_version=version,
        config=registry.RunConfig(
            model=data["model"] or "",
            prompt_version=prompt_version,
            temperature=data["temperature"],
            collection_id=None if collection is None else str(collection),
            top_k=data["top_k"],
        ),
        graders=data["grader_specs"],
        repeats=data["repeats"],
        concurrency=data["concurrency"],
        name=data["name"],
    )


def _page_number(request: AuthenticatedHttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError as exc:
        raise Http404("No such page.") from exc


@require_GET
@login_required
@vary_on_headers("HX-Request")
def run_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    run = selectors.get_run_for_user(request.user, pk, workspace=get_current_workspace(request))
    page = Paginator(selectors.cases_of(run), CASES_PER_PAGE).get_page(_page_number(request))
    context = {
        "run": run,
        "job": run.job,
        "target_label": services.target_label(run.target),
        "summary": compare.summarize(run),
        "cases": page,
        "finished": run.cases.count(),
    }
    template = "evals/run_detail.html"
    if request.htmx:
        template += "#run-live"
    return render(request, template, context)


def _action(request: AuthenticatedHttpRequest, pk: uuid.UUID, what: str) -> HttpResponse:
    run = selectors.get_run_for_user(request.user, pk, workspace=get_current_workspace(request))
    try:
        if what == "cancel":
            runs.cancel_run(run=run, user=request.user)
        elif what == "resume":
            runs.resume_run(run=run, user=request.user)
        else:
            return redirect("evals:run-detail", pk=runs.rerun(run=run, user=request.user).pk)
    except KeelError as exc:
        show_error(request, exc)
    return redirect("evals:run-detail", pk=run.pk)


@require_POST
@login_required
def run_cancel(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _action(request, pk, "cancel")


@require_POST
@login_required
def run_resume(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _action(request, pk, "resume")


@require_POST
@login_required
def run_rerun(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _action(request, pk, "rerun")


@require_GET
@login_required
def comparison(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    ids = list(dict.fromkeys(request.GET.getlist("runs")))
    if not 2 <= len(ids) <= MAX_COMPARED:
        # The page itself says what to do (a link from the run list ticks the runs).
        context: dict[str, Any] = {
            "workspace": workspace,
            "result": None,
            "max_compared": MAX_COMPARED,
        }
        return render(request, "evals/compare.html", context)
    chosen = [selectors.get_run_for_user(request.user, i, workspace=workspace) for i in ids]
    # A form sends ticked boxes in page order, not in the order they were ticked: the earliest
    # run (what there was before the change) is the baseline. The API keeps the order it is given.
    chosen.sort(key=lambda run: run.created_at)
    result = compare.compare(chosen)
    columns = list(zip(result.runs, result.summaries, strict=True))
    aggregates = []
    for grader in result.graders:
        cells = []
        for run, summary in columns:
            delta = None if run.pk == result.baseline.pk else result.delta(grader, run.pk)
            cells.append((summary.grader(grader), delta))
        aggregates.append((grader, cells))
    # Templates cannot index by a variable: each case's cells with their graders' numbers.
    cases = [
        (
            case,
            [
                (
                    run,
                    cell,
                    [
                        (g, cell.values.get(g), cell.deltas.get(g), cell.explanations.get(g, ""))
                        for g in result.graders
                    ],
                )
                for run, cell in zip(result.runs, case.cells, strict=True)
            ],
        )
        for case in result.cases
    ]
    context = {
        "workspace": workspace,
        "max_compared": MAX_COMPARED,
        "result": result,
        "columns": columns,
        "aggregates": aggregates,
        "cases": cases,
        "regressed": sum(1 for case in result.cases if case.regressed),
    }
    return render(request, "evals/compare.html", context)
