# hh-forecast: `make repro` builds everything; `make test` runs the checks and the unit suite, `make test-slow` the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export PATH := $(abspath $(BIN)):$(PATH)
# TensorFlow's environment is set by the library (hhforecast/core/tensorflow_env.py): quiet start-up by default, and
# oneDNN off in every stage (hhforecast/core/stage.py), for byte-stable models; elsewhere oneDNN is off unless the caller set it.
# Every process (each stage, test subprocess, worker) imports TensorFlow and pandas. Where the caller's
# environment sets PYTHONDONTWRITEBYTECODE, each one would recompile them from source (TensorFlow: 24 s
# instead of 6 s); unset here, the first import writes the .pyc files and the others read them. Only what is
# imported gets compiled: compiling all of .venv at setup (uv sync --compile-bytecode) took 43 s.
unexport PYTHONDONTWRITEBYTECODE
# pytest-xdist workers for `make test`: the machine's two cores (a test file stays on one worker).
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help setup repro verify release docs-numbers retrain monitor replay test test-slow thesis-deps thesis-check lock bench bench-scale study bench-study clean-venv

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# uv installs the lock; pip fetches uv from the package registry into a venv of its own, .tools. `python3 -m venv`
# works from any shell: with a venv active, python3 is that venv's (uv's has no pip) and venv builds on its base
# interpreter, which has pip. An interpreter without the venv module (ensurepip) installs with its own pip instead.
$(UV):
	rm -rf $(TOOLS)
	if $(PYTHON) -m venv $(TOOLS); then \
		$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); \
	else \
		rm -rf $(TOOLS) && $(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION); \
	fi

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked
	touch $(STAMP)

setup: $(STAMP) ## create .venv from uv.lock (only when the lock changed)

repro: setup ## run the whole DVC pipeline on the configured raw data
	$(BIN)/hh runlog pipeline -- $(BIN)/dvc repro

verify: setup ## re-run the pipeline and compare every metric with the committed one (PASS/FAIL table)
	$(BIN)/hh verify

release: setup ## tag tcc-vVERSION (make release VERSION=1.0.0) from a clean tree that passes verify
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z" >&2; exit 2; }
	$(BIN)/hh release "$(VERSION)"

docs-numbers: setup ## rewrite every generated number in README*.md and docs/ from the committed metrics
	$(BIN)/python -m hhforecast.reporting.docnumbers

retrain: setup ## rebuild with the newest data, commit, and promote through the gate (for cron / Airflow / Prefect)
	$(BIN)/hh runlog retrain -- $(BIN)/dvc repro
	git add dvc.lock metrics dvclive reports 2>/dev/null; git diff --cached --quiet || git commit -m "Retrain on the newest data"
	$(BIN)/hh promote --reason "$${REASON:-scheduled retrain}"

monitor: setup ## check error, drift, volume and failed runs; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
	$(BIN)/hh monitor

replay: setup ## replay a year of `hh weekly` on the synthetic world (a clone under .replay/; report in reports/replay/)
	$(BIN)/hh replay

# mypy's cache is kept outside the clone, as uv's is: a new clone type-checks only what differs (its first
# run costs about 44 s; later ones, in any clone, about 1 s). Modules are matched by content hash, not path.
MYPY_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hh-forecast/mypy

test: setup ## lint, format check (ruff) and type check (mypy, strict on the library), then every test not marked slow, a file per core (about 3 minutes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --cache-dir "$(MYPY_CACHE)"
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

test-slow: setup ## the tests marked slow: fresh clones running the whole pipeline, the short replay, remotes, separate processes (about 15 minutes; CI runs them after make test)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m slow

# Debian's LaTeX for the thesis's tables (tectonic would download its bundle at its first run).
LATEX_PACKAGES := texlive-latex-recommended texlive-lang-portuguese

thesis-deps: ## install Debian's LaTeX (pdflatex, booktabs, Portuguese babel) when any is missing (root, or sudo)
	@{ command -v pdflatex >/dev/null && kpsewhich booktabs.sty portuges.ldf | grep -q portuges; } || { \
		if test "$$(id -u)" = 0; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
			echo "make thesis-deps: installing $(LATEX_PACKAGES) needs root or sudo" >&2; exit 1; fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(LATEX_PACKAGES); }

thesis-check: setup thesis-deps ## compile every thesis table and figure page with pdflatex (fails if they do not fit the page); the PDFs go to build/thesis-check/
	rm -rf build/thesis-check
	HH_REQUIRE_LATEX=1 HH_THESIS_PDF_DIR=build/thesis-check $(BIN)/python -m pytest -q -p no:cacheprovider tests/reporting/test_latex.py

bench: setup ## run the benchmarks (minutes; figures on stdout)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/repro_noop.py
	$(BIN)/python benchmarks/repro_force.py
	$(BIN)/python benchmarks/predict.py
	$(BIN)/python benchmarks/api_load.py
	$(BIN)/python benchmarks/test_suite.py

bench-scale: setup ## the scale benchmark: every stage at synthetic.scale 1, 3, 10 (about 10 minutes)
	$(BIN)/python benchmarks/scale.py

study: setup ## the simulation study: every family x world of params.yaml, then metrics/study.json and reports/study.md
	$(BIN)/dvc repro study/dvc.yaml

bench-study: setup ## time the simulation study per world and project the total (minutes)
	$(BIN)/python benchmarks/study.py

# requirements.txt is the lock's runtime packages for pip users (`pip install -r requirements.txt`, then
# `pip install --no-deps -e .`); tests/test_requirements.py fails when it no longer matches uv.lock.
REQUIREMENTS_EXPORT := export --frozen --no-dev --no-emit-project --format requirements-txt

lock: $(UV) ## re-resolve pyproject.toml into uv.lock for every platform (needs the package registry), and requirements.txt from it
	$(UV) lock
	$(UV) $(REQUIREMENTS_EXPORT) --output-file requirements.txt

clean-venv: ## remove the virtual environment and the bootstrapped uv
	rm -rf $(VENV) $(TOOLS)
