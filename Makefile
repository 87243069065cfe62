# Keel: two commands on a fresh machine — `make dev` runs the product, `make test` tests all of it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export DJANGO_SETTINGS_MODULE := product.settings
UV ?= $(shell command -v uv 2>/dev/null || echo "$$HOME/.local/bin/uv")
RUN := $(UV) run --frozen

# Tests use the real services when they answer (CI: always). The Postgres is PostgreSQL 16 with
# pgvector from pgserver (`make pgvector` starts it; .ci/pgvector), not the machine's on 5432.
PGVECTOR_PORT ?= 5433
PG_URL ?= postgres://postgres@127.0.0.1:$(PGVECTOR_PORT)/keel
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
pg_up := $(shell (exec 3<>/dev/tcp/127.0.0.1/$(PGVECTOR_PORT)) 2>/dev/null && echo yes)
redis_up := $(shell (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo yes)
TEST_ENV := DEBUG=false KEEL_TESTING=true $(if $(pg_up),DATABASE_URL=$(PG_URL)) $(if $(redis_up),REDIS_URL=$(REDIS_TEST_URL))
# What a laptop without them gets: SQLite, the embedded broker, the database cache. Empty values
# mean the defaults, even when the shell or a .env file names real servers.
EMBEDDED_TEST_ENV := DEBUG=false KEEL_TESTING=true DATABASE_URL= REDIS_URL=

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null || (curl -LsSf https://astral.sh/uv/install.sh | sh || pip install --user uv)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

.PHONY: setup
setup: .venv/.synced ## Create the venv from uv.lock, migrate, create the demo user.
	DEBUG=true $(RUN) python manage.py migrate --no-input
	DEBUG=true $(RUN) python manage.py ensure_demo_user

.PHONY: dev
dev: setup ## Run web + worker + beat (+ the dev model server when no LLM_API_KEY) in one terminal.
	@# Procfile.dev calls `uv`: find it where this Makefile installed it, on PATH or not.
	PATH="$(dir $(UV)):$$PATH" DEBUG=true $(RUN) honcho -f Procfile.dev start web worker knowledge beat $(if $(LLM_API_KEY),,devmodel)

.PHONY: lint
lint: .venv/.synced ## ruff check + format check + import layers (import-linter, pyproject.toml).
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports --no-cache

# .ci/pgvector on its own: mypy names it module `pgvector`, like the PyPI package knowledge may use.
.PHONY: typecheck
typecheck: .venv/.synced ## mypy: strict on product code, type-checked (not fully annotated) tests.
	DEBUG=true $(RUN) mypy product worker e2e conftest.py
	DEBUG=true $(RUN) mypy .ci/pgvector

.PHONY: pgvector
pgvector: .venv/.synced ## Start the tests' Postgres (16 + pgvector, pgserver) on 127.0.0.1:5433 (PGVECTOR_PORT).
	PGVECTOR_PORT=$(PGVECTOR_PORT) $(RUN) python .ci/pgvector start

.PHONY: check-services
check-services: .venv/.synced
ifeq ($(CI),true)
	@$(if $(pg_up),,echo "CI needs Postgres with pgvector on 127.0.0.1:$(PGVECTOR_PORT): run make pgvector" >&2; exit 1)
	@$(if $(redis_up),,echo "CI needs Redis on 127.0.0.1:6379 (redis-server)" >&2; exit 1)
	@PGVECTOR_PORT=$(PGVECTOR_PORT) $(RUN) python .ci/pgvector status
endif
	@echo "tests use: $(if $(pg_up),Postgres at $(PG_URL),SQLite) + $(if $(redis_up),Redis,embedded broker)"

.PHONY: pytest
pytest: .venv/.synced check-services ## The unit and integration suite (Postgres/Redis when they answer).
	$(TEST_ENV) $(RUN) pytest $(PYTEST_ARGS)

.PHONY: pytest-embedded
pytest-embedded: .venv/.synced ## The same suite on the embedded default (SQLite, filesystem broker).
	$(EMBEDDED_TEST_ENV) $(RUN) pytest $(PYTEST_ARGS)

# The CI gate: every product app's eval_suites/ against thresholds and the committed baselines
# (docs/evals.md). On the dev model server unless LLM_API_KEY is set, then on that provider (a
# nightly job: `LLM_API_KEY=... make eval`); `make test` always uses the dev model (free, offline).
EVAL_MODEL_FLAG ?=
.PHONY: eval
eval: .venv/.synced check-services ## The eval suites: thresholds + regression vs baseline, JUnit in var/eval/.
	$(TEST_ENV) $(RUN) python manage.py eval $(EVAL_MODEL_FLAG) $(EVAL_ARGS)

.PHONY: e2e
e2e: .venv/.synced check-services ## The Playwright journeys in a real browser.
	# --confcutdir: the root conftest.py imports Django models, which need pytest-django (off here).
	$(TEST_ENV) $(RUN) pytest e2e -p no:django --confcutdir=e2e $(E2E_ARGS)

.PHONY: feature-check
feature-check: .venv/.synced ## Generate a feature with startfeature in a scratch copy and run its tests.
	bash .ci/feature-check

# The suite on the services and on the embedded default at once: they share no database, broker
# or port, and two processes keep both cores busy (on a slow day of the CI machine: 11 min
# together, 21 one after the other).
# Each run's output is printed whole when it ends.
.PHONY: pytest-both
pytest-both: .venv/.synced check-services
	@$(MAKE) --no-print-directory -j2 --output-sync=target pytest pytest-embedded

# Both ways when the services answer; without them `pytest` already is the embedded run.
.PHONY: test
test: lint typecheck $(if $(pg_up)$(redis_up),pytest-both,pytest) eval feature-check e2e ## Lint, types, the suite (both ways), the eval gate, a generated feature, the browser journeys.
test: EVAL_MODEL_FLAG := --dev-model

.PHONY: newcomer
newcomer: ## Fresh clone of HEAD, bare environment, make dev, sign in as the demo user, stop.
	.ci/newcomer.py

.PHONY: bench
bench: .venv/.synced ## Benchmarks; each prints one JSON line last.
	@for b in bench/[!_]*.py; do echo "== $$b"; $(TEST_ENV) $(RUN) python $$b || exit 1; done

.PHONY: schema
schema: .venv/.synced ## Rewrite openapi.json from the live API (commit the diff).
	DEBUG=true $(RUN) python manage.py export_openapi_schema --api product.api.api --indent 2 --sorted --output openapi.json
	@echo >> openapi.json

.PHONY: client
client: .venv/.synced ## Regenerate the typed Python client in clients/python/ from openapi.json.
	$(RUN) openapi-python-client generate --path openapi.json --output-path clients/python --config clients/openapi-python-client.yaml --meta uv --overwrite

.PHONY: fmt
fmt: .venv/.synced ## Fix what ruff can fix.
	$(RUN) ruff check --fix .
	$(RUN) ruff format .
