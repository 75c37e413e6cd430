"""Estimated waits: how long until a queued conversation is taken.

A customer waiting in a queue can be told their place and an estimated wait. The
estimate for the conversation at place ``position`` (1 = next to be taken) of a
line — the conversations eligible for exactly the same operators — is computed
in this order:

1. **Observed rate.** The Router remembers the last ``window`` times a
   conversation left the head of the line for an operator. The departures
   within the last ``horizon`` seconds (``now - horizon <= t <= now``) are
   counted; if there are at least ``min_samples`` of them, the line's rate is
   ``rate = n / (now - oldest)``, where ``n`` is how many were counted and
   ``oldest`` is the earliest of them, and the estimate is::

       wait = position / rate

   Because ``now`` is in the denominator the rate decays by itself when
   departures stop: a line that emptied quickly a while ago looks slower and
   slower as time passes, until its departures fall out of the horizon. (If
   every counted departure happened at ``now`` there is no span to measure a
   rate over, and step 2 applies.)

2. **Queueing theory.** Otherwise (a new or quiet line) the estimate assumes
   an M/M/c queue with every one of ``servers`` servers busy: departures come
   at rate ``servers / mean_handle``, and the conversation at place
   ``position`` waits for ``position`` departures::

       wait = position * mean_handle / servers

   ``mean_handle`` is an exponentially weighted moving average of how long
   conversations of the line's group and channel took with an operator: the
   first finished conversation sets it, each later one moves it by
   ``mean += smoothing * (seconds - mean)``. Before any conversation of that
   group and channel has finished, ``handle_time`` is assumed.

3. **No estimate.** With no observed rate and ``servers <= 0`` nobody can
   serve the conversation and there is no estimate (``None``).

Limits. An estimate is a guide, not a promise. The observed rate of a line
reflects its recent past: a sudden change of staffing shows only as new
departures arrive, and a conversation overtaken by higher-priority arrivals
waits longer than its place suggests. The fallback assumes every server busy
and exponentially distributed handle times, so it overestimates when
operators are idle and underestimates when handle times vary more than an
exponential law. With chat concurrency one operator serves several
conversations at once, so ``servers`` is the number of busy slots, not of
people: the Router passes the larger of the group's ONLINE operators and the
conversations the group's operators hold now.

For example, with the default settings and nothing observed yet, the third
conversation of a line served by two operators waits ``3 * 300 / 2`` seconds;
after three departures at 0, 30 and 60 s, at 60 s the rate is ``3 / 60`` and
the estimate becomes ``3 / 0.05``::

    >>> estimator = WaitEstimator(WaitEstimates())
    >>> line = (("billing",), "chat", (), None)
    >>> estimator.estimate(line, "billing", "chat", position=3, servers=2, now=0.0)
    450.0
    >>> for t in (0.0, 30.0, 60.0):
    ...     estimator.departed(line, t)
    >>> estimator.estimate(line, "billing", "chat", position=3, servers=2, now=60.0)
    60.0

Estimates are a pure function of the settings and the state that
:meth:`WaitEstimator.encode` writes, so a restored Router gives exactly the
same numbers as the original.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import attrs

from omniroute._reading import Reader, finite, is_int, is_number, kind
from omniroute.errors import ConfigurationError, ValidationError

__all__ = ["WaitEstimates", "WaitEstimator"]


def _is_number(value: object) -> bool:
    return is_number(value) and finite(value)


@attrs.frozen(kw_only=True)
class WaitEstimates:
    """How the Router estimates waits (see :mod:`omniroute.estimate`).

    ``window``: departures remembered per line (an int >= 2).
    ``horizon``: seconds after which a departure is no longer evidence (> 0).
    ``min_samples``: departures within the horizon needed before a line's
    observed rate is trusted (2 <= ``min_samples`` <= ``window``).
    ``handle_time``: mean handle time in seconds assumed before any conversation
    of a group and channel has finished (> 0).
    ``smoothing``: weight of the newest handle time in the moving average
    (0 < ``smoothing`` <= 1; 1 uses only the latest).

    Raises :class:`~omniroute.ConfigurationError` naming the field and value.
    """

    window: int = 20
    horizon: float = 1800.0
    min_samples: int = 3
    handle_time: float = 300.0
    smoothing: float = 0.1

    def __attrs_post_init__(self) -> None:
        who = "WaitEstimates"
        if not is_int(self.window) or self.window < 2:
            raise ConfigurationError(f"{who}: window must be an int >= 2, got {self.window!r}")
        if not _is_number(self.horizon) or self.horizon <= 0:
            raise ConfigurationError(
                f"{who}: horizon must be a finite number of seconds > 0, got {self.horizon!r}"
            )
        if not is_int(self.min_samples) or not 2 <= self.min_samples <= self.window:
            raise ConfigurationError(
                f"{who}: min_samples must be an int from 2 to window ({self.window}), "
                f"got {self.min_samples!r}"
            )
        if not _is_number(self.handle_time) or self.handle_time <= 0:
            raise ConfigurationError(
                f"{who}: handle_time must be a finite number of seconds > 0, "
                f"got {self.handle_time!r}"
            )
        if not _is_number(self.smoothing) or not 0 < self.smoothing <= 1:
            raise ConfigurationError(
                f"{who}: smoothing must be a number with 0 < smoothing <= 1, got {self.smoothing!r}"
            )


class WaitEstimator:
    """The departures of each line and the mean handle time of each group and
    channel, and the estimates computed from them (see :mod:`omniroute.estimate`).

    Memory: at most ``window`` times per line, one number per group and channel.
    """

    __slots__ = (
        "_handle",
        "_handle_time",
        "_horizon",
        "_lines",
        "_min",
        "_smoothing",
        "_window",
        "settings",
    )

    def __init__(self, settings: WaitEstimates) -> None:
        self.settings = settings
        # Copied out of the settings for the hot path.
        self._window = settings.window
        self._horizon = float(settings.horizon)
        self._min = settings.min_samples
        self._handle_time = float(settings.handle_time)
        self._smoothing = settings.smoothing
        self._lines: dict[Hashable, deque[float]] = {}
        self._handle: dict[tuple[str, str], float] = {}

    def departed(self, line: Hashable, now: float) -> None:
        """A conversation left the head of ``line`` for an operator at ``now``.

        ``now`` must not be earlier than the line's previous departure (the
        Router's clock never steps back). Runtime complexity: ``O(1)``.
        """
        times = self._lines.get(line)
        if times is None:
            times = self._lines[line] = deque(maxlen=self._window)
        times.append(now)

    def handled(self, group: str, channel: str, seconds: float) -> None:
        """A conversation of ``group`` and ``channel`` finished after ``seconds``
        with an operator: move the pair's mean handle time towards it.

        Raises :class:`~omniroute.ValidationError` unless ``seconds`` is a finite
        number >= 0. Runtime complexity: ``O(1)``.
        """
        if not _is_number(seconds) or seconds < 0:
            raise ValidationError(
                f"handle time of {group!r}/{channel!r} must be a finite number of "
                f"seconds >= 0, got {seconds!r}"
            )
        self.count_handled(group, channel, float(seconds))

    def count_handled(self, group: str, channel: str, seconds: float) -> None:
        """:meth:`handled` without its checks, for the Router's own figures (a
        float >= 0 from its clock), on every ``finish``."""
        key = (group, channel)
        mean = self._handle.get(key)
        self._handle[key] = seconds if mean is None else mean + self._smoothing * (seconds - mean)

    def mean_handle_time(self, group: str, channel: str) -> float:
        """The moving average of handle times for ``group`` and ``channel``, or
        ``settings.handle_time`` before any has finished."""
        return self._handle.get((group, channel), self._handle_time)

    def estimate(
        self, line: Hashable, group: str, channel: str, position: int, servers: int, now: float
    ) -> float | None:
        """Seconds until the conversation at 1-based ``position`` of ``line`` (of
        ``group`` and ``channel``) is taken, with ``servers`` busy slots serving
        it; ``None`` when nothing has been observed and ``servers <= 0``.

        Runtime complexity: ``O(1)`` while every remembered departure is within
        the horizon, ``O(window)`` otherwise.
        """
        times = self._lines.get(line)
        if times is not None and len(times) >= self._min:
            cutoff = now - self._horizon
            oldest = times[0]
            if oldest >= cutoff and times[-1] <= now:  # the usual case: all count
                n = len(times)
            else:
                n = 0
                for t in times:
                    if t < cutoff:
                        continue
                    if t > now:
                        break
                    if not n:
                        oldest = t
                    n += 1
            if n >= self._min:
                span = now - oldest
                if span > 0:
                    rate = n / span
                    return position / rate
        if servers <= 0:
            return None
        return position * self._handle.get((group, channel), self._handle_time) / servers

    def forget_line(self, line: Hashable) -> None:
        """``line`` disappeared: drop its departures (nothing if it has none)."""
        self._lines.pop(line, None)

    def encode(self) -> dict[str, Any]:
        """The estimator's state as JSON-ready plain data.

        Line keys may be strings, ints, ``None`` and tuples of them, nested to
        any depth; tuples become lists. Raises ``TypeError`` for anything else.
        """
        return {
            "lines": [
                {"line": _encode_key(line), "departures": list(times)}
                for line, times in self._lines.items()
            ],
            "handle_times": [
                {"group": group, "channel": channel, "mean": mean}
                for (group, channel), mean in self._handle.items()
            ],
        }

    @classmethod
    def decode(
        cls,
        settings: WaitEstimates,
        data: Any,
        fail: Callable[[str, str], Exception],
        *,
        path: str = "estimates",
        line_problem: Callable[[Any], str | None] | None = None,
    ) -> WaitEstimator:
        """An estimator from :meth:`encode`'s data, with ``settings``.

        Malformed data raises ``fail(path, reason)``, with the path of the first
        bad field below ``path`` (``"estimates.lines[2].departures[0]"``). Lists
        become tuples again, so line keys hash equal to the originals. With a
        smaller ``window`` than the data was written with, the newest departures
        of each line are kept. ``line_problem(key)``: why a decoded line key is
        not one of the host's (None: it is), for hosts whose keys have a shape.
        """
        estimator = cls(settings)
        read = Reader(fail)
        record = read.record(data, path, ("lines", "handle_times"))
        lines = read.items(record["lines"], f"{path}.lines")
        for i, item in enumerate(lines):
            at = f"{path}.lines[{i}]"
            entry = read.record(item, at, ("line", "departures"))
            key = _decode_key(entry["line"], f"{at}.line", fail, 0)
            problem = None if line_problem is None else line_problem(key)
            if problem is not None:
                raise fail(f"{at}.line", problem)
            if key in estimator._lines:
                raise fail(f"{at}.line", f"duplicate line {entry['line']!r}")
            times = read.items(entry["departures"], f"{at}.departures")
            if not times:
                raise fail(f"{at}.departures", "expected at least one departure")
            for j, t in enumerate(times):
                if not _is_number(t):
                    raise fail(f"{at}.departures[{j}]", f"expected a finite number, got {t!r}")
                if j and t < times[j - 1]:
                    raise fail(
                        f"{at}.departures[{j}]",
                        f"departures must not go back in time: {t!r} after {times[j - 1]!r}",
                    )
            estimator._lines[key] = deque(times, maxlen=settings.window)
        handle = read.items(record["handle_times"], f"{path}.handle_times")
        for i, item in enumerate(handle):
            at = f"{path}.handle_times[{i}]"
            entry = read.record(item, at, ("group", "channel", "mean"))
            group = read.text(entry["group"], f"{at}.group")
            channel = read.text(entry["channel"], f"{at}.channel")
            mean = entry["mean"]
            if not _is_number(mean) or mean < 0:
                raise fail(f"{at}.mean", f"expected a finite number >= 0, got {mean!r}")
            if (group, channel) in estimator._handle:
                raise fail(at, f"duplicate handle time for {group!r}/{channel!r}")
            estimator._handle[group, channel] = float(mean)
        return estimator

    def _check(self) -> None:
        """Assert every internal invariant."""
        window = self.settings.window
        for times in self._lines.values():
            assert times.maxlen == window
            assert 1 <= len(times) <= window
            assert all(_is_number(t) for t in times)
            assert all(a <= b for a, b in zip(times, list(times)[1:], strict=False))
        for (group, channel), mean in self._handle.items():
            assert isinstance(group, str)
            assert isinstance(channel, str)
            assert type(mean) is float
            assert math.isfinite(mean)
            assert mean >= 0


# Deeper keys than this are not line keys: refuse them before Python's recursion limit.
_MAX_DEPTH = 32


def _encode_key(key: Any) -> Any:
    if isinstance(key, tuple):
        return [_encode_key(part) for part in key]
    if key is None or isinstance(key, str) or is_int(key):
        return key
    raise TypeError(
        f"line keys must be str, int, None or tuples of them, got {type(key).__name__}: {key!r}"
    )


def _decode_key(value: Any, path: str, fail: Callable[[str, str], Exception], depth: int) -> Any:
    if isinstance(value, list):
        if depth >= _MAX_DEPTH:
            raise fail(path, f"nested deeper than {_MAX_DEPTH} lists")
        return tuple(
            _decode_key(part, f"{path}[{i}]", fail, depth + 1) for i, part in enumerate(value)
        )
    if value is None or isinstance(value, str) or is_int(value):
        return value
    raise fail(path, f"expected a string, an integer, null or a list, got {kind(value)}")
