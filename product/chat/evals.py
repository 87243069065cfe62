"""A chat reply as an evaluation target (product/evals/registry.py): an item holds the
conversation so far, and the target answers its last (user) message the way chat does, with the
same prompt builder (prompts.reply_messages). Ungrounded: a reply grounded in a collection is what
the `knowledge.answer` target measures.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from product.chat import prompts
from product.chat.selectors import feedback_example
from product.chat.services import FEATURE, MAX_MESSAGE_CHARS
from product.evals.registry import TargetContext, TargetOutput, target
from product.llm import gateway


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ChatInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Turn] = Field(min_length=1, max_length=200)

    @field_validator("messages")
    @classmethod
    def _ends_with_the_user(cls, messages: list[Turn]) -> list[Turn]:
        if messages[-1].role != "user":
            raise ValueError("The last message must be the user's: it is the one answered.")
        return messages


@target(
    prompts.REPLY_PROMPT_NAME,
    label="Chat reply",
    input_model=ChatInput,
    prompt_name=prompts.REPLY_PROMPT_NAME,
    prompt_versions=prompts.REPLY_VERSIONS,
    current_version=prompts.REPLY_PROMPT_VERSION,
    default_graders=("contains",),
    example_for=feedback_example,
)
def run_chat_reply(ctx: TargetContext) -> TargetOutput:
    assert isinstance(ctx.input, ChatInput)
    turns = [{"role": turn.role, "content": turn.content} for turn in ctx.input.messages]
    answer = gateway.complete(
        workspace=ctx.workspace,
        user=ctx.user,
        feature=FEATURE,
        messages=prompts.reply_messages(turns, version=ctx.prompt_version),
        prompt_name=prompts.REPLY_PROMPT_NAME,
        prompt_version=ctx.prompt_version,
        model=ctx.config.model or None,
        temperature=ctx.config.temperature,
        job=ctx.link,
    )
    return TargetOutput(text=answer.text, answer=answer)
