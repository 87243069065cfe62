"""Suite files and baselines: the shipped suites load, a broken one says which file and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from product.evals import suites
from product.evals.suites import Baseline, BaselineItem, SuiteError

VALID = """
name = "mini"
target = "ask.once"
dataset = "mini.jsonl"

[config]
prompt_version = "1"

[[graders]]
name = "contains"
threshold = 1.0
"""


def write(
    folder: Path, toml: str, *, rows: str = '{"input": {"task": "summarise", "text": "x"}}\n'
) -> Path:
    (folder / "mini.jsonl").write_text(rows)
    path = folder / "mini.toml"
    path.write_text(toml)
    return path


def test_it_finds_the_suites_every_feature_ships() -> None:
    found = {suite.label: suite for suite in suites.discover()}
    assert {"ask/summaries", "knowledge/handbook"} <= found.keys()
    summaries = found["ask/summaries"]
    assert summaries.target == "ask.once"
    assert [g.name for g in summaries.graders] == ["contains", "llm_judge"]
    assert summaries.grader("contains").threshold == 1.0
    assert summaries.config.prompt_version == "1"
    handbook = found["knowledge/handbook"]
    assert handbook.corpus_path is not None and handbook.corpus_path.name == "handbook"
    assert len(list(handbook.corpus_path.glob("*.md"))) == 6


def test_it_loads_a_valid_suite_with_the_gate_defaults(tmp_path: Path) -> None:
    suite = suites.load_suite(write(tmp_path, VALID), app="ask")
    assert suite.label == "ask/mini"
    assert suite.gate == suites.Gate(max_drop=0.05, confidence=0.95, max_unscored=0.1)
    assert suite.repeats == 1
    assert suite.baseline_path == tmp_path / "mini.baseline.json"


def test_it_names_a_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"nothing\.toml: no such suite file\."):
        suites.load_suite(tmp_path / "nothing.toml")


def test_it_says_where_the_toml_is_broken(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "mini"\ntarget = ask.once\n')
    with pytest.raises(SuiteError, match=r"mini\.toml is not valid TOML: .*line 2"):
        suites.load_suite(path)


def test_it_names_an_unknown_grader_and_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('name = "contains"', 'name = "containz"'))
    with pytest.raises(SuiteError) as error:
        suites.load_suite(path)
    message = error.value.message
    assert "mini.toml [[graders]] #1: No grader 'containz' is registered." in message
    assert "Known graders: " in message and "contains" in message


def test_it_names_an_unknown_grader_param_and_the_ones_it_takes(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + 'params = { valuez = ["x"] }\n')
    with pytest.raises(SuiteError) as error:
        suites.load_suite(path)
    assert error.value.message.endswith(
        "mini.toml [[graders]] #1: contains has no param 'valuez' "
        "(it takes: values, forbidden, ignore_case)."
    )


def test_it_names_an_unknown_target(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('target = "ask.once"', 'target = "ask.twice"'))
    with pytest.raises(
        SuiteError,
        match=r"No evaluation target 'ask.twice' is registered\. Known targets: .*ask\.once",
    ):
        suites.load_suite(path)


def test_it_names_an_unknown_prompt_version(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('prompt_version = "1"', 'prompt_version = "9"'))
    with pytest.raises(SuiteError, match=r"\[config\] prompt_version: .*no prompt version '9'"):
        suites.load_suite(path)


def test_it_points_at_the_field_that_is_wrong(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("threshold = 1.0", "threshold = 1.5\ncolour = 'red'"))
    with pytest.raises(SuiteError) as error:
        suites.load_suite(path)
    assert "graders[0].threshold: Input should be less than or equal to 1" in error.value.message
    assert "graders[0].colour: Extra inputs are not permitted" in error.value.message


def test_it_names_a_missing_dataset(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('dataset = "mini.jsonl"', 'dataset = "gone.jsonl"'))
    with pytest.raises(SuiteError, match=r"its dataset .*gone\.jsonl does not exist"):
        suites.load_suite(path)


def test_it_refuses_a_grader_listed_twice(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + '\n[[graders]]\nname = "contains"\n')
    with pytest.raises(SuiteError, match=r"#2: 'contains' is listed twice"):
        suites.load_suite(path)


def test_it_wants_a_corpus_for_a_grounded_target(tmp_path: Path) -> None:
    toml = VALID.replace('target = "ask.once"', 'target = "knowledge.answer"').replace(
        'prompt_version = "1"\n', ""
    )
    with pytest.raises(SuiteError, match=r"answers from documents: give the suite a \[corpus\]"):
        suites.load_suite(write(tmp_path, toml))
    with pytest.raises(SuiteError, match=r"\[corpus\]: the folder .*docs does not exist"):
        suites.load_suite(write(tmp_path, toml + '\n[corpus]\ndocuments = "docs"\n'))


def test_select_names_the_known_suites_when_one_is_unknown() -> None:
    found = suites.discover()
    # By name, or by app/name: a generated feature copies Ask once's suite, name and all.
    assert [s.label for s in suites.select(found, ["handbook"])] == ["knowledge/handbook"]
    assert [s.label for s in suites.select(found, ["ask/summaries"])] == ["ask/summaries"]
    with pytest.raises(
        SuiteError, match=r"No eval suite 'sumaries'\. Known suites: ask/extracts, ask/summaries"
    ):
        suites.select(found, ["sumaries"])


# --- baselines ------------------------------------------------------------------------------------


def baseline(model: str, value: float | None) -> Baseline:
    return Baseline(
        model=model,
        prompt_name="ask.once",
        prompt_version="1",
        config={"prompt_version": "1"},
        repeats=1,
        graders={"contains": {"params": {}, "threshold": 1.0}},
        items=(BaselineItem(key="k1", name="first", scores={"contains": value}),),
    )


def test_a_baseline_round_trips_and_keeps_each_models_own(tmp_path: Path) -> None:
    suite = suites.load_suite(write(tmp_path, VALID), app="ask")
    assert suites.read_baseline(suite, model="keel-dev-small") is None
    suites.write_baseline(suite, baseline("keel-dev-small", 1.0))
    suites.write_baseline(suite, baseline("gpt-4o-mini", None))
    assert suites.baseline_models(suite) == ["gpt-4o-mini", "keel-dev-small"]
    dev = suites.read_baseline(suite, model="keel-dev-small")
    assert dev == baseline("keel-dev-small", 1.0)
    assert dev is not None and dev.scores("contains") == {"k1": 1.0}
    real = suites.read_baseline(suite, model="gpt-4o-mini")
    assert real is not None and real.scores("contains") == {}  # unscored: not a 0


def test_a_broken_baseline_says_how_to_make_it_again(tmp_path: Path) -> None:
    suite = suites.load_suite(write(tmp_path, VALID), app="ask")
    suite.baseline_path.write_text("{not json")
    with pytest.raises(
        SuiteError, match=r"mini\.baseline\.json is not readable JSON .*--update-baseline"
    ):
        suites.read_baseline(suite, model="keel-dev-small")
    suite.baseline_path.write_text('{"format": 1, "models": {"keel-dev-small": {"items": 3}}}')
    with pytest.raises(
        SuiteError, match=r"the baseline of 'keel-dev-small' is not in the expected shape"
    ):
        suites.read_baseline(suite, model="keel-dev-small")


def test_select_wants_app_and_name_when_two_apps_share_a_suite_name(tmp_path: Path) -> None:
    (tmp_path / "ask").mkdir()
    (tmp_path / "notes").mkdir()
    ask = suites.load_suite(write(tmp_path / "ask", VALID), app="ask")
    notes = suites.load_suite(write(tmp_path / "notes", VALID), app="notes")
    with pytest.raises(SuiteError, match=r"'mini' names several suites \(ask/mini, notes/mini\)"):
        suites.select([ask, notes], ["mini"])
    assert suites.select([ask, notes], ["notes/mini"]) == [notes]
