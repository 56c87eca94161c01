# Two commands set up a fresh machine: `make serve` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_LINK_MODE ?= copy

.PHONY: help serve test lint check-tests sync reference

help:
	@echo "make serve   start the servers on SQLite (installs what they need)"
	@echo "make test    lint, type-check and run every test (installs what they need)"

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

sync: $(UV)
	$(UV) sync --all-packages --frozen --quiet

serve: sync
	$(UV) run --frozen python deploy/devserver.py

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy packages/svckit/src apps/cornflow/src apps/mandarin/src cutover/src deploy

check-tests: sync reference
	$(UV) run --frozen pytest

test: lint check-tests

# The real Flask Cornflow 1.3.9 (its own virtualenv: its pins clash with ours).
REFERENCE_VENV := .reference/venv
$(REFERENCE_VENV)/bin/gunicorn: $(UV)
	$(UV) venv --quiet --python 3.11 $(REFERENCE_VENV)
	VIRTUAL_ENV=$(REFERENCE_VENV) $(UV) pip install --quiet cornflow==1.3.9 cornflow-client==1.3.9

reference: $(REFERENCE_VENV)/bin/gunicorn
