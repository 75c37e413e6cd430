"""What the statistics measure and how: the settings and the figures they report.

:class:`MetricsSettings` says how contacts are counted (service-level thresholds per
channel, the short-abandon threshold, the service-level formula, interval length).
:class:`ConversationStats` and :class:`OperatorStats` are the figures
:class:`~omniroute.metrics.Metrics` reports: plain frozen values with ``as_dict()``.
Every figure is defined in ``docs/explanation/metrics.md``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any

import attrs

from omniroute._frozen import frozen_metadata
from omniroute.errors import ConfigurationError
from omniroute.model import Channel

__all__ = [
    "DEFAULT_THRESHOLDS",
    "ConversationStats",
    "MetricsSettings",
    "OperatorStats",
    "ServiceLevelFormula",
]


class ServiceLevelFormula(enum.Enum):
    """Which contacts the service level counts. ``within`` means waited at most the
    channel's threshold; short abandons are left out of every formula."""

    OFFERED = "offered"
    """answered within / (answered + abandoned): a customer who gave up counts as
    missed. The default: the strictest, and what a customer feels."""
    ANSWERED = "answered"
    """answered within / answered: abandons are ignored."""
    ABANDONS_WITHIN_MET = "abandons_within_met"
    """(answered within + abandoned within) / (answered + abandoned): a customer who
    left before the threshold passed counts as served in time."""
    ABANDONS_WITHIN_IGNORED = "abandons_within_ignored"
    """answered within / (answered + abandoned after the threshold): those who left
    before the threshold passed are not counted at all."""


DEFAULT_THRESHOLDS: Mapping[str, float] = {
    Channel.VOICE: 20.0,
    Channel.VIDEO: 20.0,
    Channel.CHAT: 60.0,
    Channel.MESSENGER: 300.0,
    Channel.SOCIAL: 900.0,
    Channel.SMS: 900.0,
    Channel.EMAIL: 4 * 3600.0,
}
"""Service-level thresholds, in seconds, for the well-known channels: the usual
80/20 for voice, a minute for web chat, longer for asynchronous channels."""


def _positive(owner: str, name: str, value: Any, *, zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if zero else value > 0)
    if not ok:
        bound = ">= 0" if zero else "> 0"
        raise ConfigurationError(f"{owner}: {name} must be a finite number {bound}, got {value!r}")


@attrs.frozen(kw_only=True)
class MetricsSettings:
    """How the Router's statistics count (:meth:`~omniroute.Router.configure`).

    ``thresholds``: the service-level threshold per channel, in seconds (channels not
    named take ``default_threshold``). ``short_abandon``: customers who leave within
    this many seconds are counted apart (``short_abandoned``) and left out of the
    service level and the abandon rate, as ACD reports do (0: none are short).
    ``formula``: see :class:`ServiceLevelFormula`. ``interval``: the length of the
    report intervals in seconds (900, 1800 and 3600 are usual), aligned to multiples
    of it on the Router's clock. ``keep_intervals``: how many intervals are kept one
    by one; older ones are folded into the totals. Raises
    :class:`~omniroute.ConfigurationError` naming the field.

    >>> MetricsSettings().threshold("voice"), MetricsSettings().threshold("fax")
    (20.0, 60.0)
    """

    thresholds: Mapping[str, float] = attrs.field(
        factory=lambda: dict(DEFAULT_THRESHOLDS), converter=frozen_metadata
    )
    default_threshold: float = 60.0
    short_abandon: float = 5.0
    formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED
    interval: float = 900.0
    keep_intervals: int = 96

    def __attrs_post_init__(self) -> None:
        for channel, seconds in self.thresholds.items():
            if not isinstance(channel, str) or not channel:
                raise ConfigurationError(
                    f"MetricsSettings: thresholds keys must be channel names, got {channel!r}"
                )
            _positive("MetricsSettings", f"thresholds[{channel!r}]", seconds, zero=True)
        _positive("MetricsSettings", "default_threshold", self.default_threshold, zero=True)
        _positive("MetricsSettings", "short_abandon", self.short_abandon, zero=True)
        _positive("MetricsSettings", "interval", self.interval)
        if not isinstance(self.formula, ServiceLevelFormula):
            raise ConfigurationError(
                f"MetricsSettings: formula must be a ServiceLevelFormula, got {self.formula!r}"
            )
        count = self.keep_intervals
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigurationError(
                f"MetricsSettings: keep_intervals must be an int >= 1, got {count!r}"
            )

    def threshold(self, channel: str) -> float:
        """The service-level threshold of ``channel``, in seconds."""
        return self.thresholds.get(channel, self.default_threshold)


@attrs.frozen(kw_only=True)
class ConversationStats:
    """Contacts of one channel and group (None: all) from ``start`` to ``end``.

    A contact is one wait for people: a submission, a hand-off or a transfer each
    start one. Counts of contacts: ``offered`` (started a wait here),
    ``escalated_in``/``escalated_out`` (overflowed here from another group / from here
    to another, unanswered), ``answered``, ``abandoned`` (left unanswered, not short),
    ``short_abandoned``, ``abandoned_after_answer`` (left while waiting again after an
    operator had them), ``transferred`` and ``handed_off`` (ended here by a transfer or
    a bot's hand-off), ``finished``, ``responded`` (got a first reply), ``holds``
    (times put on hold). ``answered_within``/``abandoned_within``: of those, how many
    waited at most their channel's service-level threshold.

    Figures (None while nothing counts towards them): ``service_level`` by the
    configured formula, ``abandon_rate`` (abandoned / (answered + abandoned)),
    ``average_speed_of_answer``, ``longest_wait`` (of those answered or abandoned),
    ``wait_p50``/``wait_p90``/``wait_p99`` (waits of those answered, within 1%),
    ``average_abandon_wait``, ``average_first_response`` (from the start of the wait
    to the first reply), ``average_handle_time`` (time in an operator's slot per
    contact ended after an answer) and ``average_hold_time`` (time waiting on the
    customer per such contact).

    Live figures, only in reports up to now: ``waiting`` (waiting now, including
    those waiting again) and ``longest_current_wait``.
    """

    start: float
    end: float
    channel: str | None
    group: str | None
    offered: int
    escalated_in: int
    escalated_out: int
    answered: int
    answered_within: int
    abandoned: int
    abandoned_within: int
    short_abandoned: int
    abandoned_after_answer: int
    transferred: int
    handed_off: int
    finished: int
    responded: int
    holds: int
    handled: int
    wait_total: float
    abandon_wait_total: float
    response_total: float
    handle_total: float
    hold_total: float
    service_level: float | None
    abandon_rate: float | None
    average_speed_of_answer: float | None
    longest_wait: float | None
    wait_p50: float | None
    wait_p90: float | None
    wait_p99: float | None
    average_abandon_wait: float | None
    average_first_response: float | None
    average_handle_time: float | None
    average_hold_time: float | None
    waiting: int | None = None
    longest_current_wait: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data, every field by name."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class OperatorStats:
    """How one operator (``operator_id``; None: all together) spent ``start`` to
    ``end``.

    Times in seconds: ``online_time``, ``away_time``; ``busy_time`` (ONLINE with at
    least one conversation in a slot, offers included); ``load_time`` (conversations
    held, integrated over ONLINE time); ``capacity_time`` (slots, integrated the same
    way). Figures (None without ONLINE time): ``occupancy`` = busy / online,
    ``utilisation`` = load / capacity time, and ``average_concurrency`` = load / busy
    time (None while never busy). Counts: ``answered`` (contacts they answered),
    ``finished``, ``transferred``, ``handed_off``, ``responded`` (first replies), with
    ``response_total`` and ``handle_total`` (time with conversations in their slots).
    """

    start: float
    end: float
    operator_id: str | None
    online_time: float
    away_time: float
    busy_time: float
    load_time: float
    capacity_time: float
    answered: int
    finished: int
    transferred: int
    handed_off: int
    responded: int
    response_total: float
    handle_total: float
    occupancy: float | None
    utilisation: float | None
    average_concurrency: float | None
    average_first_response: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data, every field by name."""
        return attrs.asdict(self)


def share(part: float, whole: float) -> float | None:
    """``part / whole``, or None when ``whole`` is zero: a figure with nothing to
    count has no value, not zero."""
    return part / whole if whole else None
