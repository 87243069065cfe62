"""The built-in graders: each turns one case's output into a score in [0, 1] and a sentence.

Registered with `@grader` (registry.py) under the names runs and suite files use. Params come from
the run's grader entry (`GradeContext.params`), falling back to the item (its reference, metadata,
expected sources), then to the defaults declared below. A grader that cannot grade a case raises
`Unscored(why)`: the case is counted apart, never as a zero, never as NaN.

Deterministic: exact, contains, regex, json_schema, numeric, citation_validity, retrieval_recall.
Through the gateway (on the ledger, linked to the run's job with `job=ctx.link`, so their cost is
the case's): semantic_similarity (embeddings), llm_judge and faithfulness (a judge model at
temperature 0 and a fixed seed, one case per call, prompts in evals/prompts.py).
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema import exceptions as jsonschema_errors

from product.evals import prompts
from product.evals.registry import Grade, GradeContext, Unscored, grader
from product.llm import gateway
from product.llm.errors import LLMError

EMBED_FEATURE = "evals.grade"
JUDGE_FEATURE = "evals.judge"
# Python's `re` cannot be interrupted, so a pattern that backtracks exponentially would stall the
# run's thread for good: nested unbounded repeats, the usual culprit, are refused (below), and the
# text a pattern reads is capped, which bounds the polynomial cases. (A repeated alternation of
# overlapping branches, `(a|aa)+`, is not detected: the cap is all that limits it.)
MAX_REGEX_INPUT_CHARS = 20_000
MAX_PATTERN_CHARS = 1_000
# Quoted snippets in explanations: enough to recognise, short enough to read in a table cell.
QUOTE_CHARS = 60
LISTED = 5  # values named in an explanation before "and N more"

_SPACE_RE = re.compile(r"\s+")
_FENCE_RE = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)\n?```\s*$", re.DOTALL)
_SOURCES_RE = re.compile(r"^\s*<sources>(.*)</sources>\s*$", re.DOTALL)
# A number as people write it: "1,200", "$40.5", "-3e2", "−7", ".5". Not the digits inside a word
# ("v2", "H2O") or after a decimal point. Thousands separators need groups of exactly three.
_NUMBER_RE = re.compile(
    r"(?<![\w.,])(?P<sign>[-+−])?(?P<currency>[$€£¥])?(?P<sign2>[-+−])?"
    r"(?P<body>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?"
)
_CITATION_RE = re.compile(r"\[(\d+(?:[ \t]*,[ \t]*\d+)*)\]")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD_RE = re.compile(r"\w+")
# Words that say nothing about a claim, for the "does the passage support the sentence" check.
_FILLER_WORDS = """
    the and for are was were with that this from has have had not but you your can its into than
    then they them their there which what when where who how also been being will would could
    should may might does did per via any all our out about according document documents
"""
_FILLER = frozenset(_FILLER_WORDS.split())


# --- small helpers ---------------------------------------------------------------------------


def _quote(text: str) -> str:
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1].rstrip() + "…"
    return f"'{text}'"


def _listing(values: Sequence[str]) -> str:
    shown = ", ".join(_quote(v) for v in values[:LISTED])
    extra = len(values) - LISTED
    return f"{shown} and {extra} more" if extra > 0 else shown


def _texts(value: Any, name: str) -> list[str]:
    """A param or metadata field that holds one text or a list of texts, as a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v for v in value if v != ""]
    raise Unscored(f"The grader's {name} must be a text or a list of texts, not {value!r}.")


def _number_param(ctx: GradeContext, name: str, default: float) -> float:
    value = ctx.params.get(name, default)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Unscored(f"The grader's {name} must be a number, not {value!r}.") from None
    if not math.isfinite(number) or number < 0:
        raise Unscored(f"The grader's {name} must be a number of 0 or more, not {value!r}.")
    return number


def _flag(ctx: GradeContext, name: str, default: bool) -> bool:
    value = ctx.params.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "1", "0"}:
        return value.lower() in {"true", "yes", "1"}
    raise Unscored(f"The grader's {name} must be true or false, not {value!r}.")


def _metadata(ctx: GradeContext) -> Mapping[str, Any]:
    metadata = ctx.item.metadata
    return metadata if isinstance(metadata, Mapping) else {}


def _normalise(text: str, *, ignore_case: bool, ignore_whitespace: bool) -> str:
    if ignore_whitespace:
        text = _SPACE_RE.sub(" ", text).strip()
    return text.casefold() if ignore_case else text


def _unfenced(text: str) -> str:
    """The inside of a code fence when the whole text is one (models fence JSON they are asked
    for), else the text itself."""
    match = _FENCE_RE.match(text)
    return match.group(1) if match else text


# --- exact ------------------------------------------------------------------------------------


def _first_difference(expected: str, got: str) -> str:
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    if index == len(expected):
        return f"The output is the reference followed by {_quote(got[index:])}."
    if index == len(got):
        return f"The output stops early: it lacks {_quote(expected[index:])} at the end."
    start = max(0, index - 15)
    return (
        f"The output differs from the reference at character {index + 1}: expected "
        f"{_quote(expected[start : index + 30])}, got {_quote(got[start : index + 30])}."
    )


@grader(
    "exact",
    label="Exact match",
    description="The output equals the reference (or the `value` param), spaces tidied.",
    default_threshold=1.0,
    params={"value": "", "ignore_case": False, "ignore_whitespace": True},
)
def exact(ctx: GradeContext) -> Grade:
    expected = str(ctx.params.get("value") or ctx.item.reference)
    if not expected.strip():
        raise Unscored("There is nothing to compare with: the item has no reference.")
    options = {
        "ignore_case": _flag(ctx, "ignore_case", False),
        "ignore_whitespace": _flag(ctx, "ignore_whitespace", True),
    }
    want = _normalise(expected, **options)
    got = _normalise(ctx.output.text, **options)
    if want == got:
        return Grade(1.0, "The output matches the reference exactly.")
    return Grade(0.0, _first_difference(want, got))


# --- contains ---------------------------------------------------------------------------------


@grader(
    "contains",
    label="Contains",
    description=(
        "The output contains each required text (`values`, else the item's metadata.must_contain, "
        "else its reference) and none of the `forbidden` ones (metadata.must_not_contain). "
        "Scores the share of checks that hold."
    ),
    default_threshold=1.0,
    params={"values": [], "forbidden": [], "ignore_case": True},
)
def contains(ctx: GradeContext) -> Grade:
    metadata = _metadata(ctx)
    required = (
        _texts(ctx.params.get("values"), "values")
        or _texts(metadata.get("must_contain"), "metadata.must_contain")
        or _texts(ctx.item.reference, "reference")
    )
    forbidden = _texts(ctx.params.get("forbidden"), "forbidden") or _texts(
        metadata.get("must_not_contain"), "metadata.must_not_contain"
    )
    if not required and not forbidden:
        raise Unscored(
            "There is nothing to look for: set the grader's values, the item's "
            "metadata.must_contain, or a reference."
        )
    ignore_case = _flag(ctx, "ignore_case", True)
    haystack = _normalise(ctx.output.text, ignore_case=ignore_case, ignore_whitespace=True)

    def present(needle: str) -> bool:
        return _normalise(needle, ignore_case=ignore_case, ignore_whitespace=True) in haystack

    missing = [value for value in required if not present(value)]
    unwanted = [value for value in forbidden if present(value)]
    checks = len(required) + len(forbidden)
    value = (checks - len(missing) - len(unwanted)) / checks
    problems = []
    if missing:
        problems.append(f"Missing {len(missing)} of {len(required)}: {_listing(missing)}.")
    if unwanted:
        problems.append(
            f"Contains {len(unwanted)} forbidden text{'s' if len(unwanted) > 1 else ''}: "
            f"{_listing(unwanted)}."
        )
    if problems:
        return Grade(value, " ".join(problems))
    if required:
        said = f"Contains all {len(required)}: {_listing(required)}."
        if len(required) == 1:
            said = f"Contains {_listing(required)}."
        if forbidden:
            said += " None of the forbidden texts appear."
        return Grade(value, said)
    return Grade(value, "None of the forbidden texts appear.")


# --- regex ------------------------------------------------------------------------------------

# The regex parser is private to the standard library (`re._parser`), and stable since 3.11; it is
# the only way to see a pattern's structure. Loaded by name because no stubs describe it.
_re_parser: Any = importlib.import_module("re._parser")
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT"}  # possessive repeats and atomic groups never backtrack


def _nests_unbounded_repeats(parsed: Any, *, inside: bool = False) -> bool:
    """Whether an unbounded repeat sits inside another (`(a+)+`, `(\\w*\\s?)*`): the shape that
    backtracks exponentially on a near-miss."""
    for op, arg in parsed:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            unbounded = high == _re_parser.MAXREPEAT
            if unbounded and inside:
                return True
            if _nests_unbounded_repeats(sub, inside=inside or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _nests_unbounded_repeats(arg[-1], inside=inside):
                return True
        elif name == "BRANCH":
            if any(_nests_unbounded_repeats(sub, inside=inside) for sub in arg[1]):
                return True
        elif name in {"ASSERT", "ASSERT_NOT"}:
            if _nests_unbounded_repeats(arg[1], inside=inside):
                return True
        elif name == "GROUPREF_EXISTS":
            branches = [sub for sub in arg[1:] if sub is not None]
            if any(_nests_unbounded_repeats(sub, inside=inside) for sub in branches):
                return True
    return False


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def compile_pattern(pattern: str, flags: str = "") -> re.Pattern[str]:
    """A pattern safe to run on an output, or Unscored saying what is wrong with it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise Unscored(f"The pattern is longer than {MAX_PATTERN_CHARS} characters.")
    unknown = sorted(set(flags) - set(_FLAGS))
    if unknown:
        raise Unscored(f"Unknown regex flag {unknown[0]!r}: use any of i, m, s, x.")
    value = 0
    for letter in flags:
        value |= _FLAGS[letter]
    try:
        compiled = re.compile(pattern, value)
        parsed = _re_parser.parse(pattern, value)
    except re.error as exc:
        raise Unscored(f"The pattern is not a valid regular expression: {exc}.") from None
    if _nests_unbounded_repeats(parsed):
        raise Unscored(
            "The pattern repeats a repeat (like '(a+)+'), which can take forever on a near miss: "
            "make the inner repeat possessive ('a++'), atomic ('(?>a+)') or bounded ('a{1,20}')."
        )
    return compiled


@grader(
    "regex",
    label="Regular expression",
    description=(
        "The output matches a regular expression (`pattern`, else the item's metadata.pattern); "
        "`mode` search (anywhere), fullmatch (the whole output, spaces trimmed) or absent "
        "(must not match); `flags` any of i, m, s, x."
    ),
    default_threshold=1.0,
    params={"pattern": "", "flags": "", "mode": "search"},
)
def regex(ctx: GradeContext) -> Grade:
    pattern = str(ctx.params.get("pattern") or _metadata(ctx).get("pattern") or "")
    if not pattern:
        raise Unscored("There is no pattern: set the grader's pattern or the item's metadata.")
    mode = str(ctx.params.get("mode") or "search")
    if mode not in {"search", "fullmatch", "absent"}:
        raise Unscored(f"Unknown mode {mode!r}: use search, fullmatch or absent.")
    compiled = compile_pattern(pattern, str(ctx.params.get("flags") or ""))
    text = ctx.output.text.strip() if mode == "fullmatch" else ctx.output.text
    if len(text) > MAX_REGEX_INPUT_CHARS:
        raise Unscored(
            f"The output is {len(text)} characters long; the regex grader reads at most "
            f"{MAX_REGEX_INPUT_CHARS}, so that a slow pattern cannot stall the run."
        )
    shown = _quote(pattern)
    if mode == "fullmatch":
        if compiled.fullmatch(text):
            return Grade(1.0, f"The whole output matches {shown}.")
        return Grade(0.0, f"The output as a whole does not match {shown}.")
    found = compiled.search(text)
    if mode == "absent":
        if found is None:
            return Grade(1.0, f"The output does not match {shown}, as required.")
        return Grade(
            0.0, f"The output matches {shown} at {_quote(found.group(0))}, which it must not."
        )
    if found is not None:
        return Grade(1.0, f"The output matches {shown} at {_quote(found.group(0))}.")
    return Grade(0.0, f"The output does not match {shown}.")


# --- json_schema ------------------------------------------------------------------------------


def _where(error: jsonschema_errors.ValidationError) -> str:
    path = error.json_path
    return "the top level" if path == "$" else path


def _schema_param(ctx: GradeContext) -> dict[str, Any] | None:
    schema = ctx.params.get("schema") or _metadata(ctx).get("schema")
    if schema is None or schema == "" or schema == {}:
        return None
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as exc:
            raise Unscored(f"The schema is not valid JSON: {exc}.") from None
    if not isinstance(schema, dict):
        raise Unscored("The schema must be a JSON object.")
    return schema


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    """A checked validator per schema: checking a schema against its metaschema costs far more
    than validating an output, and a run grades every case with the same schema."""
    schema = json.loads(schema_json)
    validator_class: Any = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema_errors.SchemaError as exc:
        raise Unscored(f"The schema is not a valid JSON Schema: {exc.message}.") from None
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@grader(
    "json_schema",
    label="JSON matching a schema",
    description=(
        "The output is valid JSON (a code fence around it is allowed) and, when a `schema` is set "
        "(else the item's metadata.schema), valid against that JSON Schema."
    ),
    default_threshold=1.0,
    params={"schema": {}},
)
def json_schema(ctx: GradeContext) -> Grade:
    schema = _schema_param(ctx)
    validator = None if schema is None else _validator(json.dumps(schema, sort_keys=True))
    text = _unfenced(ctx.output.text).strip()
    try:
        instance = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text:
            return Grade(0.0, "The output is empty, not JSON.")
        return Grade(
            0.0,
            f"The output is not valid JSON: {exc.msg.lower()} at line {exc.lineno}, "
            f"column {exc.colno}.",
        )
    if validator is None:
        return Grade(1.0, "The output is valid JSON.")
    errors = list(validator.iter_errors(instance))
    if not errors:
        return Grade(1.0, "The output is valid JSON and matches the schema.")
    first = jsonschema_errors.best_match(errors)
    assert first is not None  # errors is not empty
    detail = f"at {_where(first)}, {first.message}"
    if len(errors) == 1:
        return Grade(0.0, f"The output breaks the schema {detail}.")
    return Grade(0.0, f"The output breaks the schema in {len(errors)} places; first, {detail}.")


# --- numeric ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundNumber:
    value: float
    written: str  # as it appears in the text


def first_number(text: str) -> FoundNumber | None:
    """The first number written in `text` ("1,200" → 1200, "$40.5" → 40.5, "-3e2" → -300)."""
    for match in _NUMBER_RE.finditer(text):
        signs = (match.group("sign") or "") + (match.group("sign2") or "")
        negative = "-" in signs or "−" in signs
        literal = match.group("body").replace(",", "") + (match.group("exp") or "")
        try:
            value = float(literal)
        except ValueError:  # cannot happen for what the pattern accepts; skip rather than fail
            continue
        if not math.isfinite(value):  # "1e999" is no number anyone meant
            continue
        return FoundNumber(-value if negative else value, match.group(0))
    return None


def _expected_number(ctx: GradeContext) -> float:
    value = ctx.params.get("value")
    if value is None or value == "":
        value = _metadata(ctx).get("expected_number")
    if isinstance(value, bool):
        raise Unscored(f"The expected value must be a number, not {value!r}.")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise Unscored(f"The expected value must be a finite number, not {value!r}.")
        return float(value)
    source = str(value) if value not in (None, "") else ctx.item.reference
    found = first_number(source)
    if found is None:
        if value not in (None, ""):
            raise Unscored(f"The expected value {value!r} is not a number.")
        raise Unscored("There is no expected number: set the value param or a reference with one.")
    return found.value


def _fmt(number: float) -> str:
    return f"{number:,.10g}".replace(",", " ") if abs(number) >= 10_000 else f"{number:.10g}"


@grader(
    "numeric",
    label="Number within tolerance",
    description=(
        "The first number in the output (1,200 · $40.5 · -3e2) equals the expected one (`value`, "
        "else metadata.expected_number, else the reference's first number) within `abs_tol` or "
        "`rel_tol` (a fraction: 0.01 is 1%)."
    ),
    default_threshold=1.0,
    params={"value": None, "abs_tol": 0.0, "rel_tol": 1e-9},
)
def numeric(ctx: GradeContext) -> Grade:
    expected = _expected_number(ctx)
    abs_tol = _number_param(ctx, "abs_tol", 0.0)
    rel_tol = _number_param(ctx, "rel_tol", 1e-9)
    found = first_number(ctx.output.text)
    if found is None:
        return Grade(0.0, f"The output contains no number; expected {_fmt(expected)}.")
    said = found.written.strip()
    said = said if said == _fmt(found.value) else f"{said} ({_fmt(found.value)})"
    if math.isclose(found.value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return Grade(1.0, f"Expected {_fmt(expected)}; the output says {said}: a match.")
    off = abs(found.value - expected)
    relative = f" ({off / abs(expected):.1%})" if expected else ""
    return Grade(
        0.0,
        f"Expected {_fmt(expected)}; the output says {said}, off by {_fmt(off)}{relative}, "
        f"beyond the tolerance (absolute {_fmt(abs_tol)}, relative {rel_tol:.2%}).",
    )


# --- semantic_similarity ----------------------------------------------------------------------


def cosine(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Cosine similarity, or None when a vector has no length (or is not made of numbers)."""
    if len(a) != len(b) or not a:
        return None
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    if not math.isfinite(dot) or not math.isfinite(norm) or norm == 0:
        return None
    return dot / norm


@grader(
    "semantic_similarity",
    label="Semantic similarity",
    description=(
        "How close the output's meaning is to the reference: the cosine of their embeddings "
        "(through the gateway), negative similarity counted as 0."
    ),
    default_threshold=0.8,
    params={"model": ""},
    calls_model=True,
)
def semantic_similarity(ctx: GradeContext) -> Grade:
    reference = ctx.item.reference
    if not reference.strip():
        raise Unscored("There is nothing to compare with: the item has no reference.")
    if not ctx.output.text.strip():
        return Grade(0.0, "The output is empty.")
    try:
        vectors = gateway.embed(
            workspace=ctx.workspace,
            user=ctx.user,
            feature=EMBED_FEATURE,
            texts=[ctx.output.text, reference],
            model=str(ctx.params.get("model") or "") or None,
            job=ctx.link,
        )
    except LLMError as exc:
        raise Unscored(f"The embedding model could not compare the texts: {exc.message}") from exc
    similarity = cosine(vectors[0], vectors[1]) if len(vectors) == 2 else None
    if similarity is None:
        raise Unscored("The embedding model returned vectors that cannot be compared.")
    value = min(max(similarity, 0.0), 1.0)
    return Grade(value, f"The output is {value:.0%} similar in meaning to the reference.")


# --- the judges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    score: float  # 1..5
    reason: str

    @property
    def value(self) -> float:
        return (self.score - 1.0) / 4.0


def _shown(text: str) -> str:
    return _quote(text) if text.strip() else "an empty reply"


def parse_verdict(text: str) -> Verdict:
    """The judge's `{"score": 1-5, "reason": "..."}`, wherever it sits in the reply (prose or a
    code fence around it are fine); anything else is Unscored."""
    decoder = json.JSONDecoder()
    found: Any = None
    for match in re.finditer(r"\{", text):
        try:
            candidate, _end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(candidate, dict) and "score" in candidate:
            found = candidate
            break
    if found is None:
        raise Unscored(f"The judge's answer was not a verdict: {_shown(text)}.")
    raw = found["score"]
    score: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        score = float(raw)
    elif isinstance(raw, str):
        try:
            score = float(raw.strip())
        except ValueError:
            score = None
    if score is None or not math.isfinite(score):
        raise Unscored(f"The judge's answer was not a verdict: its score is {raw!r}.")
    if not 1.0 <= score <= 5.0:
        raise Unscored(f"The judge's answer was not a verdict: its score {raw!r} is not 1 to 5.")
    reason = found.get("reason")
    return Verdict(score, reason.strip() if isinstance(reason, str) else "")


def _judge(
    ctx: GradeContext, *, messages: list[dict[str, str]], prompt_name: str, prompt_version: str
) -> Grade:
    """One judge call for one case, and its verdict as a grade."""
    try:
        result = gateway.complete(
            workspace=ctx.workspace,
            user=ctx.user,
            feature=JUDGE_FEATURE,
            messages=messages,
            prompt_name=prompt_name,
            prompt_version=prompt_version,
            model=str(ctx.params.get("model") or "") or None,
            max_tokens=prompts.JUDGE_MAX_TOKENS,
            # Temperature 0 and a fixed seed: the same case gets the same verdict run after run,
            # as far as the provider honours them.
            temperature=0,
            seed=0,
            job=ctx.link,
        )
    except LLMError as exc:
        raise Unscored(f"The judge model could not grade this case: {exc.message}") from exc
    verdict = parse_verdict(result.text)
    score = f"{verdict.score:g}"
    reason = verdict.reason.rstrip(".") + "." if verdict.reason else "no reason given."
    return Grade(verdict.value, f"The judge gave {score} of 5: {reason}")


@grader(
    "llm_judge",
    label="LLM judge",
    description=(
        "A judge model scores the output 1–5 against the item's reference with a `rubric` "
        "(the default asks whether every fact of the reference is there); mapped to 0..1."
    ),
    default_threshold=0.75,
    params={"rubric": "", "model": ""},
    calls_model=True,
)
def llm_judge(ctx: GradeContext) -> Grade:
    rubric = str(ctx.params.get("rubric") or "")
    if not ctx.item.reference.strip() and not rubric.strip():
        raise Unscored("The judge needs a reference answer or a rubric, and this case has neither.")
    messages = prompts.judge_messages(
        question=prompts.describe_input(ctx.item.input if isinstance(ctx.item.input, dict) else {}),
        answer=ctx.output.text,
        reference=ctx.item.reference,
        rubric=rubric,
    )
    return _judge(
        ctx,
        messages=messages,
        prompt_name=prompts.JUDGE_PROMPT_NAME,
        prompt_version=prompts.JUDGE_PROMPT_VERSION,
    )


@grader(
    "faithfulness",
    label="Faithfulness",
    description=(
        "A judge model scores 1–5 how much of a grounded answer the sources it was given support "
        "(claims not in the sources lower it); mapped to 0..1."
    ),
    default_threshold=0.75,
    params={"rubric": "", "model": ""},
    calls_model=True,
)
def faithfulness(ctx: GradeContext) -> Grade:
    context = ctx.output.context
    wrapped = _SOURCES_RE.match(context)
    sources = wrapped.group(1) if wrapped else context
    if not sources.strip():
        raise Unscored(
            "The target gave the model no sources, so there is nothing to check against."
        )
    if not ctx.output.text.strip():
        raise Unscored("The answer is empty: there is no claim to check against the sources.")
    messages = prompts.faithfulness_messages(
        question=prompts.describe_input(ctx.item.input if isinstance(ctx.item.input, dict) else {}),
        answer=ctx.output.text,
        sources=sources,
        rubric=str(ctx.params.get("rubric") or ""),
    )
    return _judge(
        ctx,
        messages=messages,
        prompt_name=prompts.FAITHFULNESS_PROMPT_NAME,
        prompt_version=prompts.FAITHFULNESS_PROMPT_VERSION,
    )


# --- grounded answers: citations and retrieval ------------------------------------------------


def _claim_words(text: str) -> set[str]:
    words = set()
    for word in _WORD_RE.findall(text.casefold()):
        if word in _FILLER or (len(word) < 3 and not word.isdigit()):
            continue
        # Fold a plural: "jobs" and "job" are one claim.
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return words


def _support(sentence: str, passage: str) -> float:
    claim = _claim_words(_CITATION_RE.sub(" ", sentence))
    if not claim:
        return 1.0  # "See [2]." claims nothing the passage could contradict
    return len(claim & _claim_words(passage)) / len(claim)


def _cited(text: str) -> list[tuple[str, int]]:
    """(sentence, number) for each citation marker in the text, in order."""
    found: list[tuple[str, int]] = []
    for sentence in _SENTENCE_END_RE.split(text):
        for match in _CITATION_RE.finditer(sentence):
            for number in re.split(r"[ \t]*,[ \t]*", match.group(1)):
                found.append((sentence.strip(), int(number)))
    return found


def _citation_number(citation: Mapping[str, Any]) -> int | None:
    number = citation.get("number", citation.get("n"))
    if isinstance(number, str) and number.strip().isdigit():
        return int(number)  # a citation that went through JSON as text
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _fold(names: Iterable[str]) -> set[str]:
    return {name.strip().casefold() for name in names if isinstance(name, str)}


@grader(
    "citation_validity",
    label="Citation validity",
    description=(
        "Each [n] in a grounded answer names a passage it was given, from a retrieved document, "
        "that supports the sentence citing it (shares at least `min_support` of its words). "
        "An answer citing nothing is unscored, or fails when `required`."
    ),
    default_threshold=1.0,
    params={"min_support": 0.3, "required": False},
)
def citation_validity(ctx: GradeContext) -> Grade:
    min_support = _number_param(ctx, "min_support", 0.3)
    citations = {
        number: citation
        for citation in ctx.output.citations
        if isinstance(citation, Mapping) and (number := _citation_number(citation)) is not None
    }
    retrieved = _fold(ctx.output.retrieved)
    checks = _cited(ctx.output.text)
    if not checks:
        # No markers in the text: judge the structured citations alone, if there are any.
        checks = [("", number) for number in citations]
    if not checks:
        if _flag(ctx, "required", False):
            return Grade(0.0, "The answer cites no sources.")
        raise Unscored("The answer cites no sources, so there are no citations to check.")
    problems: list[str] = []
    for sentence, number in checks:
        citation = citations.get(number)
        if citation is None:
            problems.append(f"[{number}] names no passage the answer was given")
            continue
        document = str(citation.get("document") or "")
        if retrieved and document and document.strip().casefold() not in retrieved:
            problems.append(f"[{number}] cites {_quote(document)}, which retrieval did not return")
            continue
        passage = str(citation.get("text") or "")
        if sentence and passage and min_support > 0:
            support = _support(sentence, passage)
            if support < min_support:
                problems.append(
                    f"[{number}] does not support {_quote(sentence)} "
                    f"(the passage has {support:.0%} of its words)"
                )
    valid = len(checks) - len(problems)
    value = valid / len(checks)
    if not problems:
        if len(checks) == 1:
            return Grade(value, "The one citation is valid.")
        return Grade(value, f"All {len(checks)} citations are valid.")
    listed = "; ".join(problems[:LISTED])
    more = f"; and {len(problems) - LISTED} more" if len(problems) > LISTED else ""
    return Grade(
        value, f"{len(problems)} of {len(checks)} citations are not valid: {listed}{more}."
    )


@grader(
    "retrieval_recall",
    label="Retrieval recall@k",
    description=(
        "The share of the item's expected sources among the first `k` documents retrieval "
        "returned. Items without expected sources are unscored."
    ),
    default_threshold=1.0,
    params={"k": 5},
)
def retrieval_recall(ctx: GradeContext) -> Grade:
    raw_k = ctx.params.get("k", 5)
    if isinstance(raw_k, bool) or not isinstance(raw_k, int) or raw_k < 1:
        raise Unscored(f"The grader's k must be a whole number of 1 or more, not {raw_k!r}.")
    expected = list(dict.fromkeys(_texts(ctx.item.expected_sources, "expected sources")))
    if not expected:
        raise Unscored("This item lists no expected sources, so recall cannot be measured.")
    top = _fold(ctx.output.retrieved[:raw_k])
    missing = [name for name in expected if name.strip().casefold() not in top]
    value = (len(expected) - len(missing)) / len(expected)
    where = f"the top {raw_k}" if raw_k > 1 else "the first result"
    if not ctx.output.retrieved:
        return Grade(0.0, f"Retrieval returned nothing; expected {_listing(expected)}.")
    if not missing:
        if len(expected) == 1:
            return Grade(value, f"Found the expected source {_listing(expected)} in {where}.")
        return Grade(value, f"Found all {len(expected)} expected sources in {where}.")
    return Grade(
        value,
        f"Found {len(expected) - len(missing)} of {len(expected)} expected sources in {where}; "
        f"missing {_listing(missing)}.",
    )
