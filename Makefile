# Two commands do all set-up on a fresh machine with Python >= 3.11 and make:
#   make demo   creates .venv, installs seskeys, runs the guided demo
#   make test   creates .venv with the dev extras, runs ruff, mypy and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PYTEST_ARGS ?= -n 2 -q

.PHONY: demo test lint typecheck pytest bench reliability docs clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "seskeys needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[demo]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,demo]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/seskeys demo

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench reliability

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

docs: $(VENV)/.dev-installed
	$(BIN)/seskeys template -o markdown > docs/aws-iam-ses-keys-template-lastpass.md

bench: $(VENV)/.dev-installed
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

reliability: $(VENV)/.dev-installed
	$(BIN)/python -m reliability

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
