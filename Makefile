# Parley: `make run` (embedded, no services) and `make test` (real services) do all their own set-up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv migrate web web-schema run demo test test-cluster lint format services system-deps stack stack-down clean bench lighthouse screenshots

help:
	@echo "make run | demo | test | lint | stack | stack-down | lighthouse | screenshots"

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# The web app (frontend/web): npm ci when the lockfile changes, API types regenerated when the
# schema changes, and a build only when a source did (the built index.html is the stamp).
WEB := frontend/web
WEB_BUILD := frontend/static/frontend/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public $(WEB)/index.html $(WEB)/package.json $(WEB)/vite.config.ts \
	$(WEB)/tsconfig*.json -type f 2>/dev/null)

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

$(WEB_BUILD): $(WEB)/node_modules/.package-lock.json $(WEB_SOURCES)
	cd $(WEB) && npm run build && npm run size

# One build at a time (under flock, where the system has it): a `make demo` beside a `make test` would
# otherwise write the schema and the bundle over each other's, and one of them fail.
WEB_LOCK := $(shell command -v flock >/dev/null 2>&1 && echo flock $(WEB)/.build.lock)

web: $(STAMP) $(WEB)/node_modules/.package-lock.json
	@$(WEB_LOCK) $(MAKE) --no-print-directory web-schema $(WEB_BUILD)

web-schema:
	$(PY) manage.py spectacular --file $(WEB)/openapi.tmp.yaml 2>/dev/null
	@if cmp -s $(WEB)/openapi.tmp.yaml $(WEB)/openapi.yaml; then rm $(WEB)/openapi.tmp.yaml; \
	else mv $(WEB)/openapi.tmp.yaml $(WEB)/openapi.yaml && cd $(WEB) && npm run gen:types; fi

run: migrate web
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Parley is serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) chatproject.asgi:application

demo: migrate
	$(PY) manage.py seed_demo
	$(MAKE) run

services:
	scripts/services.sh

# Debian packages the tests and the stack use; installed once, only where missing. The colour emoji font
# lets the e2e tests' Chromium draw (and the emoji picker offer) emoji.
system-deps:
	@missing=""; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v shellcheck >/dev/null || missing="$$missing shellcheck"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -q && apt-get install -y -q $$missing; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pytest runs in three lanes at once, kept apart (scripts/test-lanes.sh says how): ~11 minutes here, not ~20.
test: $(STAMP) system-deps services lint web
	cd $(WEB) && npm run check
	scripts/test-lanes.sh

# tests/cluster alone (`make test` runs it too): a 6-node Redis Cluster from redis-server, the stack on it,
# a master killed and the Celery workers killed mid-stream (~3 minutes).
test-cluster: $(STAMP) system-deps services web
	$(VENV)/bin/pytest tests/cluster

# docs/screenshots, retaken by the browser tests (a plain `make test` writes its screenshots to a temporary folder).
screenshots: $(STAMP) system-deps services web
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(VENV)/bin/pytest tests/e2e

stack: $(STAMP) system-deps services web
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

# Benchmarks (bench/README.md): Parley against Socket.IO and the textbook Channels chat, W = 1 and 2,
# ~20 minutes. Writes bench/results/*.json, docs/benchmarks.md and its plots. BENCH_ARGS="--quick" for a
# short run, "--slow-readers 1,2" for issue #20's scenario at both W (W=2 only by default).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	$(PY) -m pip install --quiet -r requirements/bench.txt
	touch $(BENCH_STAMP)

# The Node parts (the generator's engine, the Socket.IO peer): npm ci when their lockfile changes.
BENCH_NODE := bench/generator bench/peers/socketio
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund

bench: $(BENCH_STAMP) system-deps services $(BENCH_NODE:%=%/node_modules/.package-lock.json)
	$(PY) -m bench.run $(BENCH_ARGS)

# Lighthouse (tools/lighthouse, pinned) in Debian's Chromium on the login, home and conversation screens of
# an embedded server, mobile preset, the median of 3 runs each; writes the scores into docs/web.md. Not
# part of `make test`: slow, and its performance score moves with the machine's load.
LIGHTHOUSE := tools/lighthouse
$(LIGHTHOUSE)/node_modules/.package-lock.json: $(LIGHTHOUSE)/package-lock.json
	cd $(LIGHTHOUSE) && npm ci --no-audit --no-fund

lighthouse: $(STAMP) system-deps web $(LIGHTHOUSE)/node_modules/.package-lock.json
	CHROME_PATH=/usr/bin/chromium $(PY) -m scripts.lighthouse

clean:
	rm -rf $(VENV) data .stack .pytest_cache .mypy_cache .ruff_cache
