"""The dashboard page is assembled from what the apps contribute: core names none of them.

An app adds to the dashboard's template context by registering a function of the request in its
`AppConfig.ready()` (accounts: the workspace and its members; llm: this month's spend). The view
(product/core/views.py) merges them in registration order, which is INSTALLED_APPS order.

An app also contributes its *first step*: the one thing a new workspace does to try it (start a
chat, upload a document, invite a teammate, create an API key). The dashboard lists the steps as a
checklist, each ticked once the workspace's own data says it is done, until every step is; then
the checklist shrinks to one line. Core only runs the checks, so a forked feature adds its step
with one `add_first_step(...)` in its own `ready()` (docs/ui.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

ContextProvider = Callable[[HttpRequest], Mapping[str, Any]]
_providers: list[ContextProvider] = []


def add_dashboard_context(provider: ContextProvider) -> ContextProvider:
    """Register `provider`; registering the same function twice (a reloaded app) adds it once."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def _everyone(request: HttpRequest) -> bool:
    return True


def _no_args(request: HttpRequest) -> Sequence[Any]:
    return ()


@dataclass(frozen=True)
class FirstStep:
    """One item of a new workspace's checklist, declared by the app whose page does it."""

    title: str  # an imperative, e.g. "Start a chat"
    text: str  # one sentence: why it is worth doing
    url_name: str  # the page that does it, e.g. "chat:conversation-create"
    done: Callable[[HttpRequest], bool]  # one cheap query over the current workspace's data
    # Apps register in INSTALLED_APPS order, which puts accounts before chat; a newcomer should
    # meet the product first and the administration after, so each step names its place.
    position: int = 100
    # Who sees the step: a member who may not invite has no invite step to tick.
    applies: Callable[[HttpRequest], bool] = _everyone
    # Positional URL arguments, for a page under an id (the workspace's own page).
    url_args: Callable[[HttpRequest], Sequence[Any]] = _no_args


@dataclass(frozen=True)
class StepStatus:
    """A step as the dashboard shows it: where it links and whether it is ticked."""

    step: FirstStep
    url: str
    done: bool


_steps: list[FirstStep] = []


def add_first_step(step: FirstStep) -> FirstStep:
    """Register `step`; the same step twice (a reloaded app) is listed once."""
    if step not in _steps:
        _steps.append(step)
    return step


def first_steps(request: HttpRequest) -> list[StepStatus]:
    """The steps that apply to this member, in position order, each with its done-check's answer."""
    steps = sorted((s for s in _steps if s.applies(request)), key=lambda s: s.position)
    return [
        StepStatus(step=s, url=reverse(s.url_name, args=s.url_args(request)), done=s.done(request))
        for s in steps
    ]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _providers:
        context.update(provider(request))
    steps = first_steps(request)
    context["first_steps"] = steps
    context["first_steps_left"] = sum(1 for s in steps if not s.done)
    return context
