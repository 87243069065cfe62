"""`manage.py startfeature NAME`: a new feature app, generated from the reference app (product/ask).

The reference app is the template: its files are copied with its names replaced (the app `ask`, the
model `Question`, the job kind `ask.once`, the label "Ask once"), so the new feature has every
layer (model, prompts, service, job handler, selectors, views and templates, API route, admin,
tests and an e2e journey) and works before you change a line. Then the edit that mounts it, its
line in settings.FEATURE_APPS, is made for you (and its place among the independent features in
pyproject.toml's import contracts). docs/add-a-feature.md walks what to change next.

What is not copied: the reference app's migrations and their tests. The new feature's
`0001_initial.py` is written from the reference model as it is NOW (Django's autodetector over the
reference app's current state), so a later change to the reference app (a field, a choice) reaches
new features without its history (data migrations that only the reference app needs). Nor are
the reference journey's screenshots (it retakes the README's).
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.migrations import Migration
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.writer import MigrationWriter

REFERENCE_APP = "ask"
REFERENCE_MODEL = "Question"
REFERENCE_LABEL = "Ask once"
NAME_SHAPE = re.compile(r"^[a-z][a-z0-9]{1,19}$")
MODEL_SHAPE = re.compile(r"^[A-Z][a-z0-9]{1,19}$")
# The reference app's own history: a new feature's 0001 is generated (initial_migration).
NOT_COPIED = {"tests/test_migrations.py"}
FEATURE_APPS_LINE = "FEATURE_APPS = ["


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Names:
    app: str  # "notes": the package, the app label, the URL prefix and namespace
    model: str  # "Note"

    @property
    def model_lower(self) -> str:
        return self.model.lower()

    @property
    def label(self) -> str:
        return self.app.capitalize()

    def replacements(self) -> list[tuple[str, str]]:
        """Ordered: longer and more specific names first, so no replacement eats another's."""
        ref, new = REFERENCE_MODEL, self.model
        return [
            ("product.ask", f"product.{self.app}"),
            ("product/ask", f"product/{self.app}"),
            ('"ask.once"', f'"{self.app}.run"'),
            ("ask.create", f"{self.app}.create"),
            ("AskConfig", f"{self.label}Config"),
            (REFERENCE_LABEL, self.label),
            ('"ask:', f'"{self.app}:'),
            ("'ask:", f"'{self.app}:"),
            ('"ask/', f'"{self.app}/'),
            ("'ask/", f"'{self.app}/"),
            ("/ask/", f"/{self.app}/"),
            ('"ask"', f'"{self.app}"'),
            ("'ask'", f"'{self.app}'"),
            (plural(ref).upper(), plural(new).upper()),
            (ref.upper(), new.upper()),
            (plural(ref), plural(new)),
            (plural(ref.lower()), plural(new.lower())),
            (ref, new),
            (ref.lower(), new.lower()),
        ]

    def rename(self, text: str) -> str:
        for old, new in self.replacements():
            text = text.replace(old, new)
        return text


def reference_files(root: Path) -> list[tuple[Path, str]]:
    """(source path, path relative to the project root) of every file the new feature gets."""
    app_dir = root / "product" / REFERENCE_APP
    found: list[tuple[Path, str]] = []
    for path in sorted(app_dir.rglob("*")):
        relative = path.relative_to(app_dir).as_posix()
        if not path.is_file() or "__pycache__" in path.parts or relative in NOT_COPIED:
            continue
        if relative.startswith("migrations/") and relative != "migrations/__init__.py":
            continue
        found.append((path, f"product/{REFERENCE_APP}/{relative}"))
    for path in sorted((root / "templates" / REFERENCE_APP).glob("*.html")):
        found.append((path, f"templates/{REFERENCE_APP}/{path.name}"))
    found.append((root / "e2e" / f"test_{REFERENCE_APP}.py", f"e2e/test_{REFERENCE_APP}.py"))
    return found


def initial_migration() -> str:
    """The reference app's schema as one initial migration, as `makemigrations` would write it
    for an app with no migrations yet (its dependencies are the other apps' latest migrations)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    current = loader.project_state()
    without = current.clone()
    for key in [key for key in without.models if key[0] == REFERENCE_APP]:
        del without.models[key]
    changes = MigrationAutodetector(
        without, current, NonInteractiveMigrationQuestioner(specified_apps={REFERENCE_APP})
    ).changes(graph=loader.graph, trim_to_apps={REFERENCE_APP})
    operations = [op for migration in changes[REFERENCE_APP] for op in migration.operations]
    dependencies = {
        dependency
        for migration in changes[REFERENCE_APP]
        for dependency in migration.dependencies
        if dependency[0] != REFERENCE_APP
    }
    migration = Migration("0001_initial", REFERENCE_APP)
    migration.initial = True
    migration.operations = operations
    migration.dependencies = sorted(dependencies)
    return MigrationWriter(migration, include_header=False).as_string()


def _without_screenshots(text: str) -> str:
    return "".join(
        line for line in text.splitlines(keepends=True) if ".screenshot(" not in line
    ).replace("screenshots_dir: Path", "_screenshots: Path")


def tidy(paths: list[str]) -> None:
    """New names sort differently: let ruff order the imports and format, as `make fmt` would."""
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *command, *paths], check=False)  # noqa: S603


def register(settings_file: Path, app: str) -> None:
    """Add `"product.<app>",` to FEATURE_APPS: what mounts the feature."""
    text = settings_file.read_text()
    start = text.find(FEATURE_APPS_LINE)
    if start < 0:
        raise CommandError(f"{settings_file} has no `{FEATURE_APPS_LINE}` list to add the app to.")
    end = text.index("]", start)
    line = f'    "product.{app}",\n'
    settings_file.write_text(text[:end] + line + text[end:])


def add_to_import_contract(pyproject: Path, app: str) -> None:
    """Make the new feature independent of the others in the layers contract (`make lint`)."""
    text = pyproject.read_text()
    marker = f'    "{REFERENCE_APP} | '
    start = text.find(marker)
    if start < 0:
        raise CommandError(f"{pyproject} has no feature layer starting with {marker.strip()!r}.")
    end = text.index('",', start)
    pyproject.write_text(text[:end] + f" | {app}" + text[end:])


class Command(BaseCommand):
    help = "Generate a feature app from the reference app (product/ask) and mount it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The app's name: lowercase letters and digits, e.g. notes")
        parser.add_argument(
            "--model",
            help="The model's name, one capitalised word (default: NAME in the singular, e.g. Note)",
        )
        parser.add_argument(
            "--no-register",
            action="store_true",
            help="Do not add the app to settings.FEATURE_APPS (print the line instead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = self._names(options["name"], options["model"])
        root = Path(settings.BASE_DIR)
        planned = []
        for source, relative in reference_files(root):
            target = root / names.rename(relative).replace(
                f"e2e/test_{REFERENCE_APP}.py", f"e2e/test_{names.app}.py"
            )
            if target.exists():
                raise CommandError(f"{target.relative_to(root)} exists already; nothing written.")
            planned.append((source, target))
        migration = root / "product" / names.app / "migrations" / "0001_initial.py"
        if migration.exists():
            raise CommandError(f"{migration.relative_to(root)} exists already; nothing written.")
        for source, target in planned:
            text = names.rename(source.read_text())
            if target.parent.name == "e2e":
                text = _without_screenshots(text)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.stdout.write(f"  created {target.relative_to(root)}")
        migration.write_text(names.rename(initial_migration()))
        self.stdout.write(f"  created {migration.relative_to(root)}")
        tidy([str(target) for _, target in planned if target.suffix == ".py"] + [str(migration)])
        if options["no_register"]:
            self.stdout.write(
                f'Add "product.{names.app}" to FEATURE_APPS in product/settings.py, and '
                f'" | {names.app}" to the feature layer in pyproject.toml.'
            )
        else:
            register(root / "product" / "settings.py", names.app)
            add_to_import_contract(root / "pyproject.toml", names.app)
            self.stdout.write(
                f'  added "product.{names.app}" to FEATURE_APPS (product/settings.py)'
            )
            self.stdout.write(
                f"  added {names.app} to the features' import contract (pyproject.toml)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{names.label} is at /{names.app}/ and POST /api/v1/{plural(names.model_lower)}."
                f"\nNext: python manage.py migrate; pytest product/{names.app}; then edit "
                f"product/{names.app}/prompts.py (docs/add-a-feature.md)."
            )
        )

    def _names(self, name: str, model: str | None) -> Names:
        if not NAME_SHAPE.match(name) or keyword.iskeyword(name):
            raise CommandError(
                f"{name!r} cannot name an app: use 2-20 lowercase letters and digits, e.g. notes."
            )
        taken = {config.label for config in apps.get_app_configs()} | {
            config.name.rsplit(".", 1)[-1] for config in apps.get_app_configs()
        }
        if name in taken or name in {"api", "static", "templates", "media"}:
            raise CommandError(f"{name!r} is taken (an installed app or a URL the site uses).")
        model = model or singular(name).capitalize()
        if not MODEL_SHAPE.match(model):
            raise CommandError(
                f"{model!r} cannot name the model: use one capitalised word, e.g. --model Note."
            )
        if model.lower() in {REFERENCE_MODEL.lower(), REFERENCE_APP}:
            raise CommandError(f"{model!r} is the reference app's own name; pick another.")
        return Names(app=name, model=model)
