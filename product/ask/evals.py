"""Ask once as an evaluation target (product/evals/registry.py): a dataset item's input is what a
person submits (task, text, instruction), and a run may send any prompt version of prompts.VERSIONS.

The target sends exactly the messages the feature sends for that version (one builder,
prompts.build_messages, after the same checks), so a score measures the feature, not a copy of it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from product.ask import prompts, schemas
from product.ask.selectors import feedback_example
from product.ask.services import check_question
from product.evals.registry import TargetContext, TargetOutput, target
from product.llm import gateway
from product.llm.structured import complete_structured


class AskInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: prompts.TaskName = "summarise"
    text: str = Field(min_length=1, max_length=prompts.MAX_TEXT_CHARS)
    instruction: str = Field(default="", max_length=prompts.MAX_INSTRUCTION_CHARS)

    @model_validator(mode="after")
    def _custom_needs_instruction(self) -> AskInput:
        if self.task == "custom" and not self.instruction.strip():
            raise ValueError("A custom task needs an instruction.")
        return self


def messages_for_input(data: AskInput, *, version: str) -> list[dict[str, str]]:
    """The messages Ask once sends for this input with prompt `version` (what submit_question
    checks and stores, then builds on the worker)."""
    instruction = prompts.clean_instruction(task=data.task, instruction=data.instruction)
    check_question(task=data.task, text=data.text, instruction=instruction)
    return prompts.build_messages(
        task=data.task, text=data.text, instruction=instruction, version=version
    )


@target(
    prompts.KIND,
    label="Ask once",
    input_model=AskInput,
    prompt_name=prompts.PROMPT_NAME,
    prompt_versions=prompts.VERSIONS,
    current_version=prompts.PROMPT_VERSION,
    default_graders=("contains",),
    example_for=feedback_example,
)
def run_ask_once(ctx: TargetContext) -> TargetOutput:
    assert isinstance(ctx.input, AskInput)
    schema = schemas.schema_for(ctx.input.task)
    if schema is not None:
        # An extract task: the text graders read is the validated JSON (the json_schema grader).
        extracted = complete_structured(
            workspace=ctx.workspace,
            user=ctx.user,
            feature=prompts.KIND,
            messages=messages_for_input(ctx.input, version=ctx.prompt_version),
            schema=schema,
            prompt_name=prompts.PROMPT_NAME,
            prompt_version=ctx.prompt_version,
            model=ctx.config.model or None,
            temperature=ctx.config.temperature,
            job=ctx.link,
        )
        return TargetOutput(text=extracted.value.model_dump_json(), answer=extracted.chat)
    answer = gateway.complete(
        workspace=ctx.workspace,
        user=ctx.user,
        feature=prompts.KIND,
        messages=messages_for_input(ctx.input, version=ctx.prompt_version),
        prompt_name=prompts.PROMPT_NAME,
        prompt_version=ctx.prompt_version,
        model=ctx.config.model or None,
        temperature=ctx.config.temperature,
        job=ctx.link,
    )
    return TargetOutput(text=answer.text, answer=answer)
