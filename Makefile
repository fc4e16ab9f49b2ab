# encircle-sim: the two commands of the README, and a few helpers.
#   make demo   set up .venv if needed, run the default scenario, print where the results are
#   make test   set up .venv (with test tools) if needed, run the whole test suite
#   make lock   refresh requirements.lock, the exact versions the set-up installs
#   make mutation  mutation testing of the mechanisms (mutmut; not part of `make test`)
VENV ?= .venv
BIN := $(VENV)/bin
MUTATION_JOBS ?= 2

.PHONY: demo test lint lock setup setup-test browser-deps mutation mutation-sample clean

setup:
	@scripts/bootstrap.sh

setup-test:
	@scripts/bootstrap.sh test

demo: setup
	$(BIN)/encircle-sim run scenarios/victory_will.toml --out runs/demo --force

# What the browser tests need besides Python packages: Debian's chromium, and the live page's
# front-end files (npm packages) in .cache/solara-cdn so the page works with no internet.
# Both steps take well under a second when already done.
browser-deps: setup-test
	@scripts/install-browser.sh
	@$(BIN)/python -m encircle_sim.viz.assets

# requirements.lock pins every installed package (what CI tests); this re-resolves the newest
# versions pyproject.toml allows. Run `make test` before committing the new lock.
lock:
	@scripts/lock.sh

# The linter's version and rules are pinned in pyproject.toml.
lint: setup-test
	$(BIN)/ruff check .

test: setup-test browser-deps lint
	$(BIN)/python -m pytest -n 2 tests

# Mutation testing (issue 9): mutmut plants one small bug at a time in engagement.py, cover.py and
# submodels/ and runs the mechanism and fingerprint tests against each ([tool.mutmut] in
# pyproject.toml); then the kill rate per module. Results are kept in mutants/: a second run
# tests only what changed; `rm -rf mutants` for a fresh one.
mutation: setup-test
	@scripts/bootstrap.sh test,mutation
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	@$(BIN)/python scripts/mutation_report.py

# The same on a fixed fifth of the mutants, those numbered ...0 and ...5 in each function (a kill
# rate to within a few percent in a fifth of the time; the report counts only mutants checked).
mutation-sample: setup-test
	@scripts/bootstrap.sh test,mutation
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS) "*__mutmut_*[05]"
	@$(BIN)/python scripts/mutation_report.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis mutants
