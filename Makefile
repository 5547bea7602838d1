# Flights lakehouse: every command a newcomer, an operator or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
LAKEHOUSE   := $(VENV)/bin/lakehouse
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# .env holds the generated local secrets; make creates it (rule below) and loads it for every recipe.
-include .env
export

.env: .env.example
	@$(PYTHON_BOOT) scripts/make_env.py

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: env
env: .env ## Generate .env (local secrets) from .env.example; keeps an existing one

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	@echo "venv: installing the pinned dependency set (first time: several minutes)"
	@$(PY) -m pip install -q --upgrade "pip>=24" setuptools wheel
	@$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create .venv with the pinned dependencies (constraints.txt)

.PHONY: jars
jars: ## Fetch the pinned Delta / S3A / JDBC jars into .cache/jars (once)
	@bash scripts/fetch_jars.sh

.PHONY: setup
setup: .env venv jars ## Everything installed: .env, venv, jars, object store binary
	@bash scripts/build_versitygw.sh
	@bash scripts/install_chromium.sh

.PHONY: services-up
services-up: setup ## Start Postgres and the object store, bootstrap roles/schemas, migrate, init Airflow
	@$(LAKEHOUSE) services up

.PHONY: services-down
services-down: ## Stop every local service (data stays in .local/)
	@$(LAKEHOUSE) services down

.PHONY: services-status
services-status: ## Show what runs, where, and the data folders
	@$(LAKEHOUSE) services status

.PHONY: test
test: check services-up ## Lint and type checks, then the whole test suite (unit, integration, DAGs, end to end) on real services
	@$(PY) -m pytest tests -m "not wip" --durations=20

.PHONY: test-wip
test-wip: services-up ## Tests of features still being finished (see WIP_TESTS in tests/conftest.py)
	@$(PY) -m pytest tests -m wip

.PHONY: bench-smoke
bench-smoke: services-up ## The benchmark pipeline on tiny data, for correctness (also part of `make test`)
	@$(PY) -m pytest tests/bench

.PHONY: check
check: venv ## Lint, format check, types, SQL style
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/sqlfluff lint lakehouse/gold lakehouse/report --dialect postgres --templater placeholder

.PHONY: fmt
fmt: venv ## Apply ruff formatting and safe fixes
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

.PHONY: demo
demo: services-up ## Run the pipeline end to end on simulated traffic and print the gold tables
	@$(LAKEHOUSE) demo

.PHONY: bench
bench: services-up ## Run the benchmarks; writes docs/benchmarks.md and bench/results/
	@$(PY) -m bench

.PHONY: lock
lock: ## Re-resolve the dependency set into constraints.txt (needs network to PyPI)
	@rm -rf .lock-venv && $(PYTHON_BOOT) -m venv .lock-venv
	@.lock-venv/bin/pip install -q -e '.[dev]'
	@(echo "# Pinned versions of the whole dependency tree, resolved by pip on Python 3.11 (linux x86_64)."; \
	  echo "# Regenerate with \`make lock\` after changing pyproject.toml."; \
	  .lock-venv/bin/pip freeze --exclude-editable) > constraints.txt
	@rm -rf .lock-venv

.PHONY: clean
clean: services-down ## Stop services and delete local state (.local/); keeps caches
	@rm -rf .local
