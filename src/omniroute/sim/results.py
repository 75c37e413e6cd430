"""What a simulation found: one run (:class:`Run`), or several replications of a
scenario summarised with confidence intervals (:class:`Results`).

Every figure is read from the Router's own statistics
(:class:`~omniroute.metrics.Metrics`), so the simulation reports exactly what the
same Router would report in production; ``docs/explanation/metrics.md`` defines
them. The simulator adds what only it can know: how many customers came, which
conversations were still open when it stopped, queue lengths sampled through the
day, every realised wait, and how far the Router's wait estimates were from the
waits that followed.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from omniroute.router import Router
from omniroute.sim.confidence import summarise
from omniroute.sim.engine import Simulation
from omniroute.sim.scenario import Scenario

__all__ = ["SCHEMA", "Results", "Run"]

SCHEMA = "omniroute.sim/1"
"""The ``schema`` of :meth:`Results.as_dict`: its layout changes with its number."""

_INTERVAL_FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "service_level",
    "abandon_rate",
    "average_speed_of_answer",
    "wait_p90",
    "longest_wait",
    "average_handle_time",
)
_OPERATOR_FIGURES = ("online_time", "occupancy", "utilisation", "average_concurrency")


@attrs.frozen(kw_only=True)
class Run:
    """One simulated run of a scenario with one seed.

    ``overall``, ``channels`` and ``groups``: the statistics
    (:meth:`ConversationStats.as_dict <omniroute.ConversationStats.as_dict>`) from
    the end of the warm-up until the run stopped; ``operators``: the people's time
    (:class:`~omniroute.OperatorStats`). ``intervals``: per report interval, the
    main figures overall and per channel, and the operators'. ``queue``: (time,
    waiting per channel) samples. ``waits``: the realised wait of every answered
    conversation, warm-up included. ``estimates``: how the Router's wait estimate
    at queueing compared with the wait that followed (:func:`estimate_errors`).
    ``customers``: arrivals; ``unfinished``: conversations still open at the stop.
    """

    seed: int
    customers: int
    unfinished: int
    happenings: int
    end: float
    overall: Mapping[str, Any]
    channels: Mapping[str, Mapping[str, Any]]
    groups: Mapping[str, Mapping[str, Any]]
    operators: Mapping[str, Any]
    intervals: Sequence[Mapping[str, Any]]
    queue: Sequence[tuple[float, Mapping[str, int]]]
    waits: Sequence[float] = attrs.field(repr=False)
    estimates: Mapping[str, Any]

    @classmethod
    def read(cls, simulation: Simulation) -> Run:
        """The figures of a simulation that has run."""
        scenario, router = simulation.scenario, simulation.router
        metrics = router.metrics
        now = simulation.end
        since = scenario.counted_from if scenario.warmup else None
        channels = metrics.channels(since)
        groups = sorted({plan.id for plan in scenario.groups})
        return cls(
            seed=simulation.seed,
            customers=simulation.customers,
            unfinished=simulation.unfinished,
            happenings=simulation.happenings,
            end=now,
            overall=metrics.stats(since=since, now=now).as_dict(),
            channels={
                channel: metrics.stats(channel=channel, since=since, now=now).as_dict()
                for channel in channels
            },
            groups={
                group: metrics.stats(group=group, since=since, now=now).as_dict()
                for group in groups
            },
            operators=metrics.operator_stats(since=since, now=now).as_dict(),
            intervals=_intervals(router, channels),
            queue=tuple(simulation.queue),
            waits=simulation.waits,
            estimates=estimate_errors(simulation.estimates),
        )

    def figures(self) -> dict[str, Any]:
        """The figures to summarise across replications (what :meth:`as_dict`
        gives, without the samples)."""
        return {
            "customers": self.customers,
            "unfinished": self.unfinished,
            "overall": dict(self.overall),
            "channels": {k: dict(v) for k, v in self.channels.items()},
            "groups": {k: dict(v) for k, v in self.groups.items()},
            "operators": dict(self.operators),
            "estimates": dict(self.estimates),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data: every figure, the interval rows and the queue samples
        (not the individual waits)."""
        return {
            "seed": self.seed,
            "end": self.end,
            "happenings": self.happenings,
            **self.figures(),
            "intervals": [dict(row) for row in self.intervals],
            "queue": [[time, dict(lengths)] for time, lengths in self.queue],
        }


def _intervals(router: Router, channels: Sequence[str]) -> list[dict[str, Any]]:
    """The main figures of each report interval, overall and per channel."""
    metrics = router.metrics
    overall = metrics.intervals()
    per_channel = {channel: metrics.intervals(channel=channel) for channel in channels}
    people = metrics.operator_intervals()
    rows = []
    for i, stats in enumerate(overall):
        figures = stats.as_dict()
        rows.append(
            {
                "start": stats.start,
                "end": stats.end,
                "overall": {name: figures[name] for name in _INTERVAL_FIGURES},
                "channels": {
                    channel: {name: getattr(series[i], name) for name in _INTERVAL_FIGURES}
                    for channel, series in per_channel.items()
                    if series[i].offered or series[i].answered or series[i].abandoned
                },
                "operators": {name: getattr(people[i], name) for name in _OPERATOR_FIGURES},
            }
        )
    return rows


def estimate_errors(pairs: Sequence[float]) -> dict[str, Any]:
    """How good the Router's wait estimates were: ``pairs`` holds, flattened, the
    estimate given to each conversation when it was first queued and the wait it
    then had until answered. ``bias``: mean of estimate - realised (positive:
    estimates too long); ``mean_absolute_error``, ``rmse``; ``within``: the share
    within max(10 s, 25 % of the realised wait). Conversations that left
    unanswered are not counted: their wait was cut short."""
    n = len(pairs) // 2
    if n == 0:
        return {
            "count": 0,
            "mean_estimate": None,
            "mean_realised": None,
            "bias": None,
            "mean_absolute_error": None,
            "rmse": None,
            "within": None,
        }
    estimates, realised = pairs[0::2], pairs[1::2]
    errors = [e - r for e, r in zip(estimates, realised, strict=True)]
    close = sum(abs(err) <= max(10.0, 0.25 * r) for err, r in zip(errors, realised, strict=True))
    return {
        "count": n,
        "mean_estimate": math.fsum(estimates) / n,
        "mean_realised": math.fsum(realised) / n,
        "bias": math.fsum(errors) / n,
        "mean_absolute_error": math.fsum(map(abs, errors)) / n,
        "rmse": math.sqrt(math.fsum(err * err for err in errors) / n),
        "within": close / n,
    }


@attrs.frozen(kw_only=True)
class Results:
    """Replications of one scenario, each with its own seed, and their summary:
    every figure's mean across runs with a Student-t confidence interval
    (:func:`omniroute.sim.confidence.estimate`)."""

    scenario: Scenario
    seed: int
    runs: tuple[Run, ...]
    confidence: float = 0.95

    def summary(self) -> dict[str, Any]:
        """Each figure of :meth:`Run.figures` as ``{mean, low, high, stdev, n}``."""
        return summarise([run.figures() for run in self.runs], self.confidence)

    def intervals(self) -> list[dict[str, Any]]:
        """The interval rows, each figure summarised across runs like
        :meth:`summary` (runs that ran past the day have more rows: the last rows
        summarise the runs that have them)."""
        rows: dict[float, list[Mapping[str, Any]]] = {}
        for run in self.runs:
            for row in run.intervals:
                rows.setdefault(row["start"], []).append(row)
        return [
            {
                "start": start,
                **summarise(
                    [{k: v for k, v in row.items() if k != "start"} for row in same],
                    self.confidence,
                ),
            }
            for start, same in sorted(rows.items())
        ]

    def waits(self) -> array[float]:
        """Every realised wait of the answered, all runs together."""
        waits = array("d")
        for run in self.runs:
            waits.extend(run.waits)
        return waits

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (``schema`` :data:`SCHEMA`); the same scenario and seed
        give the same data, byte for byte once dumped."""
        scenario = self.scenario
        data: dict[str, Any] = _plain(
            {
                "schema": SCHEMA,
                "scenario": {
                    "name": scenario.name,
                    "source": scenario.source,
                    "start": scenario.start,
                    "end": scenario.end,
                    "warmup": scenario.warmup,
                    "interval": scenario.interval,
                },
                "seed": self.seed,
                "replications": len(self.runs),
                "confidence": self.confidence,
                "summary": self.summary(),
                "intervals": self.intervals(),
                "runs": [run.as_dict() for run in self.runs],
            }
        )
        return data


def _plain(data: Any) -> Any:
    """``data`` with NaN (a figure no run could give) as None, as JSON has no NaN."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    if isinstance(data, float) and math.isnan(data):
        return None
    return data
