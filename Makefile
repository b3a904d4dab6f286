# The two commands of the README: `make run` (install what is missing, start the app) and
# `make test` (install what is missing, check the code with ruff, run the whole suite, slow tests included).
PY := .venv/bin/python

.PHONY: run test test-fast lint bench bench-quick setup setup-dev

setup:
	@scripts/setup.sh run

setup-dev:
	@scripts/setup.sh dev

run: setup
	$(PY) app.py

test: setup-dev lint
	$(PY) -m pytest -m "slow or not slow"

lint: setup-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test-fast: setup-dev
	$(PY) -m pytest -m "not slow"

bench: setup-dev
	$(PY) -m bench --out docs/bench

bench-quick: setup-dev
	$(PY) -m bench --quick --out /tmp/hmrc-bench
