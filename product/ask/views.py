"""The "Ask once" pages: ask, watch the job, read the answer, cancel or retry.

Thin adapters: read the request, call a service or selector, render. The detail page polls its
`#question-status` fragment every second while the job is unfinished; the fragment drops its
trigger once the job ends, so polling stops by itself.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.ask import prompts, services
from product.ask.forms import QuestionForm
from product.ask.models import Question
from product.ask.selectors import get_question_for_user, questions_for_workspace
from product.core.errors import add_form_error, show_error
from product.core.http import is_fragment_request
from product.evals.models import Feedback
from product.evals.selectors import feedback_of_user
from product.evals.views import rate_answer
from product.jobs import services as job_services
from product.jobs.selectors import job_usage
from product.llm.errors import LLMError

RECENT_QUESTIONS = 50


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def question_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    form = QuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                question = services.submit_question(
                    workspace=workspace,
                    user=request.user,
                    text=form.cleaned_data["text"],
                    task=form.cleaned_data["task"],
                    instruction=form.cleaned_data["instruction"],
                )
            except LLMError as exc:
                # Over quota or too long: nothing was queued and no model was called; keep the text.
                add_form_error(form, None, exc)
            else:
                return redirect("ask:question-detail", pk=question.pk)
        # htmx swaps only 2xx answers: a boosted form gets 200 with its errors, others 422.
        status = 200 if request.htmx else 422
    questions = list(questions_for_workspace(workspace)[:RECENT_QUESTIONS])
    template = "ask/question_list.html"
    if request.method == "GET" and is_fragment_request(request):
        template += "#question-history"  # the list polls itself while some job is unfinished
    context = {
        "form": form,
        "questions": questions,
        "has_unfinished": any(not question.job.is_finished for question in questions),
        "workspace": workspace,
    }
    return render(request, template, context, status=status)


def _feedback_of(request: AuthenticatedHttpRequest, question: Question) -> Feedback | None:
    return feedback_of_user(request.user, target=prompts.KIND, subject_ids=[question.pk]).get(
        str(question.pk)
    )


def _render_detail(request: AuthenticatedHttpRequest, question: Question) -> HttpResponse:
    template = "ask/question_detail.html"
    if is_fragment_request(request):
        template += "#question-status"
    context = {
        "question": question,
        "job": question.job,
        "usage": job_usage(question.job),
        "feedback": _feedback_of(request, question),
        "feedback_url": reverse("ask:question-feedback", kwargs={"pk": question.pk}),
    }
    return render(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def question_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _render_detail(request, get_question_for_user(request.user, pk))


@require_POST
@login_required
def question_cancel(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    question = get_question_for_user(request.user, pk)
    job_services.cancel_job(job=question.job, user=request.user)
    if is_fragment_request(request):
        return _render_detail(request, get_question_for_user(request.user, pk))
    return redirect("ask:question-detail", pk=question.pk)


@require_POST
@login_required
def question_retry(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    question = get_question_for_user(request.user, pk)
    try:
        job_services.retry_job(job=question.job, user=request.user)
    except LLMError as exc:
        show_error(request, exc)
    if is_fragment_request(request):
        return _render_detail(request, get_question_for_user(request.user, pk))
    return redirect("ask:question-detail", pk=question.pk)


@require_POST
@login_required
def question_feedback(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Thumbs up or down (and a comment) on the answer."""
    question = get_question_for_user(request.user, pk)
    return rate_answer(
        request,
        workspace=question.workspace,
        target=prompts.KIND,
        subject_id=question.pk,
        feedback_url=reverse("ask:question-feedback", kwargs={"pk": question.pk}),
        back_url=reverse("ask:question-detail", kwargs={"pk": question.pk}),
    )
