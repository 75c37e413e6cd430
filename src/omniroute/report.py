"""A readable report of the statistics: one table row per channel, for people.

:func:`report` reads a :class:`~omniroute.metrics.Metrics` (``router.metrics``),
prints a plain monospace table and returns the figures as a :class:`Report`, which
also gives them as JSON-ready data. Every figure is the one
:meth:`Metrics.stats <omniroute.metrics.Metrics.stats>` and
:meth:`Metrics.operator_stats <omniroute.metrics.Metrics.operator_stats>` report;
``docs/explanation/metrics.md`` defines each of them. A figure with nothing to count
yet (None) shows as an en dash, :data:`MISSING`.

>>> import io
>>> from omniroute import Conversation, Group, Operator, Router, Status
>>> from omniroute.testing import FakeClock
>>> clock = FakeClock()
>>> router = Router(clock=clock)
>>> _ = router.add_group(Group("help"))
>>> _ = router.add_operator(Operator("ann", groups={"help"}))
>>> _ = router.set_status("ann", Status.ONLINE)
>>> _ = router.submit(Conversation("c1", "chat", "help"))
>>> _ = router.submit(Conversation("c2", "chat", "help"))
>>> clock.advance(90)
>>> _ = router.finish("c1")
>>> out = io.StringIO()
>>> data = report(router.metrics, title="Help desk", file=out)
>>> out.getvalue().splitlines()[:2]
['Help desk', '00:00:00 to 00:01:30; service level: answered in time / (answered + abandoned)']
>>> data.channels[0].channel, data.channels[0].answered, data.channels[0].service_level
('chat', 2, 0.5)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import attrs

from omniroute.codec import encode_metrics_settings
from omniroute.metrics import Metrics
from omniroute.stats import ConversationStats, MetricsSettings, OperatorStats, ServiceLevelFormula

__all__ = ["MISSING", "Report", "report"]

MISSING = "\u2013"
"""What a figure with nothing to count (None) shows as: an en dash."""

_FORMULAS = {
    ServiceLevelFormula.OFFERED: "answered in time / (answered + abandoned)",
    ServiceLevelFormula.ANSWERED: "answered in time / answered",
    ServiceLevelFormula.ABANDONS_WITHIN_MET: (
        "(answered + abandoned in time) / (answered + abandoned)"
    ),
    ServiceLevelFormula.ABANDONS_WITHIN_IGNORED: (
        "answered in time / (answered + abandoned after the threshold)"
    ),
}


# -- formatting ------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """A duration in a few characters: "4.5s", "45s", "3m05s", "1h02m", "2d03h";
    None (or not finite) as :data:`MISSING`.

    >>> [duration(s) for s in (0, 4.54, 59.6, 185, 3725, 183600)]
    ['0s', '4.5s', '1m00s', '3m05s', '1h02m', '2d03h']
    >>> duration(None) == MISSING
    True
    """
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    if seconds < 0:
        return "-" + duration(-seconds)
    tenths = round(seconds, 1)
    if tenths < 10 and tenths != int(tenths):
        return f"{tenths:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    minutes = round(seconds / 60)
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    hours = round(seconds / 3600)
    return f"{hours // 24}d{hours % 24:02d}h"


def _threshold(seconds: float) -> str:
    """A service-level threshold as people say it: "20s", "60s", "5m", "4h"."""
    if seconds < 120:
        return f"{seconds:g}s"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return duration(seconds)


def _clock(moment: float) -> str:
    """A time on the Router's clock as an offset from 0, "hh:mm:ss", with "day N"
    before it past the first day (on a Unix-time clock: the UTC time of day, and the
    day since 1970)."""
    if not math.isfinite(moment):
        return MISSING
    days, rest = divmod(math.floor(moment), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"day {days} {text}" if days else text


def _percent(share: float | None) -> str:
    return MISSING if share is None else f"{share:.1%}"


def _count(value: int | None) -> str:
    return MISSING if value is None else str(value)


def _table(header: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> list[str]:
    """Lines of a table: a header of one or two lines, the first column aligned left
    and the others right, two spaces apart, no trailing spaces."""
    body = [list(row) for row in rows]
    widths = [
        max(len(top), len(bottom), *(len(row[i]) for row in body))
        for i, (top, bottom) in enumerate(header)
    ]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    lines = [line([bottom for _, bottom in header])]
    if any(top for top, _ in header):
        lines.insert(0, line([top for top, _ in header]))
    return lines + [line(row) for row in body]


# -- the report --------------------------------------------------------------------------

_CHANNEL_HEADER = (
    ("", "channel"),
    ("", "offered"),
    ("", "answered"),
    ("", "abandoned"),
    ("service", "level"),
    ("", "ASA"),
    ("p90", "wait"),
    ("longest", "wait"),
    ("", "AHT"),
    ("first", "response"),
    ("waiting", "now"),
    ("longest", "current"),
)
_INTERVAL_HEADER = (
    ("", "interval"),
    ("", "offered"),
    ("", "answered"),
    ("", "abandoned"),
    ("", "service level"),
    ("", "ASA"),
)


@attrs.frozen(kw_only=True)
class Report:
    """The figures :func:`report` printed, as values.

    ``channels``: the contacts of each channel seen, sorted by name, all groups
    together. ``overall``: all channels and groups. ``operators``: all operators
    together. ``intervals``: all contacts, report interval by report interval,
    oldest first (the last one is the current interval, counted up to the last
    event). ``settings``: how the figures were counted (the thresholds shown).
    ``title``: the table's first line, if any.
    """

    channels: tuple[ConversationStats, ...]
    overall: ConversationStats
    operators: OperatorStats
    intervals: tuple[ConversationStats, ...]
    settings: MetricsSettings = attrs.field(factory=MetricsSettings)
    title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data: every figure by name, and the settings as a snapshot
        writes them."""
        return {
            "title": self.title,
            "settings": encode_metrics_settings(self.settings),
            "channels": [stats.as_dict() for stats in self.channels],
            "overall": self.overall.as_dict(),
            "operators": self.operators.as_dict(),
            "intervals": [stats.as_dict() for stats in self.intervals],
        }

    def text(self) -> str:
        """The report as a plain monospace table, without a final newline.

        One row per channel and an "all" row: contacts offered, answered and
        abandoned ("+n": short abandons, left out of the figures), the service level
        with the channel's threshold, the average speed of answer, the 90th
        percentile and the longest of the waits, the average handle time and first
        response, and who waits now and for how long the longest has. Then the
        operators' occupancy, utilisation and average concurrency, and the intervals.
        """
        settings, overall = self.settings, self.overall
        lines = [] if self.title is None else [self.title]
        formula = _FORMULAS[settings.formula]
        if self.intervals:  # none: the metrics saw no event yet
            period = f"{_clock(overall.start)} to {_clock(overall.end)}"
        else:
            period = "nothing counted yet"
        lines.append(f"{period}; service level: {formula}")
        lines.append("")
        rows, thresholds = [], set()
        for stats in self.channels:
            channel = stats.channel or ""
            thresholds.add(settings.threshold(channel))
            rows.append(self._row(channel, stats, settings.threshold(channel)))
        # The "all" row names a threshold only when every channel has the same one.
        rows.append(self._row("all", overall, thresholds.pop() if len(thresholds) == 1 else None))
        lines.extend(_table(_CHANNEL_HEADER, rows))
        if overall.short_abandoned:
            lines.append(
                f"(+n): n more left in under {duration(settings.short_abandon)} (short "
                "abandons), not counted in the service level, abandon rate or waits"
            )
        lines.append("")
        lines.append(self._operators_line())
        if self.intervals:
            lines.append("")
            lines.extend(
                _table(
                    _INTERVAL_HEADER,
                    (
                        (
                            _clock(stats.start),
                            str(stats.offered),
                            str(stats.answered),
                            _abandoned(stats),
                            _percent(stats.service_level),
                            duration(stats.average_speed_of_answer),
                        )
                        for stats in self.intervals
                    ),
                )
            )
        return "\n".join(lines)

    @staticmethod
    def _row(label: str, stats: ConversationStats, threshold: float | None) -> list[str]:
        level = _percent(stats.service_level)
        if threshold is not None:
            level += f" @{_threshold(threshold)}"
        return [
            label,
            str(stats.offered),
            str(stats.answered),
            _abandoned(stats),
            level,
            duration(stats.average_speed_of_answer),
            duration(stats.wait_p90),
            duration(stats.longest_wait),
            duration(stats.average_handle_time),
            duration(stats.average_first_response),
            _count(stats.waiting),
            duration(stats.longest_current_wait),
        ]

    def _operators_line(self) -> str:
        ops = self.operators
        concurrency = ops.average_concurrency
        return (
            f"operators: occupancy {_percent(ops.occupancy)}, "
            f"utilisation {_percent(ops.utilisation)}, average concurrency "
            f"{MISSING if concurrency is None else f'{concurrency:.2f}'}; "
            f"online {duration(ops.online_time)}, away {duration(ops.away_time)}"
        )

    def __str__(self) -> str:
        return self.text()


def _abandoned(stats: ConversationStats) -> str:
    short = stats.short_abandoned
    return f"{stats.abandoned} (+{short})" if short else str(stats.abandoned)


def report(
    metrics: Metrics,
    *,
    since: float | None = None,
    now: float | None = None,
    file: TextIO | None = None,
    title: str | None = None,
) -> Report:
    """Print a table of ``metrics`` per channel to ``file`` (None: standard output)
    and return its figures.

    ``since`` and ``now`` are those of :meth:`Metrics.stats
    <omniroute.metrics.Metrics.stats>`: the report covers the intervals that start at
    ``since`` or later (None: everything counted), with the live figures as of
    ``now`` (None: the metrics' clock, for ``router.metrics`` the Router's); the
    interval rows are those of :meth:`Metrics.intervals
    <omniroute.metrics.Metrics.intervals>` from ``since`` on. ``title``: a first
    line. Cost ``O((channels + 1) * intervals * cells)``.
    """
    overall = metrics.stats(since=since, now=now)
    moment = overall.end  # one "now" for every figure, even on a moving clock
    settings = metrics.settings
    channels = tuple(
        metrics.stats(channel=channel, since=since, now=moment)
        for channel in metrics.channels(since)
    )
    intervals = metrics.intervals()
    if since is not None:
        length = settings.interval
        # An interval starts at a multiple of the length (its first one may start
        # later, when counting began): keep those whose aligned start is since or later.
        intervals = [
            stats for stats in intervals if math.floor(stats.start / length) * length >= since
        ]
    result = Report(
        channels=channels,
        overall=overall,
        operators=metrics.operator_stats(since=since, now=moment),
        intervals=tuple(intervals),
        settings=settings,
        title=title,
    )
    print(result.text(), file=sys.stdout if file is None else file)
    return result
