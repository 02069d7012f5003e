# Two commands do all set-up: `make lab` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
# Extra JupyterLab flags (e.g. LAB_FLAGS=--no-browser). The address and token are not among them:
# the server always binds 127.0.0.1 and always asks for a token.
LAB_FLAGS ?=
# Jupyter refuses to start as root unless told; CI and containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test test-browser bench site slides handouts clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_FLAGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

bench: $(STAMP)
	@set -e; for script in benchmarks/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; done

# The course website (_site/), reveal.js slides (_slides/) and PDF handouts (_handouts/), offline,
# from the lessons as the tests executed them (build/executed/; a lesson runs only when it changed).
site: $(STAMP)
	$(BIN)/python tools/publish.py site

slides: $(STAMP)
	$(BIN)/python tools/publish.py slides

handouts: site
	$(BIN)/python tools/publish.py handouts

clean-venv:
	rm -rf $(VENV)
