"""Title requests: chat's title prompt gets a title, not the echo reply."""

from __future__ import annotations

from product.chat.prompts import TITLE_PROMPT
from product.devmodel.tests import chatting
from product.devmodel.titles import is_title_request, title_reply

# Chat's own title prompt: the dev model must recognise the real one, not a copy of it.
TITLE_SYSTEM = TITLE_PROMPT


def test_it_answers_a_title_request_with_a_title(devmodel: str) -> None:
    title = chatting.reply(devmodel, "explain queues slowly, please?", system=TITLE_SYSTEM)
    assert title == "Explain Queues Slowly Please"
    long = chatting.reply(devmodel, "Plan the spring launch for our API team", system=TITLE_SYSTEM)
    assert long == "Plan the Spring Launch for Our"
    # Without the title request the same message gets the echo reply.
    assert chatting.reply(devmodel, "explain queues slowly").startswith("Echo: explain queues")


def test_it_writes_titles_in_title_case() -> None:
    assert title_reply("use the API with iOS v2 today or never") == "Use the API with iOS v2"
    assert title_reply("  **hello**,  world!  ") == "Hello World"
    assert title_reply("[[ ]] ...") == "New Conversation"
    assert is_title_request(TITLE_SYSTEM)
    assert not is_title_request("You are Keel's assistant: helpful, precise and brief.")
