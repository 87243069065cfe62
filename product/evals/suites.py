"""Eval suites: the cases CI runs on every change (`manage.py eval`, `make eval`), kept in the
repository beside the feature they test.

A suite is a TOML file in a product app's `eval_suites/` folder, with its rows beside it:

    product/ask/eval_suites/summaries.toml            what to run and what passing means
    product/ask/eval_suites/summaries.jsonl           the cases, in the dataset import format
    product/ask/eval_suites/summaries.baseline.json   the scores it had (`--update-baseline`)

    name = "summaries"
    target = "ask.once"
    dataset = "summaries.jsonl"
    repeats = 1
    [config]                          # registry.RunConfig: model, prompt_version, temperature, top_k
    prompt_version = "1"
    [[graders]]                       # registry.GraderSpec, plus max_unscored
    name = "contains"
    threshold = 1.0                   # a case passes at or above it; so must the grader's mean
    [gate]
    max_drop = 0.05                   # a regression must be confidently larger than this
    confidence = 0.95
    max_unscored = 0.1                # share of a grader's cases that may be unscored
    [corpus]                          # grounded targets: documents ingested into a scratch collection
    documents = "handbook"

Loading checks everything a run would otherwise find out late: the target and graders exist, the
prompt version is one the target knows, the files are there. Every error names the file and what
to change (`SuiteError`).

The baseline holds, per model, the configuration it was made with and every item's score per
grader (the mean over repeats; null when unscored). Items are keyed by their dataset key, which
is stable across fresh databases because the suite's row keys are names (evals.io.item_key), so a
committed baseline pairs with a run made anywhere.

A grounded suite needs its documents in a collection before it runs. Evaluation sits below the
features, so the feature that owns the target registers how (`@corpus_loader("knowledge.answer")`
in its evals.py); the loader returns the RunConfig fields to set (the collection's id).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from product.evals import registry
from product.evals.errors import EvalError

if TYPE_CHECKING:
    from product.accounts.models import User, Workspace

SUITES_FOLDER = "eval_suites"
BASELINE_SUFFIX = ".baseline.json"
BASELINE_FORMAT = 1


class SuiteError(EvalError):
    """A suite file (or its baseline) cannot be used; the message names the file and the fix."""

    default_code = "suite_invalid"
    default_message = "This eval suite is not valid."


# --- the file format -----------------------------------------------------------------------------


class _GateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_drop: float = Field(default=0.05, ge=0, le=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    max_unscored: float = Field(default=0.1, ge=0, le=1)


class _GraderFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: float | None = Field(default=None, ge=0, le=1)
    max_unscored: float | None = Field(default=None, ge=0, le=1)


class _CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: str = Field(min_length=1)


class _SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    target: str
    dataset: str
    repeats: int = Field(default=1, ge=1, le=10)
    config: dict[str, Any] = Field(default_factory=dict)
    graders: list[_GraderFile] = Field(min_length=1)
    gate: _GateFile = Field(default_factory=_GateFile)
    corpus: _CorpusFile | None = None


@dataclass(frozen=True)
class Gate:
    max_drop: float = 0.05
    confidence: float = 0.95
    max_unscored: float = 0.1


@dataclass(frozen=True)
class SuiteGrader:
    spec: registry.GraderSpec
    threshold: float  # resolved: the suite's, else the grader's default
    max_unscored: float  # resolved: the grader entry's, else the gate's

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Suite:
    name: str
    app: str  # the app label ("ask"): `--suite ask/summaries` when two apps share a name
    path: Path  # the .toml
    description: str
    target: str
    dataset_path: Path
    repeats: int
    config: registry.RunConfig
    graders: tuple[SuiteGrader, ...]
    gate: Gate
    corpus_path: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.app}/{self.name}"

    @property
    def baseline_path(self) -> Path:
        return self.path.with_name(self.path.stem + BASELINE_SUFFIX)

    def grader(self, name: str) -> SuiteGrader:
        return next(entry for entry in self.graders if entry.name == name)

    def dataset_content(self) -> str:
        try:
            return self.dataset_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SuiteError(f"{self.dataset_path}: cannot be read ({exc}).") from exc


def shown(path: Path) -> str:
    """A path as a person finds it: relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def _location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validation_message(where: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = _location(error["loc"])
        problems.append(f"{location}: {error['msg']}" if location else str(error["msg"]))
    return f"{where}: " + "; ".join(problems) + "."


def load_suite(path: Path, *, app: str = "") -> Suite:
    """Read and check one suite file. Every problem is a SuiteError naming the file."""
    where = shown(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteError(f"{where}: no such suite file.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{where}: cannot be read ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{where} is not valid TOML: {exc}.") from exc
    try:
        parsed = _SuiteFile.model_validate(raw)
    except ValidationError as exc:
        raise SuiteError(_validation_message(where, exc)) from exc
    try:
        config = registry.RunConfig.model_validate(parsed.config)
    except ValidationError as exc:
        raise SuiteError(_validation_message(f"{where} [config]", exc)) from exc

    try:
        target = registry.get_target(parsed.target)
    except LookupError as exc:
        known = ", ".join(t.name for t in registry.targets()) or "none"
        raise SuiteError(f"{where}: {exc} Known targets: {known}.") from exc
    try:
        target.resolve_version(config.prompt_version)
    except LookupError as exc:
        raise SuiteError(f"{where} [config] prompt_version: {exc}") from exc

    graders: list[SuiteGrader] = []
    for number, entry in enumerate(parsed.graders, start=1):
        try:
            known_grader = registry.get_grader(entry.name)
        except LookupError as exc:
            known = ", ".join(g.name for g in registry.graders()) or "none"
            raise SuiteError(
                f"{where} [[graders]] #{number}: {exc} Known graders: {known}."
            ) from exc
        unknown = (
            sorted(set(entry.params) - set(known_grader.params)) if known_grader.params else []
        )
        if unknown:
            takes = ", ".join(known_grader.params)
            raise SuiteError(
                f"{where} [[graders]] #{number}: {entry.name} has no param "
                f"{', '.join(map(repr, unknown))} (it takes: {takes})."
            )
        if any(g.name == entry.name for g in graders):
            # A case has one score per grader name (models.Score), so a name is used once.
            raise SuiteError(f"{where} [[graders]] #{number}: {entry.name!r} is listed twice.")
        threshold = (
            entry.threshold if entry.threshold is not None else known_grader.default_threshold
        )
        graders.append(
            SuiteGrader(
                spec=registry.GraderSpec(
                    name=entry.name, params=entry.params, threshold=entry.threshold
                ),
                threshold=threshold,
                max_unscored=(
                    entry.max_unscored
                    if entry.max_unscored is not None
                    else parsed.gate.max_unscored
                ),
            )
        )

    folder = path.parent
    dataset_path = folder / parsed.dataset
    if not dataset_path.is_file():
        raise SuiteError(f"{where}: its dataset {shown(dataset_path)} does not exist.")
    corpus_path = None
    if parsed.corpus is not None:
        corpus_path = folder / parsed.corpus.documents
        if not corpus_path.is_dir():
            raise SuiteError(f"{where} [corpus]: the folder {shown(corpus_path)} does not exist.")
        if not target.grounded:
            raise SuiteError(
                f"{where} [corpus]: {target.label} does not search documents; "
                "only a grounded target takes a corpus."
            )
    elif target.grounded and not config.collection_id:
        raise SuiteError(
            f"{where}: {target.label} answers from documents: give the suite a [corpus] "
            "documents folder."
        )
    return Suite(
        name=parsed.name,
        app=app or folder.parent.name,
        path=path,
        description=parsed.description,
        target=parsed.target,
        dataset_path=dataset_path,
        repeats=parsed.repeats,
        config=config,
        graders=tuple(graders),
        gate=Gate(
            max_drop=parsed.gate.max_drop,
            confidence=parsed.gate.confidence,
            max_unscored=parsed.gate.max_unscored,
        ),
        corpus_path=corpus_path,
    )


def suite_files() -> list[tuple[str, Path]]:
    """(app label, suite file) of every product app's eval_suites/*.toml, in FEATURE_APPS order."""
    found = []
    for app_name in settings.FEATURE_APPS:
        config = apps.get_app_config(app_name.rsplit(".", 1)[-1])
        for path in sorted((Path(config.path) / SUITES_FOLDER).glob("*.toml")):
            found.append((config.label, path))
    return found


def discover() -> list[Suite]:
    return [load_suite(path, app=app) for app, path in suite_files()]


def select(suites: list[Suite], wanted: list[str]) -> list[Suite]:
    """The suites named (`summaries` or `ask/summaries`), in the order asked."""
    if not wanted:
        return suites
    chosen: list[Suite] = []
    for name in wanted:
        matches = [s for s in suites if name in (s.name, s.label)]
        if not matches:
            known = ", ".join(s.label for s in suites) or "none"
            raise SuiteError(f"No eval suite {name!r}. Known suites: {known}.")
        if len(matches) > 1:
            both = ", ".join(s.label for s in matches)
            raise SuiteError(f"{name!r} names several suites ({both}): give app/name.")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


# --- corpus loaders (grounded suites) ------------------------------------------------------------


class CorpusLoader(Protocol):
    def __call__(
        self, *, workspace: Workspace, user: User, name: str, folder: Path
    ) -> dict[str, Any]: ...


_corpus_loaders: dict[str, CorpusLoader] = {}


def corpus_loader(target_name: str) -> Callable[[CorpusLoader], CorpusLoader]:
    """Register how a grounded target's suites get their documents: the function ingests every
    file of `folder` for `workspace` and returns the RunConfig fields to set (collection_id)."""

    def register(fn: CorpusLoader) -> CorpusLoader:
        existing = _corpus_loaders.get(target_name)
        if existing is not None and existing is not fn:
            raise ValueError(f"A corpus loader for {target_name!r} is already registered.")
        _corpus_loaders[target_name] = fn
        return fn

    return register


def load_corpus(suite: Suite, *, workspace: Workspace, user: User) -> dict[str, Any]:
    if suite.corpus_path is None:
        return {}
    loader = _corpus_loaders.get(suite.target)
    if loader is None:
        raise SuiteError(
            f"{shown(suite.path)} [corpus]: nothing can ingest documents for {suite.target!r}; "
            "its feature registers a @corpus_loader in its evals.py."
        )
    return loader(workspace=workspace, user=user, name=suite.name, folder=suite.corpus_path)


# --- baselines -----------------------------------------------------------------------------------

ItemScores = dict[
    str, float | None
]  # grader -> the item's score (mean over repeats), None: unscored


@dataclass(frozen=True)
class BaselineItem:
    key: str
    name: str
    scores: ItemScores


@dataclass(frozen=True)
class Baseline:
    """What one model scored on a suite, to compare later runs with."""

    model: str
    prompt_name: str
    prompt_version: str
    config: dict[str, Any]
    repeats: int
    graders: dict[str, dict[str, Any]]  # name -> {"params": ..., "threshold": ...}
    items: tuple[BaselineItem, ...] = field(default_factory=tuple)

    def scores(self, grader: str) -> dict[str, float]:
        """Item key -> score, for the items this grader scored."""
        return {
            item.key: value for item in self.items if (value := item.scores.get(grader)) is not None
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
            "config": self.config,
            "repeats": self.repeats,
            "graders": self.graders,
            "items": [
                {
                    "key": item.key,
                    "name": item.name,
                    "scores": {
                        name: None if value is None else round(value, 6)
                        for name, value in item.scores.items()
                    },
                }
                for item in self.items
            ],
        }


def _baseline_from_json(model: str, data: Any, where: str) -> Baseline:
    try:
        return Baseline(
            model=model,
            prompt_name=str(data.get("prompt_name", "")),
            prompt_version=str(data["prompt_version"]),
            config=dict(data.get("config") or {}),
            repeats=int(data.get("repeats", 1)),
            graders={str(k): dict(v) for k, v in (data.get("graders") or {}).items()},
            items=tuple(
                BaselineItem(
                    key=str(item["key"]),
                    name=str(item.get("name", "")),
                    scores={
                        str(g): (None if v is None else float(v)) for g, v in item["scores"].items()
                    },
                )
                for item in data["items"]
            ),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise SuiteError(
            f"{where}: the baseline of {model!r} is not in the expected shape ({exc!r}); "
            "make it again with `manage.py eval --update-baseline`."
        ) from exc


def _read_baseline_file(path: Path) -> dict[str, Any]:
    where = shown(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SuiteError(
            f"{where} is not readable JSON ({exc}); make it again with "
            "`manage.py eval --update-baseline`."
        ) from exc
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise SuiteError(
            f"{where}: not a baseline of format {BASELINE_FORMAT}; make it again with "
            "`manage.py eval --update-baseline`."
        )
    if not isinstance(data.get("models"), dict):
        raise SuiteError(f'{where}: it has no "models" object.')
    return data


def read_baseline(suite: Suite, *, model: str) -> Baseline | None:
    """The suite's baseline for `model`, or None when none was recorded for it."""
    data = _read_baseline_file(suite.baseline_path)
    entry = data.get("models", {}).get(model) if data else None
    if entry is None:
        return None
    return _baseline_from_json(model, entry, shown(suite.baseline_path))


def baseline_models(suite: Suite) -> list[str]:
    data = _read_baseline_file(suite.baseline_path)
    return sorted(data.get("models", {})) if data else []


def write_baseline(suite: Suite, baseline: Baseline) -> Path:
    """Record `baseline` as the suite's for its model, keeping other models' entries.

    The file is sorted and indented so that an unchanged run rewrites it byte for byte and a
    change reads as a small diff in review."""
    data = _read_baseline_file(suite.baseline_path) or {"format": BASELINE_FORMAT, "models": {}}
    data["format"] = BASELINE_FORMAT
    data["suite"] = suite.name
    data["target"] = suite.target
    data["models"][baseline.model] = baseline.as_json()
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    suite.baseline_path.write_text(text, encoding="utf-8")
    return suite.baseline_path
