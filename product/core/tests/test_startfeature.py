"""`manage.py startfeature`: names, refusals, and what it writes (CI also runs the output's tests:
.ci/feature-check)."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def project(tmp_path: Path, settings: Any) -> Path:
    """A copy of what the command reads and edits, so the real tree is never touched."""
    shutil.copytree(ROOT / "product" / "ask", tmp_path / "product" / "ask")
    shutil.copytree(ROOT / "templates" / "ask", tmp_path / "templates" / "ask")
    (tmp_path / "e2e").mkdir()
    shutil.copy(ROOT / "e2e" / "test_ask.py", tmp_path / "e2e" / "test_ask.py")
    shutil.copy(ROOT / "product" / "settings.py", tmp_path / "product" / "settings.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    settings.BASE_DIR = tmp_path
    return tmp_path


def test_it_generates_every_layer_with_the_new_names(project: Path) -> None:
    call_command("startfeature", "notes", stdout=StringIO())
    app = project / "product" / "notes"
    for name in ["models.py", "prompts.py", "services.py", "handlers.py", "selectors.py",
                 "views.py", "urls.py", "api.py", "admin.py", "forms.py", "apps.py",
                 "migrations/0001_initial.py", "tests/test_api.py", "tests/factories.py"]:  # fmt: skip
        assert (app / name).is_file(), name
    assert not (app / "migrations" / "0002_questions_from_jobs.py").exists()
    initial = (app / "migrations" / "0001_initial.py").read_text()
    # Written from the reference model as it is now, renamed: its current choices included.
    assert (
        'name="Note"' in initial
        and "extract_invoice" in initial
        and 'related_name="notes"' in initial
    )
    assert not (app / "tests" / "test_migrations.py").exists()
    assert (project / "templates" / "notes" / "note_list.html").is_file()
    models = (app / "models.py").read_text()
    assert "class Note(TimeStampedModel):" in models
    assert "question" not in models.lower() and "product.ask" not in models
    assert 'KIND = "notes.run"' in (app / "prompts.py").read_text()
    api = (app / "api.py").read_text()
    assert '"/notes"' in api and 'tags=["notes"]' in api and "def create_note(" in api
    assert 'app_name = "notes"' in (app / "urls.py").read_text()
    assert "class NotesConfig(AppConfig):" in (app / "apps.py").read_text()
    journey = (project / "e2e" / "test_notes.py").read_text()
    assert '"/notes/"' in journey or "/notes/" in journey
    assert ".screenshot(" not in journey, "the reference journey's screenshots stay its own"
    assert '    "product.notes",\n]' in (project / "product" / "settings.py").read_text()
    assert '"ask | chat | notes",' in (project / "pyproject.toml").read_text()


def test_it_derives_the_model_name_and_takes_another(project: Path) -> None:
    call_command("startfeature", "summaries", stdout=StringIO())
    assert "class Summary(" in (project / "product" / "summaries" / "models.py").read_text()
    call_command("startfeature", "memos", "--model", "Memo", "--no-register", stdout=StringIO())
    assert '"product.memos"' not in (project / "product" / "settings.py").read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Notes"], "lowercase letters"),
        (["no_tes"], "lowercase letters"),
        (["class"], "lowercase letters"),
        (["chat"], "is taken"),
        (["api"], "is taken"),
        (["notes", "--model", "note"], "one capitalised word"),
        (["notes", "--model", "Question"], "reference app's own name"),
    ],
)
def test_it_refuses_names_that_cannot_work(project: Path, args: list[str], says: str) -> None:
    with pytest.raises(CommandError, match=says):
        call_command("startfeature", *args)
    assert not (project / "product" / "notes").exists()


def test_it_writes_nothing_when_a_file_exists(project: Path) -> None:
    (project / "templates" / "notes").mkdir()
    (project / "templates" / "notes" / "note_list.html").write_text("mine")
    with pytest.raises(CommandError, match="exists already"):
        call_command("startfeature", "notes")
    assert not (project / "product" / "notes").exists()
    assert (project / "templates" / "notes" / "note_list.html").read_text() == "mine"
