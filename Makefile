# OpenConnector-style synchronizations on Apache Airflow 3.
# `make demo` and `make test` work on a fresh machine: each creates .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PSQL    = $(BIN)/python -m devkit.psql

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast airflow psql bench lint clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 13) else "Python 3.10 to 3.13 is needed, found %d.%d: set PYTHON=python3.x" % v)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## Run the demo synchronization twice through a real Airflow (embedded Postgres)
	$(BIN)/python -m devkit.demo

test: $(STAMP)  ## Run every test (unit, Postgres, end-to-end through Airflow)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## Run the tests that need neither Airflow's scheduler nor a browser
	$(BIN)/python -m pytest -m "not e2e"

airflow: $(STAMP)  ## Start the full Airflow on http://localhost:8080 (admin/admin) with the demo source
	$(BIN)/python -m devkit.airflow_up

psql: $(STAMP)  ## Open psql on the contracts database (SQL="..." to run one statement)
	$(PSQL) $(if $(SQL),-c "$(SQL)",)

bench: $(STAMP)  ## Benchmark a sync of N objects (default 100000) against dlt and the floor
	$(BIN)/python -m bench.run --count $(or $(N),100000)

lint:  $(STAMP) ## Lint with ruff
	$(BIN)/python -m pip install --quiet ruff && $(BIN)/ruff check plugins devkit tests dags bench

clean:  ## Stop the embedded Postgres and remove .venv and .local
	-$(BIN)/python -c 'from openconnector.db.embedded import stop_embedded_postgres as s; s()' 2>/dev/null
	rm -rf $(VENV) .local
