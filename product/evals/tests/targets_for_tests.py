"""A target used only by the tests: datasets and feedback work without any feature's target.

`ANSWERS` stands in for a feature's rows: feedback on subject id X snapshots ANSWERS[X].
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from product.accounts.models import Workspace
from product.evals.registry import Example, TargetContext, TargetOutput, target

NAME = "tests.qa"
ANSWERS: dict[str, tuple[str, Example]] = {}  # subject id → (workspace id, example)


class QAInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    context: str = ""
    limit: int | None = None


def example_for(workspace: Workspace, subject_id: str) -> Example | None:
    found = ANSWERS.get(str(subject_id))
    if found is None or found[0] != str(workspace.pk):
        return None
    return found[1]


@target(
    NAME,
    label="Test Q&A",
    input_model=QAInput,
    prompt_name="tests.qa",
    prompt_versions={"1": "Answer the question"},
    current_version="1",
    example_for=example_for,
)
def run_qa(ctx: TargetContext) -> TargetOutput:
    assert isinstance(ctx.input, QAInput)
    return TargetOutput(text=f"An answer to {ctx.input.question}")
