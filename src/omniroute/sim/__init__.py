"""Simulate a contact centre on the real Router: what a day with these operators,
these channels and these routing rules would look like, before trying it on
customers.

>>> from omniroute.sim import Scenario, simulate
>>> scenario = Scenario.from_dict({
...     "scenario": {"name": "tiny", "duration": "1h"},
...     "groups": [{"id": "help"}],
...     "operators": [{"id": "op", "count": 3, "groups": ["help"],
...                    "capacity": {"total": 2}}],
...     "arrivals": [{"channel": "chat", "group": "help", "per_hour": 60,
...                   "handle": {"kind": "exponential", "mean": 240}}],
... })
>>> run = simulate(scenario, seed=7)
>>> run.customers, run.unfinished
(51, 0)

A :class:`Scenario` (usually a TOML file, :meth:`Scenario.load`) says what to
simulate; :func:`simulate` plays it once with one seed and returns a :class:`Run`;
:func:`replicate` plays it with several seeds and returns :class:`Results`, every
figure with a confidence interval. The ``omniroute simulate`` command does the
same from a shell (:mod:`omniroute.cli`). ``docs/tutorial-simulation.md`` is the
tutorial, ``docs/reference/scenario.md`` the file format.
"""

from __future__ import annotations

from omniroute.sim.confidence import Estimate, estimate, summarise
from omniroute.sim.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Uniform,
)
from omniroute.sim.engine import Progress, Simulation
from omniroute.sim.reading import parse_seconds
from omniroute.sim.results import SCHEMA, Results, Run
from omniroute.sim.scenario import Arrivals, GroupPlan, OperatorPlan, Quiet, Replayed, Scenario

__all__ = [
    "SCHEMA",
    "Arrivals",
    "Distribution",
    "Empirical",
    "Estimate",
    "Exponential",
    "Fixed",
    "GroupPlan",
    "LogNormal",
    "OperatorPlan",
    "Progress",
    "Quiet",
    "Replayed",
    "Results",
    "Run",
    "Scenario",
    "Simulation",
    "Uniform",
    "estimate",
    "parse_seconds",
    "replicate",
    "simulate",
    "summarise",
]


def simulate(
    scenario: Scenario, seed: int | None = None, *, progress: Progress | None = None
) -> Run:
    """Play ``scenario`` once with ``seed`` (None: the scenario's own) and read
    its figures. The same scenario and seed give the same run."""
    simulation = Simulation(scenario, scenario.seed if seed is None else seed, progress=progress)
    simulation.run()
    return Run.read(simulation)


def replicate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    *,
    confidence: float = 0.95,
    progress: Progress | None = None,
) -> Results:
    """Play ``scenario`` ``replications`` times (None: the scenario's own count),
    run ``i`` with seed ``seed + i`` (None: the scenario's seed), and summarise.
    ``progress`` gets the share of all the runs done."""
    count = scenario.replications if replications is None else replications
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"replications must be an int >= 1, got {count!r}")
    base = scenario.seed if seed is None else seed
    runs = []
    for i in range(count):
        report = None if progress is None else _share(progress, i, count)
        runs.append(simulate(scenario, base + i, progress=report))
    return Results(scenario=scenario, seed=base, runs=tuple(runs), confidence=confidence)


def _share(progress: Progress, i: int, count: int) -> Progress:
    return lambda done: progress((i + done) / count)
