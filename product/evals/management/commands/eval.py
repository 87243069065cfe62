"""`manage.py eval`: run the eval suites and fail on a regression (the CI gate; `make eval`).

    manage.py eval [--suite NAME ...] [--junit-xml PATH] [--update-baseline] [--repeats N]
                   [--prompt-version V] [--model M] [--dev-model] [--list] [--current-database]

Every product app's `eval_suites/*.toml` is a suite (product/evals/suites.py has the format). For
each one the command imports its rows as a dataset, ingests its corpus when it has one, runs it in
this process (one `evals.run` job, executed inline: no worker needed), and checks every grader's
threshold and the change against the committed baseline (product/evals/gate.py). It prints a
table, writes JUnit XML (default var/eval/junit.xml), and exits 1 when a suite fails, listing the
cases that regressed.

Where it runs:
- **A throwaway database**, made with Django's test-database machinery on whatever DATABASE_URL
  names (a temporary SQLite file for the embedded default) and dropped at the end: nothing
  touches the developer's data. `--current-database` runs in the configured one instead, in a
  new scratch workspace it keeps (the tests use it: they already have a test database).
- **The model**: without LLM_API_KEY, the dev model server in a thread of this process, so the
  run is offline and deterministic; with LLM_API_KEY set, the configured provider, and every call
  is charged (a team's nightly job). `--dev-model` insists on the dev model (make test). Baselines are kept per model, so a provider's scores are
  compared with that provider's baseline only.
- **Nothing leaves the process**: job messages go to an in-memory broker (a developer's worker
  must not receive ids from a database it cannot see) and uploaded corpus files to a temporary
  folder.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import override_settings

from product.accounts.models import User, Workspace
from product.accounts.services import create_workspace
from product.devmodel.background import serve_in_thread
from product.evals import gate, report, suites

DEV_MODEL = "keel-dev-small"
DEV_EMBEDDING_MODEL = "keel-dev-embed"


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated database beside the configured one, dropped when the block ends."""
    connection = connections[DEFAULT_DB_ALIAS]
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    old_test_name = test.get("NAME")
    folder: tempfile.TemporaryDirectory[str] | None = None
    if connection.vendor == "sqlite":
        # A file, not ":memory:": the run's threads each open a connection, and they must all
        # see one database with the configured WAL and busy timeout.
        folder = tempfile.TemporaryDirectory(prefix="keel-eval-")
        test["NAME"] = str(Path(folder.name) / "eval.sqlite3")
    else:
        # Beside the tests' database, never it: `make eval` may run while pytest does.
        test["NAME"] = f"{old_test_name or 'test_' + str(old_name)}_eval"
    try:
        # createcachetable, which it calls, talks at verbosity 1 whatever it is given.
        with redirect_stdout(io.StringIO()):
            name = connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False
            )
        try:
            yield name
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        test["NAME"] = old_test_name
        if old_test_name is None:
            test.pop("NAME")
        if folder is not None:
            folder.cleanup()


@contextmanager
def in_memory_broker() -> Iterator[None]:
    """Job messages stay in this process: the runs execute inline, and a worker elsewhere must
    not be handed ids of a database it does not have."""
    conf = current_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)
    conf.update(broker_url="memory://localhost/", broker_transport_options={})
    try:
        yield
    finally:
        conf.update(broker_url=saved[0], broker_transport_options=saved[1])


class Command(BaseCommand):
    help = (
        "Run the eval suites (product/<app>/eval_suites/) against their thresholds and committed "
        "baselines; exit 1 on a failure or a regression beyond the noise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--suite",
            action="append",
            default=[],
            metavar="NAME",
            help="Run only this suite (its name, or app/name); repeat for several.",
        )
        parser.add_argument(
            "--junit-xml",
            type=Path,
            default=Path(settings.VAR_DIR) / "eval" / "junit.xml",
            metavar="PATH",
            help="Where to write the JUnit XML report (default: var/eval/junit.xml).",
        )
        parser.add_argument(
            "--update-baseline",
            action="store_true",
            help="Record this run's scores as the suites' baselines for this model (commit them).",
        )
        parser.add_argument(
            "--repeats",
            type=int,
            default=None,
            help="Run every case this many times (1-10; default: the suite's).",
        )
        parser.add_argument(
            "--prompt-version",
            default="",
            help="Try this prompt version instead of the suite's (against the same baseline).",
        )
        parser.add_argument(
            "--model", default="", help="Use this chat model instead of the suite's."
        )
        parser.add_argument(
            "--dev-model",
            action="store_true",
            help="Use the dev model server even when LLM_API_KEY is set (make test does).",
        )
        parser.add_argument("--list", action="store_true", help="List the suites and stop.")
        parser.add_argument(
            "--current-database",
            action="store_true",
            help="Run in the configured database (kept, in a new scratch workspace) instead of "
            "a throwaway one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            chosen = suites.select(suites.discover(), options["suite"])
        except suites.SuiteError as exc:
            raise CommandError(exc.message) from exc
        if options["list"]:
            for suite in chosen:
                self.stdout.write(
                    f"{suite.label:28} {suite.target:18} {suite.path.relative_to(settings.BASE_DIR)}"
                )
            return
        repeats = options["repeats"]
        if repeats is not None and not 1 <= repeats <= 10:
            raise CommandError("--repeats takes 1 to 10.")
        if not chosen:
            raise CommandError("No eval suites found (product/<app>/eval_suites/*.toml).")

        with ExitStack() as stack:
            stack.enter_context(in_memory_broker())
            media = stack.enter_context(tempfile.TemporaryDirectory(prefix="keel-eval-media-"))
            # One operator's batch, not people sharing a provider: the per-user rate limit
            # (fairness) is lifted, the workspace budget still applies.
            stack.enter_context(override_settings(MEDIA_ROOT=media, LLM_USER_REQUESTS_PER_MINUTE=0))
            stack.enter_context(self.model_server(dev=options["dev_model"]))
            if not options["current_database"]:
                stack.enter_context(throwaway_database())
            user, workspace = self.scratch()
            verdicts = [
                gate.evaluate(
                    suite,
                    workspace=workspace,
                    user=user,
                    prompt_version=options["prompt_version"],
                    model=options["model"],
                    repeats=repeats,
                    update_baseline=options["update_baseline"],
                    progress=lambda message: self.stderr.write(message),
                )
                for suite in chosen
            ]
            if options["current_database"]:
                self.stderr.write(f"the runs are kept in the workspace {workspace.pk}")

        self.stdout.write(report.render(verdicts))
        junit: Path = options["junit_xml"]
        report.write_junit(verdicts, junit)
        self.stdout.write(f"JUnit XML: {junit}")
        failed = [verdict for verdict in verdicts if not verdict.passed]
        if failed:
            raise CommandError(
                f"The eval gate failed: {', '.join(v.suite.label for v in failed)}.", returncode=1
            )

    @contextmanager
    def model_server(self, *, dev: bool) -> Iterator[None]:
        """The dev model server in a thread, unless a real provider is configured (and `dev`
        does not insist)."""
        if settings.LLM_API_KEY and not dev:
            self.stderr.write(
                f"model: {settings.LLM_MODEL} at {settings.LLM_BASE_URL} "
                "(a real provider: every call is charged)"
            )
            yield
            return
        with (
            serve_in_thread() as base_url,
            override_settings(
                LLM_BASE_URL=base_url,
                LLM_API_KEY="",
                LLM_MODEL=DEV_MODEL,
                LLM_FALLBACK_MODEL="",
                LLM_EMBEDDING_MODEL=DEV_EMBEDDING_MODEL,
            ),
        ):
            self.stderr.write(f"model: the dev model server at {base_url} (offline)")
            yield

    def scratch(self) -> tuple[User, Workspace]:
        suffix = uuid.uuid4().hex[:12]
        # Inactive and without a usable password: nobody signs in as it.
        user = User.objects.create_user(f"eval-{suffix}@example.invalid", None, is_active=False)
        workspace = create_workspace(owner=user, name=f"Eval suites {suffix}")
        return user, workspace
