# Two commands: `make serve` and `make test`. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= var/store

.PHONY: serve test lint format store clean virtuoso virtuoso-stop

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Build the store from data/ (validated) if it is absent, then serve it.
serve: $(STAMP)
	$(BIN)/ikgraph --store oxigraph:$(STORE) build --if-empty
	$(BIN)/ikgraph --store oxigraph:$(STORE) serve

## Build (or rebuild) the store from ontology/ and data/.
store: $(STAMP)
	$(BIN)/ikgraph --store oxigraph:$(STORE) build

## Lint and run the whole test suite, with a throw-away Virtuoso for the remote-store
## tests (installed if missing; where it cannot be, those tests skip and say why).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/virtuoso.sh start; \
	trap 'bash scripts/virtuoso.sh stop' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python -m pytest -q

## Start the test Virtuoso on loopback (var/virtuoso-test/); `make virtuoso-stop` ends it.
virtuoso:
	bash scripts/virtuoso.sh start

virtuoso-stop:
	bash scripts/virtuoso.sh stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	-bash scripts/virtuoso.sh stop
	rm -rf $(VENV) var .pytest_cache .ruff_cache
