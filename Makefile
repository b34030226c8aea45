# labred — two commands on a fresh machine: `make demo` and `make test`.
# Only Python 3.11+ and pip are needed; everything else is installed into .venv.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2
DEMO_ARGS ?= --sedes 2

.PHONY: demo test lint typecheck unit bench clean venv

# Cache the project's bytecode (__pycache__/, git-ignored) even where the environment turns it
# off: the tests start a few hundred labred processes, and compiling ~400 modules from source
# at each start cost ~0.25 s of its ~1.5 s.
unexport PYTHONDONTWRITEBYTECODE

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/labred demo $(DEMO_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

test: lint typecheck unit

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
