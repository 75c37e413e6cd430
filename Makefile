# Everything runs inside .venv, created on first use from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test nightly lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/omniroute simulate examples/scenarios/bank.toml

# One pytest worker per core (pytest-xdist), idle ones taking tests from busy
# ones (worksteal): the suite takes about 2 minutes on 2 cores.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

# The same with hypothesis's thorough profile (2000 examples of up to 80 steps):
# a nightly-style run, about 7 minutes on 2 cores.
nightly: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks examples
	$(BIN)/ruff format src tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_routing.py
	$(BIN)/python benchmarks/bench_snapshot.py
	$(BIN)/python benchmarks/bench_policies.py
	$(BIN)/python benchmarks/bench_continuity.py
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_calls.py
	$(BIN)/python benchmarks/bench_events.py
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_channels.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
