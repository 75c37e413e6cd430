"""A figure of a simulation: the queue through the day, the service level per
report interval and how long the answered waited.

matplotlib is an optional extra (``pip install 'omniroute[plot]'``), imported only
when :func:`plot` is called, so the rest of :mod:`omniroute.sim` works without it.
The figure is drawn on a bare :class:`matplotlib.figure.Figure`, never through
pyplot, so a host's backend and open figures are left as they were.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import TYPE_CHECKING, Any

from omniroute.errors import OmnirouteError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from omniroute.sim.results import Results

__all__ = ["PlotUnavailable", "plot"]

INSTALL = "plots need matplotlib: pip install 'omniroute[plot]'"
_TICK_STEPS = (900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
"""Spacings of the time-of-day ticks, in seconds: the first giving at most
``_MAX_TICKS`` ticks is used."""
_MAX_TICKS = 8
_WAIT_BINS = 40
_DECADES = 100.0
"""A ratio of longest to shortest non-zero wait above which the waits are drawn on
a log scale: a linear one would squeeze the short waits into the first bin."""


class PlotUnavailable(OmnirouteError, ImportError):
    """matplotlib is not installed (or fails to import); the message says how to
    install it. An ImportError too, like the error it stands for."""


def plot(results: Results, path: str | os.PathLike[str], *, title: str | None = None) -> None:
    """Write a figure of ``results`` to ``path``, in the format its suffix names
    (``.png``, ``.svg``, ``.pdf``…), in three panels:

    1. conversations waiting through the day per channel and in all, the mean over
       the runs of the samples taken every ``scenario.sample`` seconds;
    2. the service level of each channel per report interval, in %, shaded with
       its confidence interval when there are several runs; an interval where a
       channel had no contact to count leaves a gap;
    3. the realised waits of the answered, all runs pooled: a histogram of those
       who waited (log-scaled when they span more than two decades) and, in the
       legend, the share answered at once.

    Times are shown as times of day. ``title`` defaults to the scenario's name and
    the number of runs. Raises :class:`PlotUnavailable` (nothing is written) when
    matplotlib cannot be imported.
    """
    try:
        # The package first: a missing one must fail even when a submodule is still cached.
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotUnavailable(INSTALL) from exc

    runs = len(results.runs)
    channels = _channels(results)
    colours = {channel: f"C{i % 10}" for i, channel in enumerate(channels)}
    figure = Figure(figsize=(10, 11), layout="constrained")
    queue, service, waits = figure.subplots(3, 1)
    figure.suptitle(title or f"{results.scenario.name}: {runs} run{'s' if runs != 1 else ''}")
    _queue_panel(queue, results, channels, colours)
    _service_panel(service, results, channels, colours)
    _waits_panel(waits, results)
    figure.savefig(path)


def _channels(results: Results) -> list[str]:
    """Every channel seen in any run, in the statistics or waiting in a sample
    (the warm-up's samples include channels the statistics may not)."""
    names: set[str] = set()
    for run in results.runs:
        names.update(run.channels)
        for _time, lengths in run.queue:
            names.update(lengths)
    return sorted(names)


def _queue_panel(
    ax: Axes, results: Results, channels: Sequence[str], colours: Mapping[str, str]
) -> None:
    samples: dict[float, list[Mapping[str, int]]] = {}
    for run in results.runs:
        for time, lengths in run.queue:
            samples.setdefault(time, []).append(lengths)
    runs = len(results.runs)
    ax.set_title("Conversations waiting" + (f" (mean of {runs} runs)" if runs > 1 else ""))
    if not samples:
        _note(ax, "no queue samples")
        return
    times = sorted(samples)
    means = {
        channel: [fmean(lengths.get(channel, 0) for lengths in samples[t]) for t in times]
        for channel in channels
    }
    for channel, values in means.items():
        ax.plot(times, values, color=colours[channel], label=channel)
    total = [math.fsum(column) for column in zip(*means.values(), strict=True)]
    if len(channels) > 1:
        ax.plot(times, total, color="black", linewidth=1.0, linestyle="--", label="total")
    ax.set_ylabel("waiting")
    # At least one conversation high: an empty queue would get a scale of hundredths.
    ax.set_ylim(0, max(1.0, 1.05 * max(total, default=0.0)))
    _clock_axis(ax, results.scenario.start, times[-1])
    if channels:  # else no line has a label, and legend() would warn
        ax.legend()


def _service_panel(
    ax: Axes, results: Results, channels: Sequence[str], colours: Mapping[str, str]
) -> None:
    scenario = results.scenario
    banded = len(results.runs) >= 2
    band = f"; shaded: {100 * results.confidence:g} % confidence interval" if banded else ""
    ax.set_title(f"Service level per {scenario.interval / 60:g}-minute interval{band}")
    rows = results.intervals()
    if not rows:
        _note(ax, "no report interval")
        return
    # The last interval is cut short where the runs stop: its point goes mid-way.
    middles = [(row["start"] + row["end"]["mean"]) / 2 for row in rows]
    for channel in channels:
        figures = [row["channels"].get(channel, {}).get("service_level") for row in rows]
        within = scenario.metrics.threshold(channel)
        ax.plot(
            middles,
            _percent(figures, "mean"),
            color=colours[channel],
            marker="o",
            markersize=3,
            clip_on=False,  # a point at 100 % is drawn whole, not cut by the frame
            label=f"{channel} (answered within {within:g} s)",
        )
        if banded:
            ax.fill_between(
                middles,
                _percent(figures, "low"),
                _percent(figures, "high"),
                color=colours[channel],
                alpha=0.2,
                linewidth=0,
            )
    ax.set_ylabel("service level (%)")
    ax.set_ylim(0, 100)
    _clock_axis(ax, scenario.start, max(row["end"]["mean"] for row in rows))
    if channels:
        ax.legend()


def _percent(figures: Sequence[Mapping[str, float] | None], key: str) -> list[float]:
    """One field (mean, low, high) of summarised service levels in %: NaN, a gap
    in the line, where a level is undefined; clipped to 0..100, as the bounds of a
    confidence interval can pass what a share can be."""
    return [
        math.nan if figure is None else 100.0 * min(max(figure[key], 0.0), 1.0)
        for figure in figures
    ]


def _waits_panel(ax: Axes, results: Results) -> None:
    waits = results.waits()
    runs = len(results.runs)
    ax.set_title("Waits of the answered" + (f" ({runs} runs pooled)" if runs > 1 else ""))
    waited = [wait for wait in waits if wait > 0.0]
    if not waited:
        _note(ax, "everyone answered at once" if waits else "nobody was answered")
        return
    shortest, longest = min(waited), max(waited)
    logarithmic = longest > _DECADES * shortest
    if logarithmic:
        ratio = longest / shortest
        edges = [shortest * ratio ** (i / _WAIT_BINS) for i in range(_WAIT_BINS)]
    else:
        edges = [longest * i / _WAIT_BINS for i in range(_WAIT_BINS)]
    edges.append(longest)  # exactly, or rounding could leave the longest wait out
    ax.hist(waited, bins=edges, color="C7", label=f"{len(waited)} of {len(waits)} waited")
    if logarithmic:
        ax.set_xscale("log")
    at_once = 100.0 * (1.0 - len(waited) / len(waits))
    # An empty line: a legend entry with no mark, as zero waits have no place on a log axis.
    ax.plot([], [], linestyle="none", label=f"{at_once:.0f} % answered at once")
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("conversations")
    ax.legend()


def _clock_axis(ax: Axes, start: float, stop: float) -> None:
    """Ticks at round times of day from ``start`` to ``stop`` (seconds since
    midnight), as few as keep them readable."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    span = stop - start
    step = next((s for s in _TICK_STEPS if span / s <= _MAX_TICKS), _TICK_STEPS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(_clock))
    if span > 0:  # equal limits would only draw a warning
        ax.set_xlim(start, stop)


def _clock(seconds: float, _position: Any = None) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _note(ax: Axes, text: str) -> None:
    """Say in the panel why it is empty, rather than leave blank axes."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center")
