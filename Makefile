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

.PHONY: lab test test-browser bench site slides clean-venv

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

site: $(STAMP)
	$(BIN)/python tools/build_site.py

slides: $(STAMP)
	$(BIN)/python tools/build_slides.py

clean-venv:
	rm -rf $(VENV)
