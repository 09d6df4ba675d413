# The README's two commands. Both create .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, write yuqing.toml if missing, migrate the SQLite database, start daemon + web UI
run: install
	@test -f yuqing.toml || $(BIN)/yuqing init
	$(BIN)/yuqing db upgrade
	$(BIN)/yuqing run

## make test: install dev dependencies and run the whole test suite
test: install-dev
	$(BIN)/pytest -q

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
