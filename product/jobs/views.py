"""The "Ask once" pages: submit a task, watch the job, read the answer, cancel or retry.

The detail page polls its `#job-status` fragment every second while the job is unfinished; the
fragment drops its trigger once the job ends, so polling stops by itself.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.core.http import is_fragment_request
from product.jobs import services
from product.jobs.forms import AskOnceForm
from product.jobs.models import Job
from product.jobs.prompts import KIND as ASK_ONCE
from product.jobs.selectors import get_job_for_user, job_usage, jobs_for_workspace
from product.llm.errors import LLMError

RECENT_JOBS = 50


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def job_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    form = AskOnceForm(request.POST or None)
    quota_error = ""
    if request.method == "POST" and form.is_valid():
        try:
            job = services.ask_once(
                workspace=workspace,
                user=request.user,
                text=form.cleaned_data["text"],
                task=form.cleaned_data["task"],
                instruction=form.cleaned_data["instruction"],
            )
        except LLMError as exc:
            # Over quota or too long: nothing was queued and no model was called; keep the text.
            quota_error = exc.user_message
        else:
            return redirect("jobs:job-detail", pk=job.pk)
    jobs = list(jobs_for_workspace(workspace, kind=ASK_ONCE)[:RECENT_JOBS])
    template = "jobs/job_list.html"
    if request.method == "GET" and is_fragment_request(request):
        template += "#job-history"  # the list polls itself while some job is unfinished
    return render(
        request,
        template,
        {
            "form": form,
            "jobs": jobs,
            "has_unfinished": any(not job.is_finished for job in jobs),
            "quota_error": quota_error,
            "workspace": workspace,
        },
    )


def _render_detail(request: AuthenticatedHttpRequest, job: Job) -> HttpResponse:
    template = "jobs/job_detail.html"
    if is_fragment_request(request):
        template += "#job-status"
    usage = job_usage(job)
    return render(request, template, {"job": job, "usage": usage})


@require_GET
@login_required
@vary_on_headers("HX-Request")
def job_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _render_detail(request, get_job_for_user(request.user, pk))


@require_POST
@login_required
def job_cancel(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = services.cancel_job(job=get_job_for_user(request.user, pk), user=request.user)
    if is_fragment_request(request):
        return _render_detail(request, job)
    return redirect("jobs:job-detail", pk=job.pk)


@require_POST
@login_required
def job_retry(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_user(request.user, pk)
    try:
        job = services.retry_job(job=job, user=request.user)
    except LLMError as exc:
        messages.error(request, exc.user_message)
    if is_fragment_request(request):
        return _render_detail(request, job)
    return redirect("jobs:job-detail", pk=job.pk)
