"""A readable report of simulation results: per channel, the operators, the wait
estimates, and one row per report interval — each figure the mean across runs,
with its confidence interval when there are two runs or more (``81.2% ±1.3``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from omniroute.report import MISSING, _clock, _percent, _table, _threshold, duration
from omniroute.sim.results import Results

__all__ = ["render"]

Figure = Mapping[str, Any]  # {"mean", "low", "high", "stdev", "n"}


def _mean(figure: Figure | None) -> float | None:
    if figure is None or figure["n"] == 0:
        return None
    return float(figure["mean"])


def _with_ci(
    figure: Figure | None,
    show: Callable[[float], str],
    runs: int,
    half: Callable[[float], str] | None = None,
) -> str:
    """The mean, and ``±`` the half width of its interval (shown by ``half``, else
    like the mean) when there are two runs or more."""
    mean = _mean(figure)
    if mean is None or figure is None:
        return MISSING
    if runs < 2 or figure["n"] < 2:
        return show(mean)
    return f"{show(mean)} ±{(half or show)(figure['high'] - mean).lstrip('+')}"


def _points(share: float) -> str:
    """A half width of shares, in percentage points."""
    return f"{share * 100:.1f}"


def _share(figure: Figure | None, runs: int) -> str:
    return _with_ci(figure, _percent, runs, _points)


def _count(figure: Figure | None) -> str:
    mean = _mean(figure)
    return MISSING if mean is None else f"{mean:,.0f}".replace(",", " ")


_CHANNEL_HEADER = (
    ("", "channel"),
    ("", "within"),
    ("", "offered"),
    ("", "answered"),
    ("", "abandoned"),
    ("service", "level"),
    ("", "ASA"),
    ("abandon", "rate"),
    ("p90", "wait"),
    ("longest", "wait"),
    ("", "AHT"),
)
_INTERVAL_HEADER = (
    ("", "interval"),
    ("", "offered"),
    ("", "abandoned"),
    ("service", "level"),
    ("", "ASA"),
    ("longest", "wait"),
    ("", "occupancy"),
)


def _channel_row(label: str, threshold: str, stats: Mapping[str, Figure], runs: int) -> list[str]:
    def time(name: str) -> str:
        return _with_ci(stats.get(name), duration, runs)

    return [
        label,
        threshold,
        _count(stats.get("offered")),
        _count(stats.get("answered")),
        _count(stats.get("abandoned")),
        _share(stats.get("service_level"), runs),
        time("average_speed_of_answer"),
        _share(stats.get("abandon_rate"), runs),
        time("wait_p90"),
        time("longest_wait"),
        time("average_handle_time"),
    ]


def render(results: Results) -> str:
    """The report as text: the figures of :meth:`Results.summary` and
    :meth:`Results.intervals`, laid out for a terminal."""
    scenario = results.scenario
    runs = len(results.runs)
    summary = results.summary()
    replications = f"{runs} replication{'s' if runs != 1 else ''}, seed {results.seed}"
    if runs > 1:
        replications += f", {results.confidence:.0%} confidence intervals"
    lines = [
        f"{scenario.name} — {replications}",
        f"{_clock(scenario.start)} to {_clock(scenario.end)}"
        + (f", statistics from {_clock(scenario.counted_from)}" if scenario.warmup else "")
        + f"; intervals of {duration(scenario.interval)}; "
        f"{_count(summary['customers'])} customers",
        "",
    ]
    rows = [
        _channel_row(channel, _threshold(scenario.metrics.threshold(channel)), stats, runs)
        for channel, stats in summary["channels"].items()
    ]
    rows.append(_channel_row("all", "", summary["overall"], runs))
    lines += _table(_CHANNEL_HEADER, rows)
    people = summary["operators"]
    lines += [
        "",
        "operators: occupancy "
        + _share(people.get("occupancy"), runs)
        + ", utilisation "
        + _share(people.get("utilisation"), runs)
        + ", conversations at once "
        + _with_ci(people.get("average_concurrency"), lambda x: f"{x:.2f}", runs),
    ]
    estimates = summary["estimates"]
    if _mean(estimates.get("count")):
        lines.append(
            f"wait estimates: {_count(estimates['count'])} compared with the waits that "
            f"followed; bias {_with_ci(estimates['bias'], duration, runs)}, mean absolute "
            f"error {_with_ci(estimates['mean_absolute_error'], duration, runs)}, within "
            f"max(10s, 25%): {_share(estimates['within'], runs)}"
        )
    unfinished = _mean(summary["unfinished"])
    if unfinished:
        lines.append(f"still open when the simulation stopped: {unfinished:g}")
    lines += ["", *_table(_INTERVAL_HEADER, _interval_rows(results, runs))]
    return "\n".join(lines)


def _interval_rows(results: Results, runs: int) -> list[list[str]]:
    rows = []
    for row in results.intervals():
        overall, people = row["overall"], row["operators"]
        rows.append(
            [
                _clock(row["start"]),
                _count(overall.get("offered")),
                _count(overall.get("abandoned")),
                _share(overall.get("service_level"), runs),
                _with_ci(overall.get("average_speed_of_answer"), duration, runs),
                _with_ci(overall.get("longest_wait"), duration, runs),
                _share(people.get("occupancy"), runs),
            ]
        )
    return rows
