# encircle-sim: the two commands of the README, and a few helpers.
#   make demo   set up .venv if needed, run the default scenario, print where the results are
#   make test   set up .venv (with test tools) if needed, run the whole test suite
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup setup-test clean

setup:
	@scripts/bootstrap.sh

setup-test:
	@scripts/bootstrap.sh test

demo: setup
	$(BIN)/encircle-sim run scenarios/victory_will.toml --out runs/demo

test: setup-test
	$(BIN)/python -m pytest -n 2 tests

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
