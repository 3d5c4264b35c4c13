# Parley: `make run` (embedded, no services) and `make test` (real services) do all their own set-up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv migrate run demo test lint format services system-deps stack stack-down clean

help:
	@echo "make run | demo | test | lint | stack | stack-down"

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Parley is serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) chatproject.asgi:application

demo: migrate
	$(PY) manage.py seed_demo
	$(MAKE) run

services:
	scripts/services.sh

# Debian packages the tests and the stack use; installed once, only where missing.
system-deps:
	@missing=""; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v shellcheck >/dev/null || missing="$$missing shellcheck"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -q && apt-get install -y -q $$missing; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(STAMP) system-deps services lint
	$(VENV)/bin/pytest

stack: $(STAMP) system-deps
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

clean:
	rm -rf $(VENV) data .stack .pytest_cache .mypy_cache .ruff_cache
