# grassroots-sim
#   make run    set up .venv if needed, then run the default scenario (street_flood)
#   make test   set up .venv if needed, then run the tests
#   make lint   ruff (lint and format check) and mypy
#   make docs   build the documentation site into docs/_build/html (offline, warnings as errors)
#   make bench  run the benchmarks
#   make setup  set up .venv and a CJK font for Chinese reports
#   make clean  remove .venv, build files and caches (results/ is kept)
# .venv is created with the Python that scripts/find-python finds (>= 3.12); the package is
# reinstalled whenever pyproject.toml changes. Pass arguments to the run with
#   make run RUN_ARGS="configs/scenarios/township_typhoon.toml --seed 2"

VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
# --no-compile: packages' modules are byte-compiled when first imported, not all of them at
# install time (a run imports a small part of pandas, scipy, matplotlib and numba).
PIP      := $(PY) -m pip --disable-pip-version-check
INSTALL  := $(PIP) install -q --no-compile
RUN_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup cjk-font run test lint docs bench clean

help:
	@sed -n '2,8s/^# //p' Makefile

$(PY):
	@py=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# What a run needs (make run): the package and its dependencies, no extras.
$(RUN_STAMP): pyproject.toml | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
	    { echo "$(VENV) uses Python < 3.12: run 'make clean' and try again." >&2; exit 1; }
	@echo "Installing grassroots-sim and its dependencies into $(VENV) ..."
	@$(INSTALL) -e .
	@touch $@

# Everything else the tests, the linters and the benchmarks use: the extras.
$(STAMP): pyproject.toml $(RUN_STAMP)
	@echo "Installing the test tools, the cluster backend, the app and the district tools into $(VENV) ..."
	@$(INSTALL) -e '.[dev,cluster,app,district]'
	@touch $@

# Chinese reports (grassroots report DIR --lang zh) need a CJK font; on Debian/Ubuntu it is
# the fonts-wqy-microhei package. setup installs it when it can (root, or sudo without a
# password) and otherwise says how.
setup: $(STAMP) cjk-font

cjk-font:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	    { command -v apt-get >/dev/null && \
	        { $$sudo apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 || \
	          { $$sudo apt-get update -q && \
	            $$sudo apt-get install -y -q fonts-wqy-microhei; } >/dev/null 2>&1; }; } || \
	    echo "note: no CJK font: Chinese report charts need one (Debian/Ubuntu: sudo apt-get \
	install fonts-wqy-microhei; Fedora: google-noto-sans-cjk-fonts; macOS has one)" >&2; }

run: $(RUN_STAMP)
	$(VENV)/bin/grassroots run $(RUN_ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The docs site: the tutorials (docs/tutorials/*.ipynb) run at every build, the parameter
# and CLI references are generated from the code. NB_EXECUTE=off skips the tutorials (quick
# edits of the prose); SPHINXOPTS passes more options (e.g. -j 2).
DOCS_STAMP  := $(VENV)/.docs-installed
NB_EXECUTE  ?= force
SPHINXOPTS  ?=

$(DOCS_STAMP): pyproject.toml $(STAMP)
	@echo "Installing the documentation tools (the 'docs' extra) into $(VENV) ..."
	@$(INSTALL) -e '.[dev,cluster,app,docs]'
	@touch $@

docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -E -W --keep-going -b html -D nb_execution_mode=$(NB_EXECUTE) \
	    $(SPHINXOPTS) docs docs/_build/html
	@echo "The docs are in docs/_build/html/index.html"

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis docs/_build
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
