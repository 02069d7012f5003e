# Two commands do all set-up: `make lab` and `make test`. Both create .venv when it is missing.
# Python: the course runs on 3.10-3.13. By default the newest python3.13 ... python3.10 on PATH
# that starts is used; name another with PYTHON=/path/to/python3.x.
SUPPORTED_PYTHONS := 3.13 3.12 3.11 3.10
PYTHON ?= $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(shell python$(v) -c '' >/dev/null 2>&1 && echo python$(v))))
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The exact versions of every package, for Linux and Python 3.10-3.13 (`make lock` regenerates it).
LOCK := requirements/lock.txt
UV_VERSION := 0.13.9
LAB_PORT ?= 8888
# Extra JupyterLab flags (e.g. LAB_FLAGS=--no-browser). The address and token are not among them:
# the server always binds 127.0.0.1 and always asks for a token.
LAB_FLAGS ?=
# Jupyter refuses to start as root unless told; CI and containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# `make test-fast`: what carries none of these marks (tests/suite_kinds.py sets most of them).
SLOW_MARKS := not browser and not notebook and not tensorflow and not server and not slow

.PHONY: lab test test-fast test-lesson test-browser bench site slides handouts lock lock-upgrade clean-venv

$(STAMP): pyproject.toml $(LOCK)
	@if [ ! -x $(BIN)/python ]; then \
		if [ -z "$(PYTHON)" ]; then \
			echo "No Python 3.10-3.13 found (looked for python3.13, python3.12, python3.11, python3.10)."; \
			echo "Install one (e.g. 'apt install python3.12-venv', or 'pyenv install 3.13'), or name it: make PYTHON=/path/to/python3.12"; \
			exit 1; fi; \
		$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if (3, 10) <= v[:2] < (3, 14) else f"$(PYTHON) is Python {v[0]}.{v[1]}; the course needs 3.10-3.13")' || exit 1; \
		echo "Creating $(VENV) with $(PYTHON) (Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'))"; \
		$(PYTHON) -m venv $(VENV) || exit 1; \
	fi
	@echo "Installing the locked versions ($(LOCK)) into $(VENV), Python $$($(BIN)/python -c 'import platform; print(platform.python_version())')"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_FLAGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

# Unit and property tests only: no notebook, no TensorFlow, no browser, no server.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "$(SLOW_MARKS)"

# One lesson executed top to bottom and its claim tests, e.g. LESSON=04.
LESSON ?= 04
test-lesson: $(STAMP)
	$(BIN)/python -m pytest -m "notebook and not browser" -k "$(LESSON)_ or lesson$(LESSON)"

# COUNT=10 runs the browser tests ten times in a row (one pytest session per run; stops at the first failure).
COUNT ?= 1
test-browser: $(STAMP)
	@set -e; for run in $$(seq 1 $(COUNT)); do \
		echo "== browser run $$run of $(COUNT)"; $(BIN)/python -m pytest -m browser; done

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

# Regenerate the lock from pyproject.toml's ranges for Linux and Python 3.10-3.13, keeping the versions
# already locked where they still fit (deterministic: same inputs, same file). lock-upgrade moves
# every package to the newest version the ranges allow.
UV := $(VENV)-tools/bin/uv
$(UV):
	$(or $(PYTHON),python3) -m venv $(VENV)-tools
	$(VENV)-tools/bin/python -m pip install --quiet uv==$(UV_VERSION)

LOCK_FLAGS := --universal --python-version 3.10 --extra test \
	--no-emit-package lr-blowup-course --custom-compile-command "make lock"
lock: $(UV)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --quiet -o $(LOCK)

lock-upgrade: $(UV)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --quiet --upgrade -o $(LOCK)

clean-venv:
	rm -rf $(VENV)
