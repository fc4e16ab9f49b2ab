# encircle-sim: the two commands of the README, and a few helpers.
#   make demo   set up .venv if needed, run the default scenario, print where the results are
#   make test   set up .venv (with test tools) if needed, run the whole test suite
#   make lock   refresh requirements.lock, the exact versions the set-up installs
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint lock setup setup-test browser-deps clean

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

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
