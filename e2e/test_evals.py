"""Evaluation, end to end: a person rates an answer down, turns it into a dataset case, runs two
prompt versions over the cases on the workers, and the comparison puts the regressed case first."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Stack
from e2e.test_ask import sign_in

TIMEOUT = 30_000
# Ask once's prompt version 1 keeps three sentences; the candidate version 2 keeps one, so a fact
# in a later sentence is dropped (the dev model answers extractively, docs/devmodel.md).
RATED_TEXT = (
    "The spring launch moved to April 3. Each seat costs $40 a month. "
    "Support answers on weekdays from nine to five."
)
# The run form names a dataset with its feature and current version.
DATASET_OPTION = "Launch summaries (Ask once, v3)"
IMPORTED = [
    {
        "key": "first-sentence-fact",
        "input": {"task": "summarise", "text": "Keel ships on Fridays. Reviews happen daily."},
        "metadata": {"must_contain": ["Fridays"]},
    },
    {
        "key": "third-sentence-fact",
        "input": {
            "task": "summarise",
            "text": "The office opens in May. It has two floors. Parking costs $12 a day.",
        },
        "metadata": {"must_contain": ["$12"]},
    },
]


@pytest.fixture
def evaluator(browser: Browser, stack: Stack) -> Iterator[Page]:
    yield from sign_in(browser, stack, f"evals-{uuid.uuid4().hex[:8]}@example.com")


def start_run(page: Page, stack: Stack, *, dataset: str, prompt_version: str, name: str) -> str:
    page.goto(f"{stack.url}/evals/runs/new/")
    form = page.get_by_test_id("run-form")
    form.get_by_label("Dataset").select_option(label=dataset)
    form.get_by_label("Prompt version").select_option(value=f"ask.once:{prompt_version}")
    form.get_by_label("Name").fill(name)
    graders = page.get_by_test_id("run-graders")
    for box in graders.get_by_role("checkbox").all():
        box.uncheck()
    graders.get_by_role("checkbox", name=re.compile("^Contains")).check()
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r".*/evals/runs/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=TIMEOUT)
    return page.url


def test_a_rated_reply_becomes_a_case_and_the_comparison_shows_the_regression_first(
    evaluator: Page, stack: Stack, screenshots_dir: Path, tmp_path: Path
) -> None:
    page = evaluator
    # 1. An answer, rated down with a comment.
    page.goto(f"{stack.url}/ask/")
    page.get_by_label("Text").fill(RATED_TEXT)
    page.get_by_label("Summarise").check()
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url(re.compile(r".*/ask/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=TIMEOUT)
    feedback = page.locator("form[data-feedback]")
    feedback.get_by_text("Add a comment").click()
    feedback.get_by_label("Comment").fill("It should always name the price.")
    feedback.get_by_role("button", name="Bad answer").click()
    expect(page.locator("[data-feedback-saved]")).to_contain_text("you rated it bad")

    # 2. A dataset for Ask once; the rated answer goes into it from the feedback list.
    page.goto(f"{stack.url}/evals/datasets/")
    page.get_by_label("Name").fill("Launch summaries")
    page.get_by_label("Cases for").select_option(label="Ask once")
    page.get_by_role("button", name="Create dataset").click()
    # Wait for the dataset to exist: the feedback list offers "Add to dataset" only then.
    expect(page.get_by_role("heading", level=1)).to_have_text("Launch summaries")
    page.goto(f"{stack.url}/evals/feedback/")
    row = page.locator("li, tr").filter(has_text="It should always name the price.").first
    expect(row).to_contain_text("keel-dev-small")
    row.get_by_label("Dataset").select_option(label="Launch summaries")
    row.get_by_role("button", name="Add to dataset").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text(
        re.compile("Added|added"), timeout=TIMEOUT
    )

    # 3. The case says what a good answer holds; two more cases come from a file.
    page.goto(f"{stack.url}/evals/datasets/")
    page.get_by_role("link", name="Launch summaries").click()
    item = page.locator(".evals-item").first
    item.get_by_text("Edit").click()
    item.get_by_label("Metadata (JSON)").fill(json.dumps({"must_contain": ["$40"]}))
    item.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".evals-versions li")).to_have_count(2, timeout=TIMEOUT)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(row) + "\n" for row in IMPORTED))
    page.locator("#import-panel").get_by_label("File").set_input_files(str(cases))
    page.locator("#import-panel").get_by_role("button", name="Import").click()
    expect(page.locator(".evals-item")).to_have_count(3, timeout=TIMEOUT)
    expect(page.locator(".evals-versions li")).to_have_count(3)

    # 4. Two configurations: the current prompt, and the terser candidate.
    start_run(page, stack, dataset=DATASET_OPTION, prompt_version="1", name="Prompt v1")
    expect(page.get_by_test_id("run-aggregates")).to_contain_text("Contains")
    start_run(page, stack, dataset=DATASET_OPTION, prompt_version="2", name="Prompt v2")

    # 5. Compare them, the current prompt as the baseline: the regressions come first.
    page.goto(f"{stack.url}/evals/runs/")
    page.get_by_role("checkbox", name="Compare Prompt v1").check()
    page.get_by_role("checkbox", name="Compare Prompt v2").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_test_id("compare-aggregate")).to_contain_text("baseline")
    rows = page.get_by_test_id("compare-case")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_class(re.compile("evals-regressed"))
    expect(rows.last).not_to_have_class(re.compile("evals-regressed"))
    expect(rows.last).to_contain_text("Fridays")
    page.screenshot(path=str(screenshots_dir / "evals-compare.png"), full_page=True)
