"""The pages of runs and comparisons (the feedback and dataset pages are in views.py).

- /evals/runs/: the workspace's runs, with a "compare selected" form;
- /evals/runs/new/: start a run (dataset version, prompt version, model, sampling, retrieval,
  repeats, concurrency, graders with their params);
- /evals/runs/<id>/: live progress (the status block polls itself while the run runs), cancel,
  resume, re-run, a card per grader, and every case with its output, scores and cost;
- /evals/compare/?runs=a&runs=b: aggregates with intervals, then each case diffed, regressions first.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.core.errors import KeelError, add_form_error, show_error
from product.evals import compare, registry, runs, selectors
from product.evals.models import Run

CASES_PER_PAGE = 50
MAX_COMPARED = 5


class RunForm(forms.Form):
    """A run's settings; one checkbox, params (JSON) and threshold per registered grader."""

    dataset = forms.ChoiceField(label="Dataset")
    version = forms.IntegerField(
        label="Version", required=False, min_value=1, help_text="Empty: the current version."
    )
    prompt_version = forms.ChoiceField(label="Prompt version", required=False)
    model = forms.ChoiceField(label="Model", required=False)
    temperature = forms.FloatField(
        label="Temperature", required=False, min_value=0, max_value=2, help_text="Empty: default."
    )
    collection_id = forms.UUIDField(
        label="Collection id",
        required=False,
        help_text="Grounded answers only: the collection to answer from (its page shows the id).",
    )
    top_k = forms.IntegerField(label="Passages (top k)", initial=5, min_value=1, max_value=50)
    repeats = forms.IntegerField(
        label="Repeats", initial=1, min_value=1, max_value=runs.MAX_REPEATS
    )
    concurrency = forms.IntegerField(label="Cases in flight", required=False, min_value=1)
    name = forms.CharField(label="Name", required=False, max_length=200)

    def __init__(self, *args: Any, datasets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The cap is a setting: read when the form is made, not when the module is imported.
        self.fields["concurrency"] = forms.IntegerField(
            label="Cases in flight",
            required=False,
            min_value=1,
            max_value=int(settings.EVAL_MAX_CONCURRENCY),
            help_text="Empty: the default.",
        )
        dataset_field: Any = self.fields["dataset"]
        dataset_field.choices = [
            (str(d.pk), f"{d.name} ({_target_label(d.target)}, v{d.current_version})")
            for d in datasets
        ]
        # "target:version" values, grouped by target: the dataset decides which group applies.
        version_field: Any = self.fields["prompt_version"]
        version_field.choices = [("", "The target's current version")] + [
            (
                target.label,
                [
                    (f"{target.name}:{number}", f"v{number} — {description}")
                    for number, description in target.prompt_versions.items()
                ],
            )
            for target in registry.targets()
        ]
        model_field: Any = self.fields["model"]
        model_field.choices = [("", f"Default ({settings.LLM_MODEL})")] + [
            (name, name) for name in sorted(settings.LLM_CATALOG)
        ]
        self.graders = registry.graders()
        # Ticked to start with: the graders the first offered dataset's feature suggests.
        chosen = str(self.initial.get("dataset") or "")
        first = next(
            (d for d in datasets if str(d.pk) == chosen), datasets[0] if datasets else None
        )
        suggested = (
            set(_target(first.target).default_graders) if first and _target(first.target) else set()
        )
        for grader in self.graders:
            self.fields[f"grader_{grader.name}"] = forms.BooleanField(
                label=grader.label,
                required=False,
                help_text=grader.description,
                initial=grader.name in suggested,
            )
            self.fields[f"params_{grader.name}"] = forms.CharField(
                label="Params (JSON)",
                required=False,
                initial=json.dumps(dict(grader.params)),
                widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
            )
            self.fields[f"threshold_{grader.name}"] = forms.FloatField(
                label="Pass at",
                required=False,
                min_value=0,
                max_value=1,
                initial=grader.default_threshold,
            )

    def grader_rows(self) -> list[tuple[registry.Grader, Any, Any, Any]]:
        return [
            (g, self[f"grader_{g.name}"], self[f"params_{g.name}"], self[f"threshold_{g.name}"])
            for g in self.graders
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        specs = []
        for grader in self.graders:
            if not data.get(f"grader_{grader.name}"):
                continue
            raw = (data.get(f"params_{grader.name}") or "").strip() or "{}"
            try:
                params = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.add_error(f"params_{grader.name}", f"Not valid JSON: {exc.msg}.")
                continue
            if not isinstance(params, dict):
                self.add_error(f"params_{grader.name}", "Params are a JSON object: {…}.")
                continue
            specs.append(
                registry.GraderSpec(
                    name=grader.name, params=params, threshold=data.get(f"threshold_{grader.name}")
                )
            )
        if not specs and not self.errors:
            self.add_error(None, "Pick at least one grader.")
        data["grader_specs"] = specs
        return data


def _target(name: str) -> registry.Target | None:
    try:
        return registry.get_target(name)
    except LookupError:  # a dataset of a feature that is gone
        return None


def _target_label(name: str) -> str:
    try:
        return registry.get_target(name).label
    except LookupError:
        return name


@require_GET
@login_required
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    context = {
        "workspace": workspace,
        "runs": [
            (run, _target_label(run.target))
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
                f"“{dataset.name}” holds cases for {_target_label(dataset.target)}: pick one of "
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
        "target_label": _target_label(run.target),
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
