"""`manage.py knowledge evaluate`: a BEIR folder through the real pipeline and search, scored."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from product.accounts.models import User, Workspace
from product.core.errors import InvalidInput
from product.knowledge import quality
from product.knowledge.models import Chunk, ChunkEmbedding, Document, EmbeddingIndex

CORPUS = [
    {"_id": "reaper", "title": "Jobs", "text": "The reaper re-enqueues stale jobs every minute."},
    {"_id": "budget", "title": "", "text": "Each workspace has a monthly budget for AI spend."},
    {"_id": "streams", "title": "", "text": "Replies stream to the browser over server events."},
]
QUERIES = [
    {"_id": "q1", "text": "stale jobs reaper"},
    {"_id": "q2", "text": "monthly budget"},
    {"_id": "q3", "text": "a query nobody judged"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\treaper\t1\nq2\tbudget\t2\nq2\tstreams\t0\n"


def write_beir(folder: Path, *, qrels: str = QRELS) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(row) + "\n" for row in CORPUS))
    (folder / "queries.jsonl").write_text("".join(json.dumps(row) + "\n" for row in QUERIES))
    (folder / "qrels" / "test.tsv").write_text(qrels)
    return folder


def test_load_beir_reads_the_three_files(tmp_path: Path) -> None:
    beir = quality.load_beir(write_beir(tmp_path / "set"))
    assert beir.corpus["reaper"] == ("Jobs", CORPUS[0]["text"])
    assert beir.queries["q3"] == "a query nobody judged"
    assert beir.qrels == {"q1": {"reaper": 1}, "q2": {"budget": 2, "streams": 0}}


def test_load_beir_says_which_file_and_line_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is missing"):
        quality.load_beir(tmp_path)
    folder = write_beir(tmp_path / "set", qrels="query-id\tcorpus-id\tscore\nq1\treaper\n")
    with pytest.raises(InvalidInput, match=r"test.tsv, line 2: expected query-id"):
        quality.load_beir(folder)
    (folder / "qrels" / "test.tsv").write_text("q1\treaper\thigh\n")
    with pytest.raises(InvalidInput, match="line 1: the score 'high' is not a number"):
        quality.load_beir(folder)
    (folder / "corpus.jsonl").write_text('{"_id": "a", "text": "x"}\nnot json\n')
    with pytest.raises(InvalidInput, match=r"corpus.jsonl, line 2: not JSON"):
        quality.load_beir(folder)


@pytest.mark.django_db
@pytest.mark.usefixtures("devmodel_llm")
def test_evaluate_scores_each_leg_and_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    out = StringIO()
    call_command(
        "knowledge",
        "evaluate",
        "--beir",
        str(folder),
        "--json",
        "--sweep",
        "1:0,0:1",
        stdout=out,
        stderr=out,
    )
    lines = out.getvalue().splitlines()
    result = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    assert (result["docs"], result["ready"], result["queries"]) == (3, 3, 2)
    # Two easy queries: the one relevant document is the keyword leg's first each time.
    assert result["keyword"] == {"ndcg@10": 1.0, "recall@10": 1.0, "mrr": 1.0}
    assert result["fused"]["recall@10"] == 1.0
    assert set(result["vector"]) == {"ndcg@10", "recall@10", "mrr"}
    assert result["index_model"] == "keel-dev-embed"
    assert any(line.startswith("fused ") for line in lines)
    # Keyword weight alone is the keyword leg's order; vector weight alone the vector leg's.
    assert result["sweep"]["1.0:0.0"] == result["keyword"]
    assert result["sweep"]["0.0:1.0"] == result["vector"]
    # The scratch user, workspace and every row of theirs are gone.
    assert not Workspace.objects.exists()
    assert not User.objects.exists()
    assert not Document.objects.exists()
    assert not Chunk.objects.exists()
    assert not ChunkEmbedding.objects.exists()
    assert not EmbeddingIndex.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("devmodel_llm")
def test_evaluate_keeps_the_scratch_workspace_when_asked(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    out = StringIO()
    call_command("knowledge", "evaluate", "--beir", str(folder), "--keep", stdout=out, stderr=out)
    workspace = Workspace.objects.get()
    assert f"kept the scratch workspace {workspace.pk}" in out.getvalue()
    assert Document.objects.filter(workspace=workspace, status="ready").count() == 3
    assert workspace.created_by is not None
    assert not workspace.created_by.is_active


@pytest.mark.django_db
def test_evaluate_turns_a_bad_folder_into_a_readable_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="corpus.jsonl is missing"):
        call_command("knowledge", "evaluate", "--beir", str(tmp_path), stdout=StringIO())
