# Kaynak: `make run` serves a sample archive; `make test` runs the checks and the suite.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# The tests need no secrets; they get a throwaway key and their own SQLite database.
# KAYNAK_STATIC_ROOT: never collected, so files `make serve` collected cannot stand in for the apps' own.
TEST_ENV := SECRET_KEY=kaynak-test-only DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 KAYNAK_STATIC_ROOT=$(CURDIR)/var/test-static

.PHONY: help install browser axe run serve loadtest test lint format bench-ingest bench-search bench-search-x20 bench-annotations bench-exports bench-pages bench-facsimiles bench-lag bench-storage bench-bags screenshots conformance soak clean

help:
	@echo "make run           set up and serve the sample archive on http://$(HOST):$(PORT)/"
	@echo "make serve         the production server: gunicorn + WhiteNoise + the worker, debug off"
	@echo "make loadtest      50 researchers for 60 s against make serve on PostgreSQL"
	@echo "make test          lint, then the test suite (SQLite; PostgreSQL too when"
	@echo "                   KAYNAK_TEST_DATABASE_URL is set)"
	@echo "make bench-ingest  ingest benchmark over ../shared/corpus"
	@echo "make screenshots   PNGs of the researcher's pages, wide and narrow, in var/screenshots/"
	@echo "make bench-pages   reader and search page timings (server and Chromium)"
	@echo "make bench-lag     commit-to-searchable lag with the background worker at idle"
	@echo "make format        apply ruff's formatting and fixes"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable . --group dev
	touch $@

install: $(STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	@echo "== installing Debian's chromium for the browser tests"
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

browser: $(CHROMIUM)

# axe-core for the accessibility tests, pinned, from the npm registry into var/node (the
# tests read it from disk: no network while they run). The stamp names the version, so a
# new pin installs again.
AXE_VERSION := 4.14.1
AXE := var/node/.axe-core-$(AXE_VERSION)

$(AXE):
	@mkdir -p var/node
	npm install --prefix var/node --no-audit --no-fund --no-save axe-core@$(AXE_VERSION)
	touch $@

axe: $(AXE)

# `make run` serves the app's own 404, 403 and 500 pages, as production does; Django's debug
# pages (tracebacks, URL lists) are opt-in: `make run KAYNAK_DEBUG=1`. runserver --insecure
# serves the static files with debug off; the fixed key is for this local server only.
KAYNAK_DEBUG ?= 0
RUN_ENV := KAYNAK_DEBUG=$(KAYNAK_DEBUG) SECRET_KEY=$${SECRET_KEY:-kaynak-make-run-only}

run: $(STAMP)
	@mkdir -p var
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py demo_setup
	@echo
	@echo "Kaynak is starting at http://$(HOST):$(PORT)/"
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/    schema: /api/schema/"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/       (sign in as curator)"
	@echo "  Sign in with the accounts printed above (kept in var/demo-credentials.json)."
	@echo "  The background worker (index updates, thumbnails) runs beside the server."
	@echo
	@# Ctrl+C stops both: the trap ends the worker however the server ends.
	$(RUN_ENV) $(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver --insecure $(HOST):$(PORT)

# `make serve` runs what production runs (README "Deployment"): gunicorn with
# deploy/gunicorn.conf.py (workers from the core count), static files collected into var/ and
# served by WhiteNoise, and the task worker, all with KAYNAK_DEBUG=0. Plain HTTP on $(HOST):$(PORT);
# set KAYNAK_PRODUCTION=1 and the rest of deploy/kaynak.env.example behind a TLS proxy.
# Ctrl+C or a TERM stops the server and the worker together.
SERVE_ENV := KAYNAK_DEBUG=0 KAYNAK_STATIC_MANIFEST=1 SECRET_KEY=$${SECRET_KEY:-kaynak-make-serve-only} KAYNAK_BIND=$${KAYNAK_BIND:-$(HOST):$(PORT)}

serve: $(STAMP)
	@mkdir -p var
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Kaynak (gunicorn) is starting at http://$(HOST):$(PORT)/ ; health: /healthz"
	$(SERVE_ENV) $(BIN)/gunicorn --config deploy/gunicorn.conf.py kaynak.wsgi & web=$$!; \
	$(SERVE_ENV) $(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill -TERM $$web $$worker 2>/dev/null || true; wait $$web $$worker 2>/dev/null || true' EXIT; \
	trap 'exit 0' INT TERM; \
	wait -n $$web $$worker

# 50 signed-in researchers (search, reader, new annotations) for 60 s against `make serve` on
# a PostgreSQL database of its own, on loopback (tools/loadtest.py; LOADTEST_ARGS for more).
loadtest: $(STAMP)
	$(BIN)/python tools/loadtest.py $(LOADTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@# The django-stubs plugin loads the settings, which want a key (any will do for types).
	SECRET_KEY=kaynak-lint-only $(BIN)/mypy

# With KAYNAK_TEST_DATABASE_URL set, the PostgreSQL run goes alongside the SQLite one, a core
# each (every test keeps its files in a folder of its own, and each run has its own database):
# one after the other they took over 90 minutes on a slow 2-core machine. Its output is kept
# in var/pytest-postgresql.log and printed after SQLite's; either run failing fails the target.
test: lint $(CHROMIUM) $(AXE)
	@mkdir -p var
	@if [ -z "$${KAYNAK_TEST_DATABASE_URL:-}" ]; then \
		echo "== pytest on SQLite"; \
		$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS); \
		echo "== PostgreSQL run skipped: KAYNAK_TEST_DATABASE_URL is not set"; \
		exit 0; \
	fi; \
	echo "== pytest on PostgreSQL ($$KAYNAK_TEST_DATABASE_URL), alongside, into var/pytest-postgresql.log"; \
	( $(TEST_ENV) DATABASE_URL="$$KAYNAK_TEST_DATABASE_URL" $(BIN)/pytest -p no:cacheprovider \
		$(PYTEST_ARGS) > var/pytest-postgresql.log 2>&1 ) & postgres=$$!; \
	echo "== pytest on SQLite"; \
	sqlite_status=0; $(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS) || sqlite_status=$$?; \
	postgres_status=0; wait $$postgres || postgres_status=$$?; \
	echo "== pytest on PostgreSQL ($$KAYNAK_TEST_DATABASE_URL): its output"; \
	cat var/pytest-postgresql.log; \
	echo "== SQLite exit $$sqlite_status, PostgreSQL exit $$postgres_status"; \
	[ "$$sqlite_status" = 0 ] && [ "$$postgres_status" = 0 ]

# A minute of concurrent uploads, edits and a merge against gunicorn on PostgreSQL, the worker
# killed twice; then nothing lost, every chain valid, no index drift (see tools/soak.py).
soak: $(STAMP)
	$(BIN)/python tools/soak.py

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-ingest: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_ingest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info

bench-search: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_search.py $(BENCH_ARGS)

bench-search-x20: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_search.py --copies 20 $(BENCH_ARGS)

bench-annotations: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_annotations.py $(BENCH_ARGS)

bench-exports: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_exports.py $(BENCH_ARGS)

bench-pages: $(STAMP) $(CHROMIUM)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_pages.py $(BENCH_ARGS)

# A throwaway archive under var/screenshots/work/, served and photographed in Chromium.
screenshots: $(STAMP) $(CHROMIUM)
	$(BIN)/python tools/screenshots.py

# Local folders against an S3 bucket on moto's server (loopback only): ingest and download.
bench-storage: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_storage.py $(BENCH_ARGS)

bench-facsimiles: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_facsimiles.py $(BENCH_ARGS)

bench-bags: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_bags.py $(BENCH_ARGS)

conformance: $(STAMP)
	$(TEST_ENV) $(BIN)/pytest -q -s tests/annotations/test_w3c.py -k "musts or optional or harness or collection"
	$(TEST_ENV) $(BIN)/pytest -q tests/annotations/test_w3c_protocol.py tests/annotations/test_w3c_jsonld.py

bench-lag: $(STAMP)
	SECRET_KEY=kaynak-bench-only $(BIN)/python benchmarks/bench_lag.py $(BENCH_ARGS)
