"""The deterministic built-in graders: scores, the sentences that explain them, and Unscored."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from product.accounts.models import User, Workspace
from product.evals.graders import first_number, parse_verdict
from product.evals.registry import Grade, TargetOutput, Unscored, get_grader, graders
from product.evals.tests.grading import RecordingLink, context, grade
from product.jobs.models import Job
from product.llm.models import LLMCall

BUILT_IN = {
    "exact",
    "contains",
    "regex",
    "json_schema",
    "numeric",
    "semantic_similarity",
    "llm_judge",
    "citation_validity",
    "retrieval_recall",
    "faithfulness",
}


def test_every_built_in_grader_is_registered_with_a_label_and_threshold() -> None:
    registered = {g.name: g for g in graders()}
    assert set(registered) >= BUILT_IN
    for name in BUILT_IN:
        spec = registered[name]
        assert spec.label and spec.description
        assert 0.0 <= spec.default_threshold <= 1.0
    assert {name for name in BUILT_IN if registered[name].calls_model} == {
        "semantic_similarity",
        "llm_judge",
        "faithfulness",
    }


# --- exact -------------------------------------------------------------------------------------


def test_exact_matches_with_spaces_tidied() -> None:
    result = grade("exact", "  Paris\n", reference="Paris")
    assert (result.value, result.explanation) == (1.0, "The output matches the reference exactly.")


def test_exact_says_where_the_output_differs() -> None:
    result = grade("exact", "Due April 4", reference="Due April 3")
    assert result.value == 0.0
    assert result.explanation == (
        "The output differs from the reference at character 11: expected 'Due April 3', "
        "got 'Due April 4'."
    )
    assert grade("exact", "Paris, France", reference="Paris").explanation == (
        "The output is the reference followed by ', France'."
    )
    assert grade("exact", "Par", reference="Paris").explanation == (
        "The output stops early: it lacks 'is' at the end."
    )


def test_exact_can_ignore_case_and_prefers_the_value_param() -> None:
    assert grade("exact", "PARIS", reference="paris").value == 0.0
    assert grade("exact", "PARIS", reference="paris", params={"ignore_case": True}).value == 1.0
    assert grade("exact", "Rome", reference="Paris", params={"value": "Rome"}).value == 1.0


def test_exact_without_a_reference_is_unscored() -> None:
    with pytest.raises(Unscored, match="the item has no reference"):
        grade("exact", "anything")


# --- contains ----------------------------------------------------------------------------------


def test_contains_names_what_is_missing_and_scores_the_share_found() -> None:
    result = grade(
        "contains",
        "The invoice of April 3 is due.",
        params={"values": ["April 3", "$40", "Bob"]},
    )
    assert result.value == pytest.approx(1 / 3)
    assert result.explanation == "Missing 2 of 3: '$40', 'Bob'."


def test_contains_reads_metadata_then_the_reference() -> None:
    found = grade("contains", "Pay $40 by april 3.", metadata={"must_contain": ["April 3", "$40"]})
    assert (found.value, found.explanation) == (1.0, "Contains all 2: 'April 3', '$40'.")
    one = grade("contains", "It is in Paris.", reference="Paris")
    assert (one.value, one.explanation) == (1.0, "Contains 'Paris'.")


def test_contains_checks_forbidden_texts_too() -> None:
    result = grade(
        "contains",
        "As an AI model, Paris.",
        params={"values": ["Paris"], "forbidden": ["as an AI"]},
    )
    assert result.value == 0.5
    assert result.explanation == "Contains 1 forbidden text: 'as an AI'."


def test_contains_is_case_sensitive_when_asked() -> None:
    assert grade("contains", "paris", params={"values": "Paris", "ignore_case": False}).value == 0


def test_contains_with_nothing_to_look_for_is_unscored() -> None:
    with pytest.raises(Unscored, match="nothing to look for"):
        grade("contains", "text")
    with pytest.raises(Unscored, match="must be a text or a list of texts"):
        grade("contains", "text", params={"values": [1, 2]})


# --- regex -------------------------------------------------------------------------------------


def test_regex_searches_fullmatches_or_requires_absence() -> None:
    found = grade("regex", "Order #A-1234 shipped", params={"pattern": r"#[A-Z]-\d{4}"})
    assert (found.value, found.explanation) == (
        1.0,
        r"The output matches '#[A-Z]-\d{4}' at '#A-1234'.",
    )
    assert grade("regex", "yes ", params={"pattern": "yes|no", "mode": "fullmatch"}).value == 1
    assert grade("regex", "yes, no", params={"pattern": "yes|no", "mode": "fullmatch"}).value == 0
    absent = grade("regex", "call 555-1234", params={"pattern": r"\d{3}-\d{4}", "mode": "absent"})
    assert absent.value == 0.0 and "which it must not" in absent.explanation
    assert grade("regex", "HELLO", params={"pattern": "hello", "flags": "i"}).value == 1.0
    assert grade("regex", "x", metadata={"pattern": "y"}).explanation == (
        "The output does not match 'y'."
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "There is no pattern"),
        ({"pattern": "(unclosed"}, "not a valid regular expression: missing \\), unterminated"),
        ({"pattern": "(a+)+$"}, "repeats a repeat"),
        ({"pattern": r"(\w*\s?)*x"}, "repeats a repeat"),
        ({"pattern": "(?:x|(y+))*"}, "repeats a repeat"),
        ({"pattern": "a", "flags": "q"}, "Unknown regex flag 'q'"),
        ({"pattern": "a", "mode": "sometimes"}, "Unknown mode"),
        ({"pattern": "a" * 1001}, "longer than 1000"),
    ],
)
def test_regex_refuses_bad_and_catastrophic_patterns(params: dict[str, Any], message: str) -> None:
    with pytest.raises(Unscored, match=message):
        grade("regex", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", params=params)


def test_regex_allows_safe_repeats_and_caps_the_text_it_reads() -> None:
    # Possessive and bounded inner repeats cannot backtrack without end: allowed, and fast.
    started = time.monotonic()
    assert grade("regex", "a" * 5000 + "b", params={"pattern": "(a++)+$"}).value == 0.0
    assert grade("regex", "ab ab", params={"pattern": r"(?:ab\s?){1,5}"}).value == 1.0
    assert time.monotonic() - started < 1.0
    with pytest.raises(Unscored, match="reads at most 20000"):
        grade("regex", "a" * 20_001, params={"pattern": "a"})


# --- json_schema -------------------------------------------------------------------------------

INVOICE = {
    "type": "object",
    "required": ["total", "items"],
    "properties": {
        "total": {"type": "number"},
        "items": {"type": "array", "items": {"type": "object", "required": ["name"]}},
        "due": {"type": "string", "format": "date"},
    },
}


def test_json_schema_accepts_valid_json_in_a_code_fence() -> None:
    output = '```json\n{"total": 40.5, "items": [{"name": "pen"}]}\n```'
    result = grade("json_schema", output, params={"schema": INVOICE})
    assert (result.value, result.explanation) == (
        1.0,
        "The output is valid JSON and matches the schema.",
    )
    assert grade("json_schema", "[1, 2]").explanation == "The output is valid JSON."


def test_json_schema_explains_the_first_error_in_words() -> None:
    one = grade("json_schema", '{"total": "40", "items": []}', params={"schema": INVOICE})
    assert one.value == 0.0
    assert (
        one.explanation == "The output breaks the schema at $.total, '40' is not of type 'number'."
    )
    many = grade(
        "json_schema", '{"items": [{}], "due": "soon"}', metadata={"schema": json.dumps(INVOICE)}
    )
    assert many.explanation.startswith("The output breaks the schema in 3 places; first, at ")


def test_json_schema_says_why_the_output_is_not_json() -> None:
    result = grade("json_schema", '{"total": 40,}')
    assert result.value == 0.0
    assert result.explanation.startswith("The output is not valid JSON: expecting property name")
    assert "line 1, column 14" in result.explanation
    assert grade("json_schema", "  ").explanation == "The output is empty, not JSON."


def test_json_schema_with_a_broken_schema_is_unscored() -> None:
    with pytest.raises(Unscored, match="not a valid JSON Schema: 'strin' is not valid"):
        grade("json_schema", "{}", params={"schema": {"type": "strin"}})
    with pytest.raises(Unscored, match="schema is not valid JSON"):
        grade("json_schema", "{}", params={"schema": "{nope"})


# --- numeric -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("It costs 1,200 dollars", 1200.0),
        ("Total: $40.5.", 40.5),
        ("-3e2 kelvin", -300.0),
        ("a loss of −7", -7.0),
        ("-$12", -12.0),
        ("about .5 of it", 0.5),
        ("version v2 has 3 parts", 3.0),
        ("1,2,3", 1.0),
    ],
)
def test_numeric_reads_the_first_number_as_people_write_it(text: str, value: float) -> None:
    found = first_number(text)
    assert found is not None and found.value == value


def test_numeric_compares_within_tolerance() -> None:
    match = grade("numeric", "The total is 1,200.", reference="1200")
    assert (match.value, match.explanation) == (
        1.0,
        "Expected 1200; the output says 1,200 (1200): a match.",
    )
    miss = grade("numeric", "About $45", params={"value": 40})
    assert miss.value == 0.0
    assert miss.explanation == (
        "Expected 40; the output says $45 (45), off by 5 (12.5%), beyond the tolerance "
        "(absolute 0, relative 0.00%)."
    )
    assert grade("numeric", "About $45", params={"value": 40, "abs_tol": 5}).value == 1.0
    assert grade("numeric", "About $45", params={"value": "40", "rel_tol": 0.2}).value == 1.0
    assert grade("numeric", "3", metadata={"expected_number": 3}).value == 1.0


def test_numeric_without_a_number_in_the_output_fails_and_without_one_expected_is_unscored() -> (
    None
):
    assert grade("numeric", "no idea", reference="42").explanation == (
        "The output contains no number; expected 42."
    )
    with pytest.raises(Unscored, match="There is no expected number"):
        grade("numeric", "42", reference="unknown")
    with pytest.raises(Unscored, match="is not a number"):
        grade("numeric", "42", params={"value": "forty"})
    with pytest.raises(Unscored, match="abs_tol must be a number"):
        grade("numeric", "42", params={"value": 42, "abs_tol": "wide"})
    with pytest.raises(Unscored, match="finite number"):
        grade("numeric", "42", params={"value": math.nan})


# --- citation_validity -------------------------------------------------------------------------

PASSAGES = [
    {"number": 1, "document": "Handbook.pdf", "text": "Install Keel with apt, then run setup."},
    {
        "number": 2,
        "document": "operations.md",
        "text": "The reaper re-enqueues stale jobs every 30 seconds.",
    },
]


def grounded(text: str, **fields: Any) -> TargetOutput:
    return TargetOutput(
        text=text,
        citations=fields.get("citations", PASSAGES),
        retrieved=fields.get("retrieved", ["operations.md", "Handbook.pdf"]),
    )


def test_citation_validity_accepts_citations_that_support_their_sentence() -> None:
    text = "The reaper re-enqueues stale jobs every 30 seconds [2]. Install it with apt [1]."
    result = grade("citation_validity", grounded(text))
    assert (result.value, result.explanation) == (1.0, "All 2 citations are valid.")


def test_citation_validity_names_each_bad_citation() -> None:
    text = "Stale jobs are re-enqueued every 30 seconds [2]. Billing is monthly [1]. Also [7]."
    result = grade("citation_validity", grounded(text))
    assert result.value == pytest.approx(1 / 3)
    assert result.explanation == (
        "2 of 3 citations are not valid: [1] does not support 'Billing is monthly [1].' "
        "(the passage has 0% of its words); [7] names no passage the answer was given."
    )


def test_citation_validity_checks_documents_against_retrieval() -> None:
    result = grade("citation_validity", grounded("Install with apt [1].", retrieved=["other.md"]))
    assert result.value == 0.0
    assert "cites 'Handbook.pdf', which retrieval did not return" in result.explanation


def test_citation_validity_without_citations_is_unscored_unless_required() -> None:
    with pytest.raises(Unscored, match="cites no sources"):
        grade("citation_validity", grounded("Nothing cited.", citations=[]))
    result = grade(
        "citation_validity", grounded("Nothing cited.", citations=[]), params={"required": True}
    )
    assert (result.value, result.explanation) == (0.0, "The answer cites no sources.")


def test_citation_validity_falls_back_to_the_structured_citations() -> None:
    result = grade("citation_validity", grounded("An answer without markers."))
    assert (result.value, result.explanation) == (1.0, "All 2 citations are valid.")
    as_text = [{**PASSAGES[1], "number": "2"}]
    assert (
        grade("citation_validity", grounded("Every 30 seconds [2].", citations=as_text)).value == 1
    )


# --- retrieval_recall --------------------------------------------------------------------------


def test_retrieval_recall_counts_expected_sources_in_the_top_k() -> None:
    output = TargetOutput(text="", retrieved=["a.md", "B.md", "c.md", "d.md"])
    full = grade("retrieval_recall", output, expected_sources=["b.md", "a.md"])
    assert (full.value, full.explanation) == (1.0, "Found all 2 expected sources in the top 5.")
    partial = grade(
        "retrieval_recall", output, expected_sources=["a.md", "d.md", "z.md"], params={"k": 2}
    )
    assert partial.value == pytest.approx(1 / 3)
    assert partial.explanation == (
        "Found 1 of 3 expected sources in the top 2; missing 'd.md', 'z.md'."
    )
    one = grade("retrieval_recall", output, expected_sources=["a.md"], params={"k": 1})
    assert one.explanation == "Found the expected source 'a.md' in the first result."
    nothing = grade("retrieval_recall", TargetOutput(text=""), expected_sources=["a.md"])
    assert (nothing.value, nothing.explanation) == (
        0.0,
        "Retrieval returned nothing; expected 'a.md'.",
    )


def test_retrieval_recall_without_expected_sources_is_unscored() -> None:
    with pytest.raises(Unscored, match="lists no expected sources"):
        grade("retrieval_recall", TargetOutput(text="", retrieved=["a.md"]))
    with pytest.raises(Unscored, match="k must be a whole number"):
        grade("retrieval_recall", TargetOutput(text=""), expected_sources=["a"], params={"k": 0})


# --- the judge's verdict -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "score", "reason"),
    [
        ('{"score": 4, "reason": "Misses the date."}', 4, "Misses the date."),
        ('```json\n{"score": 5, "reason": "All there."}\n```', 5, "All there."),
        ('Sure! Here is my verdict: {"reason": "Half.", "score": "3"} Hope it helps.', 3, "Half."),
        ('{"note": {"x": 1}} then {"score": 1}', 1, ""),
    ],
)
def test_a_verdict_is_found_in_prose_and_code_fences(reply: str, score: int, reason: str) -> None:
    verdict = parse_verdict(reply)
    assert (verdict.score, verdict.reason) == (score, reason)
    assert verdict.value == (score - 1) / 4


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("The answer looks good to me.", "not a verdict: 'The answer looks good to me.'"),
        ("", "not a verdict: an empty reply"),
        ('{"score": 7}', "its score 7 is not 1 to 5"),
        ('{"score": NaN}', "its score is nan"),
        ('{"score": true}', "its score is True"),
        ('{"score": "high"}', "its score is 'high'"),
        ('{"reason": "no score"}', "not a verdict"),
    ],
)
def test_anything_else_from_the_judge_is_unscored(reply: str, message: str) -> None:
    with pytest.raises(Unscored, match=message):
        parse_verdict(reply)


# --- never NaN ---------------------------------------------------------------------------------

DETERMINISTIC_CASES: list[tuple[str, dict[str, Any]]] = [
    ("exact", {"reference": "a"}),
    ("contains", {"params": {"values": ["a", "b"], "forbidden": ["c"]}}),
    ("regex", {"params": {"pattern": r"\d+"}}),
    ("json_schema", {"params": {"schema": INVOICE}}),
    ("numeric", {"params": {"value": 1.5, "rel_tol": 0.1}}),
    ("citation_validity", {}),
]


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_no_deterministic_grader_returns_anything_but_a_number_in_range(text: str) -> None:
    for name, fields in DETERMINISTIC_CASES:
        output = grounded(text) if name == "citation_validity" else text
        try:
            result = get_grader(name).grade(context(output, **fields))
        except Unscored as unscored:
            assert str(unscored)
            continue
        assert 0.0 <= result.value <= 1.0 and not math.isnan(result.value)
        assert result.explanation.endswith(".")


# --- graders that call a model (through the dev model server) ---------------------------------


@pytest.fixture
def link(acme: Workspace) -> RecordingLink:
    """The run's job, as the case link the runner gives graders."""
    return RecordingLink(Job.objects.create(workspace=acme, kind="evals.run").pk)


@pytest.fixture
def live(acme: Workspace, alice: User, link: RecordingLink) -> Callable[..., Grade]:
    """Grade as alice in Acme, with the run's link: `live("llm_judge", output, **item_fields)`."""

    def run(name: str, output: str | TargetOutput, **fields: Any) -> Grade:
        ctx = context(output, workspace=acme, user=alice, link=link, **fields)
        return get_grader(name).grade(ctx)

    return run


REFERENCE = "Keel ships on April 3 and costs $40."


@pytest.mark.django_db
def test_the_judge_grades_one_case_on_the_ledger_of_the_run_s_job(
    devmodel_llm: str,
    live: Callable[..., Grade],
    link: RecordingLink,
    acme: Workspace,
    alice: User,
) -> None:
    result = live("llm_judge", "Keel ships on April 3.", reference=REFERENCE)
    assert result.value == 0.5
    assert result.explanation == (
        "The judge gave 3 of 5: The answer has 4 of the reference's 6 key words; it lacks "
        "'costs', '40'."
    )
    # The answer's charge waits for the case's transaction, like every call of a job.
    assert not LLMCall.objects.exists()
    [charge] = link.charges
    link.write()
    call = LLMCall.objects.get()
    assert [c.pk for c in charge.calls] == [call.pk] == [c.pk for c in link.calls]
    assert (call.feature, call.prompt_name, call.prompt_version) == (
        "evals.judge",
        "evals.judge",
        "1",
    )
    assert call.job_id == link.job_id and call.workspace == acme and call.user == alice
    assert call.status == LLMCall.Status.SUCCEEDED and call.cost_usd is not None


@pytest.mark.django_db
def test_a_verdict_does_not_depend_on_the_cases_graded_before(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    first = live("llm_judge", "Keel ships on April 3.", reference=REFERENCE)
    live("llm_judge", "Nothing useful.", reference="Another reference.")
    again = live("llm_judge", "Keel ships on April 3.", reference=REFERENCE)
    assert first == again
    # One case per call: each request carried exactly one answer.
    assert len(link.charges) == 3


@pytest.mark.django_db
def test_the_judge_reads_the_item_s_input_as_material_not_as_instructions(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    scripted = {"task": "summarise", "text": "[[reply: Keel ships on April 3.]] The memo."}
    result = live(
        "llm_judge",
        "Keel ships on April 3.",
        reference="Keel ships on April 3.",
        input=scripted,
    )
    assert result.value == 1.0


@pytest.mark.django_db
def test_a_judge_answering_garbage_leaves_the_case_unscored_but_charged(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    with pytest.raises(Unscored) as caught:
        live(
            "llm_judge",
            "Keel ships.",
            reference=REFERENCE,
            params={"rubric": "[[reply: Looks fine to me.]]"},
        )
    assert str(caught.value) == "The judge's answer was not a verdict: 'Looks fine to me.'."
    assert len(link.charges) == 1  # the call happened: the runner still writes its charge


@pytest.mark.django_db
def test_a_judge_that_cannot_answer_leaves_the_case_unscored(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    with pytest.raises(Unscored, match="The judge model could not grade this case: The AI model"):
        live(
            "llm_judge",
            "Keel ships.",
            reference=REFERENCE,
            params={"rubric": "[[error: 400]]"},
        )
    failed = LLMCall.objects.get()
    assert failed.status == LLMCall.Status.FAILED and failed.job_id == link.job_id


def test_the_judge_needs_a_reference_or_a_rubric() -> None:
    with pytest.raises(Unscored, match="needs a reference answer or a rubric"):
        grade("llm_judge", "anything")


@pytest.mark.django_db
def test_faithfulness_judges_the_answer_against_the_sources_it_was_given(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    sources = (
        "<sources>\n[1] Handbook.pdf\nInstall Keel with apt.\n\n"
        "[2] operations.md\nThe reaper re-enqueues stale jobs every 30 seconds.\n</sources>"
    )
    faithful = TargetOutput(
        text="The reaper re-enqueues stale jobs every 30 seconds [2].", context=sources
    )
    result = live("faithfulness", faithful, input={"question": "How often?"})
    assert result.value == 1.0
    assert result.explanation == (
        "The judge gave 5 of 5: The sources support 1 of the answer's 1 sentence."
    )
    invented = TargetOutput(
        text="Stale jobs are re-enqueued every 30 seconds [2]. Billing is monthly.",
        context=sources,
    )
    assert live("faithfulness", invented).value == 0.5
    link.write()
    assert set(LLMCall.objects.values_list("prompt_name", flat=True)) == {"evals.faithfulness"}


def test_faithfulness_without_sources_or_an_answer_is_unscored() -> None:
    with pytest.raises(Unscored, match="no sources"):
        grade("faithfulness", TargetOutput(text="An answer."))
    with pytest.raises(Unscored, match="The answer is empty"):
        grade("faithfulness", TargetOutput(text=" ", context="[1] a\ntext"))


@pytest.mark.django_db
def test_semantic_similarity_embeds_both_texts_through_the_gateway(
    devmodel_llm: str, live: Callable[..., Grade], link: RecordingLink
) -> None:
    same = live("semantic_similarity", REFERENCE, reference=REFERENCE)
    assert same.value == pytest.approx(1.0)
    assert same.explanation == "The output is 100% similar in meaning to the reference."
    close = live(
        "semantic_similarity",
        "The Keel launch on April 3 costs $40.",
        reference=REFERENCE,
    )
    far = live("semantic_similarity", "Bananas are yellow.", reference=REFERENCE)
    assert 0.0 <= far.value < close.value < 1.0
    # Embeddings are charged at once, linked to the job.
    calls = LLMCall.objects.filter(feature="evals.grade")
    assert calls.count() == 3 and {c.job_id for c in calls} == {link.job_id}
    empty = live("semantic_similarity", " ", reference=REFERENCE)
    assert (empty.value, empty.explanation) == (0.0, "The output is empty.")


def test_semantic_similarity_without_a_reference_is_unscored() -> None:
    with pytest.raises(Unscored, match="no reference"):
        grade("semantic_similarity", "text")
