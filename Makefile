# Two commands: `make serve` and `make test`. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= var/store

.PHONY: serve test lint format store clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Build the store from data/ (validated) if it is absent, then serve it.
serve: $(STAMP)
	@test -d $(STORE) || $(BIN)/ikgraph --store oxigraph:$(STORE) build
	$(BIN)/ikgraph --store oxigraph:$(STORE) serve

## Build (or rebuild) the store from ontology/ and data/.
store: $(STAMP)
	$(BIN)/ikgraph --store oxigraph:$(STORE) build

## Lint and run the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
