# authgate — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test fuzz setup dev lint format ui clean

$(BIN)/authgate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	./scripts/build-argon2.sh $(BIN)
	@touch $@

$(VENV)/.dev: $(BIN)/authgate
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

setup: $(BIN)/authgate

dev: $(VENV)/.dev

## run: set up and start the server on ./authgate.db (embedded SQLite)
run: setup
	AUTHGATE_COOKIE_SECURE=$${AUTHGATE_COOKIE_SECURE:-false} $(BIN)/authgate serve --host $(HOST) --port $(PORT)

## test: set up and run the whole test suite (and ruff, ruff format, mypy)
test: dev
	./scripts/test-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## fuzz: the long fuzzing run before a release (docs/testing.md): 1000 examples per
## operation and a new seed each time (AUTHGATE_FUZZ_EXAMPLES, AUTHGATE_FUZZ_SEED)
fuzz: dev
	@seed=$${AUTHGATE_FUZZ_SEED:-$$(date +%s)}; echo "AUTHGATE_FUZZ_SEED=$$seed"; \
	AUTHGATE_FUZZ_SEED=$$seed AUTHGATE_FUZZ_EXAMPLES=$${AUTHGATE_FUZZ_EXAMPLES:-1000} \
	$(BIN)/pytest tests/web/test_fuzz.py

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist
