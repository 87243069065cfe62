"""The feature targets: registered with their prompt versions, sending what the features send."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from product.accounts.models import User, Workspace
from product.ask import prompts as ask_prompts
from product.ask.evals import AskInput, messages_for_input
from product.ask.services import messages_for, submit_question
from product.chat.evals import ChatInput
from product.evals.errors import EvalError
from product.evals.registry import RunConfig, get_target
from product.knowledge import services as knowledge_services


def test_it_registers_the_three_feature_targets() -> None:
    ask = get_target("ask.once")
    assert ask.current_version == "1"
    assert set(ask.prompt_versions) == {"1", "2"}
    assert get_target("chat.reply").prompt_versions.keys() == {"1"}
    grounded = get_target("knowledge.answer")
    assert grounded.grounded
    assert grounded.validate_config is not None


@pytest.mark.django_db
def test_the_ask_target_sends_what_ask_once_sends(alice: User, acme: Workspace) -> None:
    for task, instruction in [("summarise", ""), ("key_points", ""), ("custom", " List names ")]:
        question = submit_question(
            workspace=acme, user=alice, text="Alpha. Beta.", task=task, instruction=instruction
        )
        data = AskInput.model_validate(
            {"task": task, "text": "Alpha. Beta.", "instruction": instruction}
        )
        assert messages_for_input(data, version="1") == messages_for(question)


def test_version_two_asks_for_one_sentence_and_version_one_is_unchanged() -> None:
    data = AskInput(task="summarise", text="Alpha. Beta.")
    current = messages_for_input(data, version="1")[-1]["content"]
    brief = messages_for_input(data, version="2")[-1]["content"]
    assert current.startswith("Summarise the following text in one short paragraph.")
    assert "in one sentence" in brief
    assert brief.endswith("---\nAlpha. Beta.")
    custom = AskInput(task="custom", text="x", instruction="Name the people.")
    assert ask_prompts.build_messages(task="custom", text="x", instruction="Name the people.")[-1][
        "content"
    ].startswith("Name the people.\n")
    assert "Answer in one sentence." in messages_for_input(custom, version="2")[-1]["content"]
    with pytest.raises(LookupError):
        ask_prompts.build_messages(task="summarise", text="x", version="9")


def test_inputs_are_validated_with_readable_messages() -> None:
    with pytest.raises(ValidationError, match="custom task needs an instruction"):
        AskInput(task="custom", text="x")
    with pytest.raises(ValidationError, match="last message must be the user's"):
        ChatInput.model_validate(
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"},
                ]
            }
        )


@pytest.mark.django_db
def test_a_grounded_run_needs_a_collection_of_its_workspace(
    alice: User, acme: Workspace, charlie: User
) -> None:
    check = get_target("knowledge.answer").validate_config
    assert check is not None
    with pytest.raises(EvalError, match="Pick the collection"):
        check(acme, RunConfig())
    theirs = knowledge_services.create_collection(
        workspace=Workspace.objects.get(name="Charlie's corner"), user=charlie, name="Theirs"
    )
    with pytest.raises(EvalError, match="No such collection"):
        check(acme, RunConfig(collection_id=str(theirs.pk)))
    ours = knowledge_services.create_collection(workspace=acme, user=alice, name="Ours")
    check(acme, RunConfig(collection_id=str(ours.pk)))
