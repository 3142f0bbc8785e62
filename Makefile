# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := false

.PHONY: install run test lint format ui score clean browser

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install  ## build the warehouse from the bundled pages (or PAPERS_SEEDS_DIR)
	$(BIN)/papers run

test: install lint browser  ## the whole suite
	$(BIN)/pytest

browser:  ## Debian's headless Chromium for tests/test_browser.py (apt, as root; nothing if installed)
	bash scripts/install-browser.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ui: install  ## Dagster UI and daemon on 127.0.0.1:3000
	$(BIN)/papers ui

score: install  ## score extraction against the labelled dev set
	$(BIN)/python ../shared/gold/score.py warehouse/papers.duckdb

clean:
	rm -rf warehouse/staging warehouse/papers.duckdb warehouse/publish.json
