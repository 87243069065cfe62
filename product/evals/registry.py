"""Evaluation targets and graders, registered by the apps that own them.

A *target* is a feature an evaluation run can call: Ask once, a chat reply, a grounded answer. The
feature registers it in its own `evals.py` (imported at start-up by EvalsConfig.ready), next to
its job kinds, with the input its dataset items hold and the prompt versions it can send:

    @target("ask.once", label="Ask once", input_model=AskInput,
            prompt_name=prompts.PROMPT_NAME, prompt_versions=prompts.VERSIONS)
    def run_ask(ctx: TargetContext) -> TargetOutput:
        answer = gateway.complete(..., job=ctx.link, model=ctx.config.model, ...)
        return TargetOutput(text=answer.text, answer=answer)

A *grader* turns a case's output into a score in [0, 1] with an explanation. Built-in graders
live in product/evals/graders.py; a feature adds its own the same way:

    @grader("mentions_price", label="Mentions a price")
    def mentions_price(ctx: GradeContext) -> Grade:
        found = "$" in ctx.output.text
        return Grade(1.0 if found else 0.0, "a price is named" if found else "no price")

A grader that cannot grade raises `Unscored(reason)`: the case is counted apart, never as 0.
Model calls made by targets and graders go through the gateway with `job=ctx.link`, so they land
on the ledger, are linked to the run's job, and are charged in the transaction that records the
case (runner.py): once, even if the worker dies and the run resumes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from product.accounts.models import User, Workspace
    from product.evals.models import DatasetItem
    from product.llm.gateway import ChatResult, JobLink


class RunConfig(BaseModel):
    """How a run calls its target. Stored on the run (`Run.config`) as `model_dump()`."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(default="", description="The chat model; empty: settings.LLM_MODEL.")
    prompt_version: str = Field(default="", description="Empty: the target's current version.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    # Retrieval, for grounded targets: which collection to search, how many passages to use.
    collection_id: str | None = None
    top_k: int = Field(default=5, ge=1, le=50)


class GraderSpec(BaseModel):
    """One grader of a run: a registered grader's name, its params, and its pass threshold."""

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: float | None = Field(default=None, ge=0, le=1)  # None: the grader's default


@dataclass
class TargetOutput:
    """What a target answered: the text graders read, and what grounded graders need."""

    text: str
    # The gateway's answering result (tokens, cost, latency, call id), when one call answered.
    answer: ChatResult | None = None
    # Grounded answers: the passages the answer cites ({"number", "document", "passage_id",
    # "text"}), and the names of the documents retrieval returned, best first.
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    # The sources block the model saw (for the faithfulness judge).
    context: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {
            "citations": self.citations,
            "retrieved": self.retrieved,
            "context": self.context,
            **self.extra,
        }


@dataclass
class TargetContext:
    """What a target gets for one case."""

    workspace: Workspace
    user: User | None
    input: BaseModel  # the item's input, validated against the target's input_model
    config: RunConfig
    prompt_version: str  # resolved: never empty
    link: JobLink  # pass as the gateway's `job=`
    should_stop: Callable[[], bool] = lambda: False


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    run: Callable[[TargetContext], TargetOutput]
    input_model: type[BaseModel]
    prompt_name: str
    # Version → a short description ("1": "Summarise in one short paragraph"); the first is
    # not special, `current_version` is the one the feature ships.
    prompt_versions: Mapping[str, str]
    current_version: str
    grounded: bool = False  # needs a collection (RunConfig.collection_id)
    # Turn a feature row into an Example (for feedback): subject id → Example, or None.
    example_for: Callable[[Workspace, str], Example | None] | None = None
    # The graders a new run of this target starts with, and sensible for it.
    default_graders: tuple[str, ...] = ()
    # Checks a run's configuration against the workspace at submit (a grounded target: does the
    # collection exist there?) and raises EvalError; evals cannot look at a feature's rows itself.
    validate_config: Callable[[Workspace, RunConfig], None] | None = None

    def resolve_version(self, version: str) -> str:
        version = version or self.current_version
        if version not in self.prompt_versions:
            known = ", ".join(self.prompt_versions)
            raise LookupError(f"{self.label} has no prompt version {version!r} (known: {known}).")
        return version


@dataclass
class Example:
    """A feature's answer as evaluation sees it: the snapshot feedback keeps, an item's seed."""

    input: dict[str, Any]  # valid for the target's input_model
    output: str
    model: str = ""
    prompt_name: str = ""
    prompt_version: str = ""
    sources: list[str] = field(default_factory=list)  # document names the answer cited
    llm_call_id: str | None = None
    url: str = ""  # the page that shows the answer

    def as_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "model": self.model,
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
            "sources": self.sources,
            "llm_call_id": self.llm_call_id,
            "url": self.url,
        }


class Unscored(Exception):  # noqa: N818 (an outcome, not a fault)
    """Raise from a grader that cannot grade this case; the message says why."""


@dataclass(frozen=True)
class Grade:
    value: float  # 0..1
    explanation: str = ""
    # None: passed is value >= the run's threshold for this grader.
    passed: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.value, int | float) or math.isnan(self.value):
            raise Unscored(f"The grader returned {self.value!r}, not a number.")
        if not 0.0 <= float(self.value) <= 1.0:
            raise Unscored(f"The grader returned {self.value}, outside 0..1.")


@dataclass
class GradeContext:
    workspace: Workspace
    user: User | None
    item: DatasetItem
    output: TargetOutput
    params: dict[str, Any]  # the run's params for this grader
    link: JobLink  # for graders that call a model (judge, embeddings): the gateway's `job=`


@dataclass(frozen=True)
class Grader:
    name: str
    label: str
    grade: Callable[[GradeContext], Grade]
    description: str = ""
    default_threshold: float = 1.0
    # Params a run may set, with their defaults (shown in the run form, validated at submit).
    params: Mapping[str, Any] = field(default_factory=dict)
    calls_model: bool = False  # judge-like: costs money, marked in the UI


_targets: dict[str, Target] = {}
_graders: dict[str, Grader] = {}


def target(
    name: str,
    *,
    label: str,
    input_model: type[BaseModel],
    prompt_name: str,
    prompt_versions: Mapping[str, str],
    current_version: str,
    grounded: bool = False,
    example_for: Callable[[Workspace, str], Example | None] | None = None,
    default_graders: tuple[str, ...] = (),
    validate_config: Callable[[Workspace, RunConfig], None] | None = None,
) -> Callable[[Callable[[TargetContext], TargetOutput]], Callable[[TargetContext], TargetOutput]]:
    def register(
        fn: Callable[[TargetContext], TargetOutput],
    ) -> Callable[[TargetContext], TargetOutput]:
        existing = _targets.get(name)
        if existing is not None and existing.run is not fn:
            raise ValueError(f"An evaluation target {name!r} is already registered.")
        _targets[name] = Target(
            name=name,
            label=label,
            run=fn,
            input_model=input_model,
            prompt_name=prompt_name,
            prompt_versions=dict(prompt_versions),
            current_version=current_version,
            grounded=grounded,
            example_for=example_for,
            default_graders=default_graders,
            validate_config=validate_config,
        )
        return fn

    return register


def grader(
    name: str,
    *,
    label: str,
    description: str = "",
    default_threshold: float = 1.0,
    params: Mapping[str, Any] | None = None,
    calls_model: bool = False,
) -> Callable[[Callable[[GradeContext], Grade]], Callable[[GradeContext], Grade]]:
    def register(fn: Callable[[GradeContext], Grade]) -> Callable[[GradeContext], Grade]:
        existing = _graders.get(name)
        if existing is not None and existing.grade is not fn:
            raise ValueError(f"A grader {name!r} is already registered.")
        _graders[name] = Grader(
            name=name,
            label=label,
            grade=fn,
            description=description,
            default_threshold=default_threshold,
            params=dict(params or {}),
            calls_model=calls_model,
        )
        return fn

    return register


def get_target(name: str) -> Target:
    try:
        return _targets[name]
    except KeyError as exc:
        raise LookupError(f"No evaluation target {name!r} is registered.") from exc


def get_grader(name: str) -> Grader:
    try:
        return _graders[name]
    except KeyError as exc:
        raise LookupError(f"No grader {name!r} is registered.") from exc


def targets() -> list[Target]:
    return sorted(_targets.values(), key=lambda t: t.name)


def graders() -> list[Grader]:
    return sorted(_graders.values(), key=lambda g: g.name)
