"""Chat's tools in a reply: `current_time`, `search_documents`, steps stored and streamed.

The dev model server calls a tool when the question carries `[[tool: NAME {args}]]`, then answers
from the result ("I used NAME: ...", "The tool NAME failed: ...", or grounded when the result holds
a `<sources>` block).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.chat import services, streams
from product.chat import tools as chat_tools
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send
from product.chat.tests.test_sse import read_stream, stream_url
from product.knowledge import services as knowledge_services
from product.knowledge.models import Chunk, Collection
from product.knowledge.tests.factories import add_document
from product.llm.models import LLMCall
from product.llm.tools import ToolError, ToolScope, tools_for

pytestmark = pytest.mark.usefixtures("devmodel_llm")

PARIS = 'What time is it in Paris? [[tool: current_time {"timezone": "Europe/Paris"}]]'
REAPER = "The reaper re-enqueues stale jobs every thirty seconds."
UPLOADS = "Uploaded files are parsed on their own queue."


def test_a_reply_that_calls_a_tool_stores_and_streams_its_step(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = run_reply(send(conversation, alice, PARIS).reply)
    assert reply.status == Message.Status.DONE
    [step] = reply.tool_steps
    assert (step["name"], step["label"], step["status"]) == (
        "current_time",
        "Checked the time",
        "ok",
    )
    assert step["arguments"] == {"timezone": "Europe/Paris"}
    assert "+01:00" in step["result"] and "Europe/Paris" in step["display"]
    assert reply.text.startswith("I used current_time: The current time in Europe/Paris is")
    # The stream said it as it happened: running, then ok, before the answer's text.
    entries = streams.get_backend().read(reply.pk)
    tool_entries = [json.loads(e.data)["status"] for e in entries if e.kind == streams.TOOL]
    assert tool_entries == ["running", "ok"]
    first_delta = next(i for i, e in enumerate(entries) if e.kind == streams.DELTA)
    assert all(e.kind == streams.TOOL for e in entries[:first_delta])
    # Tokens and cost are the whole reply's: both rounds of the model.
    assert reply.job_id is not None
    calls = LLMCall.objects.filter(job_id=reply.job_id, feature="chat")
    assert calls.count() == 2
    assert reply.input_tokens == sum(c.input_tokens or 0 for c in calls)
    assert reply.output_tokens == sum(c.output_tokens or 0 for c in calls)
    # A reader with a cursor from before the first entry gets the tool events, then the rest.
    first = entries[0].cursor
    before = "0-1" if stream_backend == "redis" else str(int(first) - 1)
    events = read_stream(alice_client, stream_url(reply) + f"?after={before}")
    assert [e["event"] for e in events[:2]] == ["tool", "tool"]
    assert events[-1]["event"] == "done"
    assert events[-1]["data"]["message"]["tool_steps"][0]["status"] == "ok"
    assert 'data-tool-step="' in events[-1]["data"]["html"]


def test_an_invalid_time_zone_is_an_error_the_model_reads_and_the_reply_finishes(
    conversation: Conversation, alice: User
) -> None:
    text = 'Time on Mars? [[tool: current_time {"timezone": "Mars/Olympus_Mons"}]]'
    reply = run_reply(send(conversation, alice, text).reply)
    assert reply.status == Message.Status.DONE
    [step] = reply.tool_steps
    assert step["status"] == "error"
    assert "unknown time zone 'Mars/Olympus_Mons'" in step["error"]
    assert reply.text.startswith("The tool current_time failed:")
    assert "unknown time zone" in reply.text


def test_a_time_zone_is_never_read_as_a_path() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        chat_tools.CurrentTimeArgs(timezone="../../../../etc/passwd")
    assert chat_tools.CurrentTimeArgs.model_validate({}).timezone == "UTC"


# --- search_documents --------------------------------------------------------------------------


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    collection = knowledge_services.create_collection(workspace=acme, user=alice, name="Handbook")
    add_document(collection, name="guide.md", passages=[("Jobs", REAPER), ("Uploads", UPLOADS)])
    return collection


def scope_for(workspace: Workspace, user: User, collection: Collection | None) -> ToolScope:
    return ToolScope(
        workspace=workspace,
        user=user,
        context={
            "conversation_id": None,
            "collection_id": collection.pk if collection is not None else None,
            "sources": chat_tools.SourceRegistry(),
        },
    )


def search(scope: ToolScope, query: str) -> Any:
    return chat_tools.search_documents(scope, chat_tools.SearchDocumentsArgs(query=query))


def test_search_is_offered_only_with_a_collection(
    alice: User, acme: Workspace, handbook: Collection
) -> None:
    names = [tool.name for tool in tools_for(scope_for(acme, alice, None))]
    assert "search_documents" not in names and "current_time" in names
    assert "search_documents" in [t.name for t in tools_for(scope_for(acme, alice, handbook))]


def test_search_reads_only_the_conversations_collection_in_its_workspace(
    alice: User, acme: Workspace, charlie: User, handbook: Collection
) -> None:
    # The same words in another collection of Acme and in a collection of another workspace.
    other = knowledge_services.create_collection(workspace=acme, user=alice, name="Secrets")
    add_document(other, name="secret.md", passages=[("Jobs", REAPER + " Secret one.")])
    corner = Workspace.objects.get(name="Charlie's corner")
    theirs = knowledge_services.create_collection(workspace=corner, user=charlie, name="Theirs")
    add_document(theirs, name="theirs.md", passages=[("Jobs", REAPER + " Secret two.")])
    output = search(scope_for(acme, alice, handbook), "reaper stale jobs")
    assert output.data, "the handbook's passage is found"
    assert {p.collection_id for p in output.data} == {handbook.pk}
    assert "Secret" not in output.content
    assert (
        output.display
        == f"{len(output.data)} passage{'s' if len(output.data) != 1 else ''} from Handbook"
    )
    # A scope naming a collection of another workspace finds nothing: an error result.
    with pytest.raises(ToolError):
        search(scope_for(acme, alice, theirs), "reaper stale jobs")


def test_search_numbers_its_passages_after_those_the_reply_has_shown(
    alice: User, acme: Workspace, handbook: Collection
) -> None:
    scope = scope_for(acme, alice, handbook)
    reaper = Chunk.objects.get(text=REAPER)
    upfront = search(scope, "reaper stale jobs").data
    assert [p.chunk_id for p in upfront][:1] == [reaper.pk]
    sources: chat_tools.SourceRegistry = scope.context["sources"]
    before = len(sources.passages())
    output = search(scope, "uploaded files parsed queue")
    numbers = {p.chunk_id: n for n, p in enumerate(sources.passages(), start=1)}
    uploads = Chunk.objects.get(text=UPLOADS)
    assert numbers[uploads.pk] > before, "a new passage is numbered after the shown ones"
    assert f"[{numbers[uploads.pk]}] guide.md · Uploads" in output.content
    assert "<sources>" in output.content and "</sources>" in output.content
    # Found again, a shown passage keeps its number and is not repeated.
    again = search(scope, "reaper stale jobs")
    assert f"[{numbers[reaper.pk]}]" in again.content
    assert again.content.count(REAPER) == 0
    assert len(sources.passages()) == len(numbers)


@pytest.mark.django_db(transaction=True)
def test_a_grounded_reply_cites_what_its_search_found(
    alice: User, acme: Workspace, handbook: Collection, settings: Any
) -> None:
    # One passage upfront, so the search's find is a new source, numbered after it. (Tools run
    # on their own threads: this test commits its rows so they can read them.)
    settings.KNOWLEDGE_CHAT_PASSAGES = 1
    conversation = services.start_conversation(workspace=acme, user=alice, collection=handbook)
    question = (
        "How often does the reaper re-enqueue stale jobs, and where are uploaded files parsed? "
        '[[tool: search_documents {"query": "uploaded files parsed on their own queue"}]]'
    )
    reply = run_reply(send(conversation, alice, question).reply)
    assert reply.status == Message.Status.DONE
    [step] = reply.tool_steps
    assert (step["name"], step["status"]) == ("search_documents", "ok")
    assert step["display"].endswith("from Handbook")
    cited = {c["n"]: c["chunk_id"] for c in reply.citations}
    reaper, uploads = Chunk.objects.get(text=REAPER), Chunk.objects.get(text=UPLOADS)
    assert cited == {1: reaper.pk, 2: uploads.pk}
    assert "[1]" in reply.text and "[2]" in reply.text


def test_the_step_limit_is_a_line_of_its_own_and_the_reply_still_finishes(
    conversation: Conversation, alice: User, alice_client: Client, settings: Any
) -> None:
    settings.LLM_TOOL_MAX_STEPS = 2
    text = 'Keep checking. [[tool: current_time {"timezone": "UTC"}]] [[tool_loop]]'
    reply = run_reply(send(conversation, alice, text).reply)
    assert reply.status == Message.Status.DONE
    assert [s.get("kind") for s in reply.tool_steps] == ["call", "call", "limit"]
    assert reply.text
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "Stopped using tools after 2 steps" in page
