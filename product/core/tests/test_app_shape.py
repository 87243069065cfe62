"""Every app has the shape the README promises, so a newcomer finds any behaviour in one guess.

Feature apps (settings.FEATURE_APPS) have every layer of the reference app, product/ask; the
shell's domain apps (accounts, apikeys) have the core and the pages; infrastructure apps (core,
llm, jobs, devmodel) are libraries for the others and have no fixed shape. A new product app must
be put in one of these groups, so nothing is added without a place in the map.
"""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

PRODUCT = Path(settings.BASE_DIR) / "product"
# The layers every feature has (README "Where things are"; docs/add-a-feature.md).
FEATURE_FILES = {
    "apps.py", "models.py", "prompts.py", "services.py", "selectors.py", "handlers.py",
    "views.py", "urls.py", "api.py", "admin.py", "migrations", "tests",
}  # fmt: skip
DOMAIN_FILES = {
    "apps.py", "models.py", "services.py", "selectors.py", "views.py", "urls.py", "admin.py",
    "migrations", "tests",
}  # fmt: skip
DOMAIN_APPS = {"product.accounts", "product.apikeys", "product.observability"}
INFRASTRUCTURE_APPS = {"product.core", "product.llm", "product.jobs", "product.devmodel"}
FEATURE_TEST_FILES = {"factories.py", "test_services.py", "test_views.py", "test_api.py"}


def product_apps() -> list[str]:
    return sorted(c.name for c in apps.get_app_configs() if c.name.startswith("product."))


def present(app: str) -> set[str]:
    return {path.name for path in (PRODUCT / app.rsplit(".", 1)[1]).iterdir()}


def test_every_product_app_has_a_place_in_the_map() -> None:
    placed = set(settings.FEATURE_APPS) | DOMAIN_APPS | INFRASTRUCTURE_APPS
    unplaced = [app for app in product_apps() if app not in placed]
    assert not unplaced, (
        f"{unplaced}: add a feature to FEATURE_APPS (manage.py startfeature does), or list a shell "
        "app in DOMAIN_APPS / INFRASTRUCTURE_APPS here and in the README's folder map."
    )


@pytest.mark.parametrize("app", settings.FEATURE_APPS)
def test_a_feature_app_has_every_layer(app: str) -> None:
    missing = FEATURE_FILES - present(app)
    assert not missing, f"{app} lacks {sorted(missing)} (compare with product/ask)"
    tests = {path.name for path in (PRODUCT / app.rsplit(".", 1)[1] / "tests").iterdir()}
    assert not FEATURE_TEST_FILES - tests, f"{app}/tests lacks {sorted(FEATURE_TEST_FILES - tests)}"
    config = apps.get_app_config(app.rsplit(".", 1)[1])
    assert getattr(config, "feature", None) is not None, f"{app}'s AppConfig declares no `feature`"


@pytest.mark.parametrize("app", sorted(DOMAIN_APPS))
def test_a_domain_app_has_its_core_and_its_pages(app: str) -> None:
    missing = DOMAIN_FILES - present(app)
    assert not missing, f"{app} lacks {sorted(missing)}"


@pytest.mark.parametrize("app", sorted(set(settings.FEATURE_APPS) | DOMAIN_APPS))
def test_no_app_calls_celery_tasks_of_its_own(app: str) -> None:
    # Slow work is a job kind (handlers.py) on the jobs machinery, never a bare Celery task that
    # would skip claim-once, heartbeats, the reaper and the one-transaction charge. The one kind
    # of task an app may keep is the beat's housekeeping (observability's usage rollups): every
    # task in its tasks.py is on the beat schedule, so it is periodic and nobody enqueues it.
    if "tasks.py" not in present(app):
        return
    from celery import Task

    from worker.celery import app as celery_app

    module = import_module(f"{app}.tasks")
    names = {task.name for task in vars(module).values() if isinstance(task, Task)}
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert names, f"{app}/tasks.py defines no task"
    assert names <= scheduled, (
        f"{app} has tasks {sorted(names - scheduled)} off the beat: make them a job kind instead"
    )
    calls = re.compile(r"\.(?:delay|apply_async)\(")
    for path in (PRODUCT / app.rsplit(".", 1)[1]).rglob("*.py"):
        if "tests" not in path.parts:
            assert not calls.search(path.read_text()), f"{path} enqueues a Celery task itself"
