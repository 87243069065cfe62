"""The committed openapi.json is the API's contract: any change to the API is a visible diff.

After changing a route, run `make schema` (and `make client`) and commit the result.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from ninja.responses import NinjaJSONEncoder

from product.api import api

COMMITTED = Path(settings.BASE_DIR) / "openapi.json"


def live_schema() -> Any:
    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


def _lines(schema: Any) -> list[str]:
    return json.dumps(schema, indent=2, sort_keys=True).splitlines()


def test_it_matches_the_committed_schema() -> None:
    committed = json.loads(COMMITTED.read_text())
    live = live_schema()
    if committed != live:
        diff = "\n".join(
            difflib.unified_diff(
                _lines(committed), _lines(live), "openapi.json (committed)", "live API", lineterm=""
            )
        )
        raise AssertionError(
            "The API changed but openapi.json did not. Run `make schema client` and commit.\n"
            + diff
        )


def test_it_gives_every_operation_a_unique_id_summary_and_tag() -> None:
    operations = [
        (method, path, operation)
        for path, item in live_schema()["paths"].items()
        for method, operation in item.items()
    ]
    ids = Counter(operation["operationId"] for _, _, operation in operations)
    assert [name for name, count in ids.items() if count > 1] == []
    for method, path, operation in operations:
        assert operation.get("summary"), (method, path)
        assert operation.get("tags"), (method, path)


def test_it_serves_the_schema_at_the_versioned_url(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Keel API"
    assert response.json()["paths"] == live_schema()["paths"]


def test_it_commits_the_client_generated_from_the_committed_schema(tmp_path: Path) -> None:
    """clients/python/ is exactly what `make client` makes from openapi.json."""
    import filecmp
    import shutil
    import subprocess
    import sys

    generator = Path(sys.executable).parent / "openapi-python-client"
    root = Path(settings.BASE_DIR)
    shutil.copy(root / "openapi.json", tmp_path / "openapi.json")
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "openapi.json",
            "--output-path",
            "python",
            "--config",
            str(root / "clients" / "openapi-python-client.yaml"),
            "--meta",
            "uv",
            "--overwrite",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    def files(base: Path) -> set[str]:
        return {
            str(p.relative_to(base))
            for p in base.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    committed, fresh = root / "clients" / "python", tmp_path / "python"
    assert files(committed) == files(fresh), "Run `make client` and commit clients/python/."
    _, mismatch, errors = filecmp.cmpfiles(committed, fresh, sorted(files(fresh)), shallow=False)
    assert (mismatch, errors) == ([], []), "Run `make client` and commit clients/python/."


def test_it_paginates_every_list() -> None:
    """A route answering a bare JSON array has no way to page: use @cursor_paginated."""
    schema = live_schema()
    bare = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                if body.get("type") == "array":
                    bare.append(f"{method.upper()} {path} ({status})")
    assert bare == [], "Unpaginated lists; decorate them with @cursor_paginated: " + ", ".join(bare)
