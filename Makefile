# Two commands set up a fresh machine: `make serve` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_LINK_MODE ?= copy

.PHONY: help serve test lint check-tests sync reference bench airflow airflow2 airflow2-test airflow-lock

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
	$(UV) run --frozen mypy packages/svckit/src apps/cornflow/src apps/mandarin/src cutover/src deploy bench examples/knapsack

check-tests: sync reference airflow
	$(UV) run --frozen pytest

test: lint check-tests

# The real Flask Cornflow 1.3.9 (its own virtualenv: its pins clash with ours).
REFERENCE_VENV := .reference/venv
$(REFERENCE_VENV)/bin/gunicorn: $(UV)
	$(UV) venv --quiet --python 3.11 $(REFERENCE_VENV)
	VIRTUAL_ENV=$(REFERENCE_VENV) $(UV) pip install --quiet cornflow==1.3.9 cornflow-client==1.3.9

reference: $(REFERENCE_VENV)/bin/gunicorn

# Side by side with the Flask server on PostgreSQL; wrk is the load generator (bench/README.md).
bench: sync reference
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(UV) run --frozen python -m bench.run $(BENCH_ARGS)
	$(UV) run --frozen python -m bench.mandarin_reviews
	$(UV) run --frozen python -m bench.solve_load

# Apache Airflow for the orchestrator tests, with cornflow-client 1.3.9 for its DAGs, each
# generation in its own virtualenv from a lock (Airflow pins FastAPI and jsonschema apart from
# ours). The tests start it from apps/cornflow/tests/airflow_support.py.
AIRFLOW3_VENV := .reference/airflow3
AIRFLOW2_VENV := .reference/airflow2
AIRFLOW_APPS := $(wildcard examples/*/pyproject.toml)

$(AIRFLOW3_VENV)/bin/airflow: tools/airflow/requirements-airflow3.txt tools/airflow/install.sh $(AIRFLOW_APPS) | $(UV)
	UV=$(UV) tools/airflow/install.sh $(AIRFLOW3_VENV) $<

$(AIRFLOW2_VENV)/bin/airflow: tools/airflow/requirements-airflow2.txt tools/airflow/install.sh $(AIRFLOW_APPS) | $(UV)
	UV=$(UV) tools/airflow/install.sh $(AIRFLOW2_VENV) $<

airflow: $(AIRFLOW3_VENV)/bin/airflow

airflow2: $(AIRFLOW2_VENV)/bin/airflow

# The Airflow client tests against Airflow 2.11.2 (REST API v1) instead of 3.3.2.
airflow2-test: sync airflow2
	CORNFLOW_TEST_AIRFLOW=2 $(UV) run --frozen pytest apps/cornflow/tests/orchestrators/test_airflow.py

airflow-lock: $(UV)
	cd tools/airflow && for version in 3 2; do \
		$(abspath $(UV)) pip compile --quiet --universal --python-version 3.11 \
			requirements-airflow$$version.in -o requirements-airflow$$version.txt; \
	done
