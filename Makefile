# RevDesk developer entry points. Needs only Python 3.11+ and make: uv is bootstrapped into
# .cache/uv when it is not on PATH, and every tool then runs from .venv built from uv.lock.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_ON_PATH := $(shell command -v uv 2>/dev/null)
ifeq ($(UV_ON_PATH),)
UV := .cache/uv/bin/uv
UV_DEP := $(UV)
else
UV := $(UV_ON_PATH)
UV_DEP :=
endif
export UV_PROJECT_ENVIRONMENT := $(VENV)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help demo sample test lint typecheck contracts migrations-check pytest bench install install-dev clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

.cache/uv/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "RevDesk needs Python 3.11 or newer")'
	$(PYTHON) -m venv .cache/uv
	.cache/uv/bin/pip install --quiet uv

install: $(UV_DEP) ## runtime dependencies only, exactly as locked
	$(UV) sync --frozen --no-dev --python $(PYTHON)

install-dev: $(UV_DEP) ## runtime and development dependencies, exactly as locked
	$(UV) sync --frozen --python $(PYTHON)

demo: install ## build the demo company (20,000 deals) into ./revdesk.db, show it, serve it on :8000
	$(BIN)/revdesk db upgrade
	$(BIN)/revdesk demo
	$(BIN)/revdesk summary
	$(BIN)/revdesk serve --host 127.0.0.1 --port 8000 --demo-logins

sample: install ## load the small hand-written sample company into ./revdesk.db and show it
	$(BIN)/revdesk db upgrade
	$(BIN)/revdesk sample load --replace
	$(BIN)/revdesk summary

lint: install-dev ## ruff format check and lint
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

typecheck: install-dev ## mypy --strict on src
	$(BIN)/mypy

contracts: install-dev ## import-linter layer contracts
	$(BIN)/lint-imports

migrations-check: install-dev ## models and Alembic migrations agree
	@mkdir -p .cache
	@rm -f .cache/alembic-check.db
	REVDESK_DATABASE_URL=sqlite:///.cache/alembic-check.db $(BIN)/alembic upgrade head
	REVDESK_DATABASE_URL=sqlite:///.cache/alembic-check.db $(BIN)/alembic check

pytest: install-dev ## the test suite (exit code 5, no tests collected, fails)
	$(BIN)/pytest

test: lint typecheck contracts migrations-check pytest ## every check CI runs

bench: install-dev ## run every benchmark in benchmarks/
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
