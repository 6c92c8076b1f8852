# Two commands: `make run` starts the portal, `make test` runs the whole suite. Both set up first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test lint format bench bench-pipeline bench-gallery bench-moderation bench-submit

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/run.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/all.py

bench-pipeline: setup
	$(PY) bench/pipeline.py

bench-gallery: setup
	$(PY) bench/gallery.py

bench-moderation: setup
	$(PY) bench/moderation.py

bench-submit: setup
	$(PY) bench/submit.py
