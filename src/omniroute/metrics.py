"""Statistics computed from the Router's events as they happen, never by a re-scan.

:class:`Metrics` watches the events a Router returns and keeps, per report interval
(15 minutes by default), a tally per (group, channel) and one per operator. Every
event costs ``O(1)``: a counter or two, one sketch update per answer. Reports merge
the tallies they cover, so per-channel figures add up to the overall ones by
construction. Every Router keeps one (:attr:`~omniroute.Router.metrics`); a host may
also build its own and feed it a journal of events with :meth:`Metrics.observe`.

Counting rules, in one place (``docs/explanation/metrics.md`` has the reasons):

* a *contact* is one wait for people: :class:`~omniroute.Submitted`,
  :class:`~omniroute.HandedOff` and :class:`~omniroute.Transferred` each start one,
  counted ``offered`` in its group. An overflow moves an unanswered contact
  (``escalated_out`` here, ``escalated_in`` there);
* its first :class:`~omniroute.Assigned` answers it, where it is then; later
  assignments (after its operator left, or after a released hold) do not answer it
  again, and its counts stay with the group that answered it;
* events count in the interval they happen in; operator time is split at interval
  boundaries.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

from omniroute._reading import Reader
from omniroute.capacity import Capacity
from omniroute.codec import Decoder
from omniroute.errors import JournalError
from omniroute.events import (
    Abandoned,
    Assigned,
    Configured,
    Escalated,
    Event,
    Finished,
    HandedOff,
    Held,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    Released,
    Requeued,
    Responded,
    Resumed,
    StatusChanged,
    Submitted,
    Transferred,
)
from omniroute.model import Status
from omniroute.sketch import QuantileSketch
from omniroute.stats import (
    ConversationStats,
    MetricsSettings,
    OperatorStats,
    ServiceLevelFormula,
    share,
)

__all__ = ["COUNTS", "Metrics", "slots"]

Key = tuple[str, str]  # (group, channel)

COUNTS = (
    "offered",
    "escalated_in",
    "escalated_out",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "short_abandoned",
    "abandoned_after_answer",
    "transferred",
    "handed_off",
    "finished",
    "responded",
    "holds",
    "handled",
)
"""The counts of a :class:`~omniroute.stats.ConversationStats`, as its fields are named."""
_TOTALS = ("wait_total", "abandon_wait_total", "response_total", "handle_total", "hold_total")
_WORK_TIMES = ("online_time", "away_time", "busy_time", "load_time", "capacity_time")
_WORK_COUNTS = ("answered", "finished", "transferred", "handed_off", "responded")
_WORK_TOTALS = ("response_total", "handle_total")
_WORK = (*_WORK_TIMES, *_WORK_COUNTS, *_WORK_TOTALS)
_ACCURACY = 0.01  # the wait sketches' relative accuracy
_BATCH = 2048  # events buffered before they are counted

ONLINE, AWAY, OFFLINE = Status.ONLINE, Status.AWAY, Status.OFFLINE


class _Tally:
    """Contacts of one (group, channel) in one interval."""

    __slots__ = (*COUNTS, *_TOTALS, "longest_wait", "waits")

    def __init__(self) -> None:
        self.offered = self.escalated_in = self.escalated_out = 0
        self.answered = self.answered_within = 0
        self.abandoned = self.abandoned_within = self.short_abandoned = 0
        self.abandoned_after_answer = self.transferred = self.handed_off = 0
        self.finished = self.responded = self.holds = self.handled = 0
        self.wait_total = self.abandon_wait_total = self.response_total = 0.0
        self.handle_total = self.hold_total = 0.0
        self.longest_wait: float | None = None
        self.waits = QuantileSketch(_ACCURACY)

    def merge(self, other: _Tally) -> None:
        for name in (*COUNTS, *_TOTALS):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.longest_wait = _longest(self.longest_wait, other.longest_wait)
        self.waits.merge(other.waits)

    def waited(self, wait: float) -> None:
        if self.longest_wait is None or wait > self.longest_wait:
            self.longest_wait = wait


class _Work:
    """One operator's time and contacts in one interval."""

    __slots__ = (*_WORK_TIMES, *_WORK_COUNTS, *_WORK_TOTALS)

    def __init__(self) -> None:
        self.online_time = self.away_time = self.busy_time = 0.0
        self.load_time = self.capacity_time = 0.0
        self.answered = self.finished = self.transferred = self.handed_off = 0
        self.responded = 0
        self.response_total = self.handle_total = 0.0

    def merge(self, other: _Work) -> None:
        # Spelt out: interval rollovers merge one per active operator.
        self.online_time += other.online_time
        self.away_time += other.away_time
        self.busy_time += other.busy_time
        self.load_time += other.load_time
        self.capacity_time += other.capacity_time
        self.answered += other.answered
        self.finished += other.finished
        self.transferred += other.transferred
        self.handed_off += other.handed_off
        self.responded += other.responded
        self.response_total += other.response_total
        self.handle_total += other.handle_total

    def any(self) -> bool:
        return bool(
            self.online_time
            or self.away_time
            or self.answered
            or self.finished
            or self.transferred
            or self.handed_off
            or self.responded
            or self.handle_total
        )


class _Interval:
    """The tallies of one report interval: ``[index * length, (index + 1) * length)``,
    counted from ``opened`` (later than its start when counting began inside it)."""

    __slots__ = ("cells", "index", "opened", "work")

    def __init__(self, index: int, opened: float) -> None:
        self.index = index
        self.opened = opened
        self.cells: dict[Key, _Tally] = {}
        self.work: dict[str, _Work] = {}

    def merge(self, other: _Interval) -> None:
        self.opened = min(self.opened, other.opened)
        for key, tally in other.cells.items():
            mine = self.cells.get(key)
            if mine is None:
                mine = self.cells[key] = _Tally()
            mine.merge(tally)
        for operator_id, work in other.work.items():
            theirs = self.work.get(operator_id)
            if theirs is None:
                theirs = self.work[operator_id] = _Work()
            theirs.merge(work)


class _Contact:
    """What the statistics remember of a live conversation."""

    __slots__ = (
        "answered",
        "channel",
        "handled",
        "hold_since",
        "hold_total",
        "key",
        "offers",
        "operator",
        "responded",
        "slot_since",
        "start",
        "wait_key",
        "wait_since",
        "waiting",
    )

    def __init__(self, group: str, channel: str, now: float) -> None:
        self.channel = channel
        self.key: Key = (group, channel)  # where its counts go
        self.wait_key: Key = self.key  # where it waits now
        self.start = now  # when its contact started (submission, hand-off, transfer)
        self.wait_since = now
        self.waiting = False
        self.answered = False
        self.responded = False
        self.operator: str | None = None  # who has it in a slot, or last had it
        self.offers: set[str] | None = None  # who holds an offer of it
        self.slot_since: float | None = None  # in an operator's slot since
        self.handled = 0.0
        self.hold_since: float | None = None
        self.hold_total = 0.0

    def restart(self, group: str, now: float) -> None:
        """A hand-off or a transfer: a new contact of the same conversation."""
        self.key = self.wait_key = (group, self.channel)
        self.start = now
        self.answered = self.responded = False
        self.handled = self.hold_total = 0.0


class _Agent(_Work):
    """What the statistics remember of an operator, and — as a :class:`_Work` — what
    they did in the current interval so far, kept here so that counting it costs
    no lookup; the interval gets it when it closes."""

    __slots__ = ("load", "since", "slots", "status")

    def __init__(self, slots: int, now: float) -> None:
        super().__init__()
        self.status = OFFLINE
        self.load = 0
        self.slots = slots
        self.since = now  # counted up to here

    def advance(self, until: float) -> None:
        """Count the time up to ``until``."""
        dt = until - self.since
        self.since = until
        if dt > 0:
            self._count(self, dt)

    def pending(self, now: float) -> _Work:
        """What :meth:`advance` to ``now`` would count, without counting it."""
        counted = _Work()
        if now > self.since:
            self._count(counted, now - self.since)
        return counted

    def _count(self, into: _Work, dt: float) -> None:
        status = self.status
        if status is ONLINE:
            into.online_time += dt
            if self.load:
                into.busy_time += dt
                into.load_time += self.load * dt
            into.capacity_time += self.slots * dt
        elif status is AWAY:
            into.away_time += dt

    def flush(self) -> _Work | None:
        """Hand over what was counted in this interval (None: nothing), and start
        the next from zero."""
        if not self.any():
            return None
        work = _Work()
        work.merge(self)
        _Work.__init__(self)
        return work


def slots(capacity: Capacity) -> int:
    """How many conversations an operator may hold at once at most."""
    most = [capacity.total] if capacity.total is not None else []
    if capacity.units is not None:
        most.append(capacity.units // min(capacity.cost.values(), default=capacity.units + 1))
    return min(most)


def _longest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


class Metrics:
    """Live and cumulative statistics from a Router's events.

    ``settings``: how contacts are counted. ``start``: when counting starts (None:
    at the first event). ``clock``: where reads take "now" for live figures (None:
    the last event's time). Read with :meth:`stats`, :meth:`intervals`,
    :meth:`operator_stats` and :meth:`operator_intervals`; feed with
    :meth:`observe`, in the order the Router produced the events.

    Memory: one tally per (group, channel) and one per active operator in each kept
    interval, plus about 200 bytes per live conversation.
    """

    def __init__(
        self,
        settings: MetricsSettings | None = None,
        start: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._settings = settings if settings is not None else MetricsSettings()
        self._clock = clock
        self._contacts: dict[str, _Contact] = {}
        self._pending: list[Event] = []  # observed, not counted yet
        self._agents: dict[str, _Agent] = {}
        self._bots: set[str] = set()  # operators who are bots, left out of the team's figures
        self._last = -math.inf if start is None else start
        self._retired: _Interval | None = None  # intervals no longer kept one by one
        self._kept: list[_Interval] = []
        self._current: _Interval | None = None
        self._end = -math.inf  # when the current interval ends
        if start is not None:
            self._begin(start)
        self._on: dict[type[Event], Callable[[Any], None]] = {
            Submitted: self._submitted,
            Offered: self._offered,
            OfferRejected: self._offer_ended,
            OfferExpired: self._offer_ended,
            OfferRescinded: self._offer_ended,
            Assigned: self._assigned,
            Requeued: self._requeued,
            Escalated: self._escalated,
            HandedOff: self._handed_off,
            Transferred: self._transferred,
            Held: self._held,
            Released: self._released,
            Resumed: self._resumed,
            Responded: self._responded,
            Finished: self._finished,
            Abandoned: self._abandoned,
            StatusChanged: self._status_changed,
            OperatorAdded: self._operator_added,
            OperatorUpdated: self._operator_updated,
            OperatorRemoved: self._operator_removed,
            Configured: self._configured,
        }

    def _begin(self, now: float) -> None:
        """Start the interval ``now`` falls in; operators are counted up to ``now``."""
        length = self._settings.interval
        index = math.floor(now / length)
        self._current = _Interval(index, now)
        self._end = (index + 1) * length
        for agent in self._agents.values():
            agent.since = now

    @property
    def settings(self) -> MetricsSettings:
        """How contacts are counted."""
        self.flush()
        return self._settings

    # -- feeding -------------------------------------------------------------------

    def observe(self, *events: Event) -> None:
        """Count events, in the order the Router produced them. Cost ``O(1)`` each,
        plus ``O(active operators)`` once per interval boundary crossed.

        Events wait in a short buffer and are counted in batches: the same work,
        but done together it runs about twice as fast as spread between routing
        decisions (the interpreter's caches stay warm). Every read counts what
        waits first, so nothing read is ever stale."""
        pending = self._pending
        pending.extend(events)
        if len(pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Count the events that wait in the buffer. Every read does this first."""
        events, self._pending = self._pending, []
        on = self._on
        for event in events:
            now = event.time  # never earlier than the last: the Router's clock holds
            if now >= self._end:
                self._roll(now)
            self._last = now
            handler = on.get(event.__class__)
            if handler is not None:
                handler(event)

    def _roll(self, now: float) -> None:
        """Close intervals up to the one ``now`` falls in."""
        current = self._current
        if current is None:
            self._begin(now)
            return
        length, keep = self._settings.interval, self._settings.keep_intervals
        target = math.floor(now / length)
        while current.index < target:
            self._close_agents((current.index + 1) * length, current.work)
            self._kept.append(current)
            if len(self._kept) > keep:
                self._retire(self._kept.pop(0))
            index = current.index + 1
            if target - index > keep:  # a long quiet stretch: count it in one go
                self._close_agents((target - keep) * length, self._retired_work(index * length))
                index = target - keep
            current = self._current = _Interval(index, index * length)
        self._end = (current.index + 1) * length

    def _retire(self, interval: _Interval) -> None:
        if self._retired is None:
            self._retired = _Interval(interval.index, interval.opened)
        self._retired.merge(interval)

    def _retired_work(self, opened: float) -> dict[str, _Work]:
        """Where operator time of a quiet stretch that is not kept goes."""
        if self._retired is None:
            self._retired = _Interval(-1, opened)
        self._retired.opened = min(self._retired.opened, opened)
        return self._retired.work

    def _close_agents(self, until: float, work: dict[str, _Work]) -> None:
        """Count every operator's time up to ``until`` and hand it to ``work``."""
        for operator_id, agent in self._agents.items():
            agent.advance(until)
            self._close_one(operator_id, agent, work)

    @staticmethod
    def _close_one(operator_id: str, agent: _Agent, work: dict[str, _Work]) -> None:
        done = agent.flush()
        if done is not None:
            mine = work.get(operator_id)
            if mine is None:
                work[operator_id] = done
            else:
                mine.merge(done)

    def _cell(self, key: Key) -> _Tally:
        cells = self._current.cells  # type: ignore[union-attr]
        tally = cells.get(key)
        if tally is None:
            tally = cells[key] = _Tally()
        return tally

    def _work(self, operator_id: str) -> _Work:
        """Where an operator's counts go: their own record, or, once they are
        removed, the current interval's."""
        agent = self._agents.get(operator_id)
        if agent is not None:
            return agent
        work = self._current.work  # type: ignore[union-attr]
        mine = work.get(operator_id)
        if mine is None:
            mine = work[operator_id] = _Work()
        return mine

    def _load(self, operator_id: str, delta: int, now: float) -> None:
        agent = self._agents.get(operator_id)
        if agent is None:  # removed, and what it held is being requeued
            return
        if now > agent.since:
            agent.advance(now)
        agent.load += delta

    # -- waiting -------------------------------------------------------------------

    @staticmethod
    def _wait(contact: _Contact, key: Key, since: float) -> None:
        contact.waiting = True
        contact.wait_key = key
        contact.wait_since = since

    # -- events --------------------------------------------------------------------

    def _submitted(self, event: Submitted) -> None:
        contact = self._contacts[event.conversation_id] = _Contact(
            event.group, event.channel, event.time
        )
        self._cell(contact.key).offered += 1
        contact.waiting = True

    def _offered(self, event: Offered) -> None:
        self._load(event.operator_id, 1, event.time)
        contact = self._contacts[event.conversation_id]
        if contact.offers is None:
            contact.offers = set()
        contact.offers.add(event.operator_id)

    def _offer_ended(self, event: OfferRejected | OfferExpired | OfferRescinded) -> None:
        self._load(event.operator_id, -1, event.time)
        contact = self._contacts.get(event.conversation_id)  # None: it was abandoned
        if contact is not None and contact.offers:
            contact.offers.discard(event.operator_id)

    def _assigned(self, event: Assigned) -> None:
        contact = self._contacts[event.conversation_id]
        operator_id, now = event.operator_id, event.time
        contact.waiting = False
        if contact.offers and operator_id in contact.offers:
            contact.offers.discard(operator_id)  # the offer already took the slot
        else:
            self._load(operator_id, 1, now)
        contact.operator = operator_id
        contact.slot_since = now
        if contact.answered:
            return
        contact.answered = True
        channel = contact.channel
        key = contact.key = (event.group, channel)
        tally = self._cell(key)
        wait = event.waited
        tally.answered += 1
        if wait <= self._settings.threshold(channel):
            tally.answered_within += 1
        tally.wait_total += wait
        tally.waits.add(wait)
        tally.waited(wait)
        self._work(operator_id).answered += 1

    def _free_slot(self, contact: _Contact, now: float) -> None:
        """The contact leaves its operator's slot: count the time it spent there."""
        since, operator_id = contact.slot_since, contact.operator
        if since is None or operator_id is None:
            return
        contact.slot_since = None
        contact.handled += now - since
        self._work(operator_id).handle_total += now - since
        self._load(operator_id, -1, now)

    def _end_hold(self, contact: _Contact, now: float) -> None:
        if contact.hold_since is not None:
            contact.hold_total += now - contact.hold_since
            contact.hold_since = None

    def _close(self, contact: _Contact, operator_id: str, now: float) -> tuple[_Tally, _Work]:
        """An answered contact ends (finished, transferred, handed off): the tallies
        its outcome counts in."""
        if contact.slot_since is not None:
            self._free_slot(contact, now)
        if contact.hold_since is not None:
            self._end_hold(contact, now)
        tally = self._cell(contact.key)
        self._handled(tally, contact)
        return tally, self._work(operator_id)

    @staticmethod
    def _handled(tally: _Tally, contact: _Contact) -> None:
        tally.handled += 1
        tally.handle_total += contact.handled
        tally.hold_total += contact.hold_total

    def _requeued(self, event: Requeued) -> None:
        contact = self._contacts[event.conversation_id]
        self._free_slot(contact, event.time)
        self._wait(contact, (event.group, contact.channel), event.time - event.waited)

    def _escalated(self, event: Escalated) -> None:
        contact = self._contacts[event.conversation_id]
        key = (event.group, contact.channel)
        self._wait(contact, key, contact.wait_since)
        if not contact.answered:
            self._cell(contact.key).escalated_out += 1
            contact.key = key
            self._cell(key).escalated_in += 1

    def _restart(self, event: HandedOff | Transferred) -> tuple[_Tally, _Work]:
        """A contact ends and the conversation starts a new one, in ``event.group``:
        the tallies the ended one's outcome counts in."""
        contact = self._contacts[event.conversation_id]
        ended = self._close(contact, event.operator_id, event.time)
        contact.restart(event.group, event.time)
        self._cell(contact.key).offered += 1
        self._wait(contact, contact.key, event.time)
        return ended

    def _handed_off(self, event: HandedOff) -> None:
        tally, work = self._restart(event)
        tally.handed_off += 1
        work.handed_off += 1

    def _transferred(self, event: Transferred) -> None:
        tally, work = self._restart(event)
        tally.transferred += 1
        work.transferred += 1

    def _held(self, event: Held) -> None:
        contact = self._contacts[event.conversation_id]
        contact.hold_since = event.time
        self._cell(contact.key).holds += 1

    def _released(self, event: Released) -> None:
        self._free_slot(self._contacts[event.conversation_id], event.time)

    def _resumed(self, event: Resumed) -> None:
        contact = self._contacts[event.conversation_id]
        self._end_hold(contact, event.time)
        if contact.slot_since is None:  # its slot was released: it waits again
            self._wait(contact, (event.group, contact.channel), event.time)

    def _responded(self, event: Responded) -> None:
        contact = self._contacts[event.conversation_id]
        contact.responded = True
        response = event.time - contact.start
        tally = self._cell(contact.key)
        tally.responded += 1
        tally.response_total += response
        work = self._work(event.operator_id)
        work.responded += 1
        work.response_total += response

    def _finished(self, event: Finished) -> None:
        contact = self._contacts.pop(event.conversation_id)
        tally, work = self._close(contact, event.operator_id, event.time)
        tally.finished += 1
        work.finished += 1

    def _abandoned(self, event: Abandoned) -> None:
        contact = self._contacts.pop(event.conversation_id)
        tally = self._cell(contact.key)
        if contact.answered:
            tally.abandoned_after_answer += 1
            self._handled(tally, contact)
            return
        wait = event.waited
        if wait < self._settings.short_abandon:
            tally.short_abandoned += 1
            return
        tally.abandoned += 1
        tally.abandon_wait_total += wait
        tally.waited(wait)
        if wait <= self._settings.threshold(contact.channel):
            tally.abandoned_within += 1

    def _status_changed(self, event: StatusChanged) -> None:
        agent = self._agents[event.operator_id]
        agent.advance(event.time)
        agent.status = event.status

    def _operator_added(self, event: OperatorAdded) -> None:
        self._agents[event.operator.id] = _Agent(slots(event.operator.capacity), event.time)
        self._is_bot(event.operator.id, event.operator.bot)

    def _is_bot(self, operator_id: str, bot: bool) -> None:
        if bot:
            self._bots.add(operator_id)
        else:
            self._bots.discard(operator_id)

    def _operator_updated(self, event: OperatorUpdated) -> None:
        operator_id = event.operator.id
        agent = self._agents[operator_id]
        agent.advance(event.time)
        agent.slots = slots(event.operator.capacity)
        self._is_bot(operator_id, event.operator.bot)

    def _operator_removed(self, event: OperatorRemoved) -> None:
        agent = self._agents.pop(event.operator_id)
        agent.advance(event.time)
        self._close_one(event.operator_id, agent, self._current.work)  # type: ignore[union-attr]

    def _configured(self, event: Configured) -> None:
        decoder = Decoder(JournalError, "event", upgrade=True)
        settings = decoder.config(event.config, "config").metrics
        old, self._settings = self._settings, settings
        current = self._current
        if current is None or (settings.interval, settings.keep_intervals) == (
            old.interval,
            old.keep_intervals,
        ):
            return
        # Intervals of another length do not line up: fold those so far into the totals.
        self._close_agents(event.time, current.work)
        for interval in [*self._kept, current]:
            self._retire(interval)
        self._kept = []
        self._begin(event.time)

    # -- reading -------------------------------------------------------------------

    def channels(self, since: float | None = None) -> list[str]:
        """The channels counted in the intervals that start at ``since`` or later
        (None: all), or waiting now, sorted."""
        self.flush()
        seen = {key[1] for interval in self._intervals(since) for key in interval.cells}
        seen.update(contact.channel for contact in self._contacts.values() if contact.waiting)
        return sorted(seen)

    def _time(self, now: float | None) -> float:
        if now is None:
            now = self._last if self._clock is None else self._clock()
        if now == -math.inf:  # nothing seen, and no clock
            return 0.0
        return max(now, self._last)

    def _intervals(self, since: float | None) -> Iterator[_Interval]:
        """The intervals that start at ``since`` or later (None: all, the totals of
        those no longer kept included), oldest first."""
        length = self._settings.interval
        if since is None and self._retired is not None:
            yield self._retired
        for interval in (*self._kept, self._current):
            if interval is not None and (since is None or interval.index * length >= since):
                yield interval

    @staticmethod
    def _start_of(intervals: list[_Interval], now: float) -> float:
        """When counting began in these intervals (``now`` if none)."""
        return min((interval.opened for interval in intervals), default=now)

    def stats(
        self,
        *,
        channel: str | None = None,
        group: str | None = None,
        since: float | None = None,
        now: float | None = None,
    ) -> ConversationStats:
        """Contacts of ``channel`` and ``group`` (None: all) in the intervals that
        start at ``since`` or later (None: since counting began, including intervals
        no longer kept one by one), with the live figures as of ``now`` (None: the
        clock). Cost ``O(intervals * cells + q)`` for ``q`` live conversations."""
        self.flush()
        now = self._time(now)
        tally = _Tally()
        intervals = list(self._intervals(since))
        for interval in intervals:
            for key, cell in interval.cells.items():
                if (group is None or key[0] == group) and (channel is None or key[1] == channel):
                    tally.merge(cell)
        # Read by a scan, not kept in order: reads are rare, decisions are not.
        starts = [
            contact.wait_since
            for contact in self._contacts.values()
            if contact.waiting
            and (group is None or contact.wait_key[0] == group)
            and (channel is None or contact.channel == channel)
        ]
        waiting, oldest = len(starts), min(starts, default=None)
        return self._figures(
            tally,
            self._start_of(intervals, now),
            now,
            channel,
            group,
            waiting=waiting,
            longest_current_wait=None if oldest is None else now - oldest,
        )

    def intervals(
        self, *, channel: str | None = None, group: str | None = None
    ) -> list[ConversationStats]:
        """Contacts of ``channel`` and ``group`` (None: all) interval by interval,
        oldest first, for the intervals still kept one by one; the last one is the
        current interval, counted up to the last event."""
        self.flush()
        length = self._settings.interval
        reports = []
        for interval in self._intervals(since=-math.inf):
            tally = _Tally()
            for key, cell in interval.cells.items():
                if (group is None or key[0] == group) and (channel is None or key[1] == channel):
                    tally.merge(cell)
            end = self._last if interval is self._current else (interval.index + 1) * length
            reports.append(self._figures(tally, interval.opened, end, channel, group))
        return reports

    def _figures(
        self,
        tally: _Tally,
        start: float,
        end: float,
        channel: str | None,
        group: str | None,
        **live: Any,
    ) -> ConversationStats:
        answered, abandoned, within = tally.answered, tally.abandoned, tally.answered_within
        formula = self._settings.formula
        if formula is ServiceLevelFormula.OFFERED:
            level = share(within, answered + abandoned)
        elif formula is ServiceLevelFormula.ANSWERED:
            level = share(within, answered)
        elif formula is ServiceLevelFormula.ABANDONS_WITHIN_MET:
            level = share(within + tally.abandoned_within, answered + abandoned)
        else:
            level = share(within, answered + abandoned - tally.abandoned_within)
        waits = tally.waits
        return ConversationStats(
            start=start,
            end=end,
            channel=channel,
            group=group,
            **{name: getattr(tally, name) for name in (*COUNTS, *_TOTALS)},
            service_level=level,
            abandon_rate=share(abandoned, answered + abandoned),
            average_speed_of_answer=share(tally.wait_total, answered),
            longest_wait=tally.longest_wait,
            wait_p50=waits.quantile(0.5),
            wait_p90=waits.quantile(0.9),
            wait_p99=waits.quantile(0.99),
            average_abandon_wait=share(tally.abandon_wait_total, abandoned),
            average_first_response=share(tally.response_total, tally.responded),
            average_handle_time=share(tally.handle_total, tally.handled),
            average_hold_time=share(tally.hold_total, tally.handled),
            **live,
        )

    def operator_stats(
        self,
        operator_id: str | None = None,
        *,
        since: float | None = None,
        now: float | None = None,
    ) -> OperatorStats:
        """How ``operator_id`` (None: all people together, bots left out) spent the
        intervals that start at ``since`` or later (None: since counting began), up
        to ``now`` (None: the clock)."""
        self.flush()
        now = self._time(now)
        work = _Work()
        intervals = list(self._intervals(since))
        for interval in intervals:
            self._add_work(work, interval, operator_id, now)
        return self._operator_figures(work, self._start_of(intervals, now), now, operator_id)

    def operator_intervals(self, operator_id: str | None = None) -> list[OperatorStats]:
        """How ``operator_id`` (None: all people together, bots left out) spent each
        interval still kept one by one, oldest first; the last one is the current
        interval, counted up to the last event."""
        self.flush()
        length = self._settings.interval
        reports = []
        for interval in self._intervals(since=-math.inf):
            work = _Work()
            end = self._last if interval is self._current else (interval.index + 1) * length
            self._add_work(work, interval, operator_id, end)
            reports.append(self._operator_figures(work, interval.opened, end, operator_id))
        return reports

    def _add_work(
        self, work: _Work, interval: _Interval, operator_id: str | None, now: float
    ) -> None:
        """Add what ``operator_id`` (None: all people) did in ``interval``; in the
        current one, that includes what the operators hold themselves and their
        time since they were last counted, up to ``now``."""
        bots = self._bots
        for mine_id, mine in interval.work.items():
            if mine_id == operator_id or (operator_id is None and mine_id not in bots):
                work.merge(mine)
        if interval is not self._current:
            return
        for agent_id, agent in self._agents.items():
            if agent_id == operator_id or (operator_id is None and agent_id not in bots):
                work.merge(agent)
                work.merge(agent.pending(now))

    @staticmethod
    def _operator_figures(
        work: _Work, start: float, end: float, operator_id: str | None
    ) -> OperatorStats:
        return OperatorStats(
            start=start,
            end=end,
            operator_id=operator_id,
            **{name: getattr(work, name) for name in _WORK},
            occupancy=share(work.busy_time, work.online_time),
            utilisation=share(work.load_time, work.capacity_time),
            average_concurrency=share(work.load_time, work.busy_time),
            average_first_response=share(work.response_total, work.responded),
        )

    # -- snapshots -----------------------------------------------------------------

    def encode(self) -> dict[str, Any]:
        """Plain, JSON-ready data for a snapshot (the settings travel apart)."""
        self.flush()
        return {
            "last": None if self._last == -math.inf else self._last,
            "retired": None if self._retired is None else _encode_interval(self._retired),
            "kept": [_encode_interval(interval) for interval in self._kept],
            "current": None if self._current is None else _encode_interval(self._current),
            "contacts": [
                [cid, *_encode_contact(contact)] for cid, contact in self._contacts.items()
            ],
            "agents": [
                [
                    agent_id,
                    agent.status.value,
                    agent.load,
                    agent.slots,
                    agent.since,
                    *_numbers(agent),
                ]
                for agent_id, agent in self._agents.items()
            ],
            "bots": sorted(self._bots),
        }

    @classmethod
    def decode(
        cls,
        settings: MetricsSettings,
        data: Any,
        fail: Callable[[str, str], Exception],
        path: str = "metrics",
        clock: Callable[[], float] | None = None,
    ) -> Metrics:
        """The Metrics :meth:`encode` described; raises what ``fail(path, reason)``
        returns, naming the first bad field."""
        read = Reader(fail)
        top = read.record(
            data, path, ("last", "retired", "kept", "current", "contacts", "agents", "bots")
        )
        metrics = cls(settings, clock=clock)
        last = read.optional(read.number, top["last"], f"{path}.last")
        metrics._last = -math.inf if last is None else last
        interval = functools.partial(_decode_interval, read)
        metrics._retired = read.optional(interval, top["retired"], f"{path}.retired")
        metrics._kept = [
            _decode_interval(read, item, f"{path}.kept[{i}]")
            for i, item in enumerate(read.items(top["kept"], f"{path}.kept"))
        ]
        current = read.optional(interval, top["current"], f"{path}.current")
        indexes = [interval.index for interval in metrics._kept]
        if current is not None:
            indexes.append(current.index)
            metrics._current = current
            metrics._end = (current.index + 1) * settings.interval
        elif metrics._kept:
            raise fail(f"{path}.current", "kept intervals without a current one")
        if indexes != sorted(set(indexes)) or len(metrics._kept) > settings.keep_intervals:
            raise fail(f"{path}.kept", "intervals out of order, repeated or too many")
        for i, item in enumerate(read.items(top["contacts"], f"{path}.contacts")):
            at = f"{path}.contacts[{i}]"
            cid, contact = _decode_contact(read, item, at)
            if cid in metrics._contacts:
                raise fail(at, f"conversation {cid!r} appears twice")
            metrics._contacts[cid] = contact
        for i, item in enumerate(read.items(top["agents"], f"{path}.agents")):
            at = f"{path}.agents[{i}]"
            fields = read.items(item, at)
            if len(fields) != 8:
                raise fail(at, "expected [id, status, load, slots, since, times, counts, totals]")
            agent_id = read.name(fields[0], f"{at}[0]")
            status = read.text(fields[1], f"{at}[1]")
            if status not in {s.value for s in Status}:
                raise fail(f"{at}[1]", f"unknown status {status!r}")
            agent = _Agent(_count(read, fields[3], f"{at}[3]"), read.number(fields[4], f"{at}[4]"))
            agent.status = Status(status)
            agent.load = _count(read, fields[2], f"{at}[2]")
            _fill_work(read, agent, fields[5:], at, first=5)
            if agent_id in metrics._agents:
                raise fail(at, f"operator {agent_id!r} appears twice")
            metrics._agents[agent_id] = agent
        metrics._bots = set(read.texts(top["bots"], f"{path}.bots"))
        return metrics


def _count(read: Reader, value: Any, path: str) -> int:
    number = read.integer(value, path)
    if number < 0:
        raise read.fail(path, f"expected a count >= 0, got {number}")
    return number


def _encode_interval(interval: _Interval) -> dict[str, Any]:
    return {
        "index": interval.index,
        "opened": interval.opened,
        "cells": [
            [
                group,
                channel,
                [getattr(tally, name) for name in COUNTS],
                [getattr(tally, name) for name in _TOTALS],
                tally.longest_wait,
                tally.waits.encode(),
            ]
            for (group, channel), tally in interval.cells.items()
        ],
        "work": [[operator_id, *_numbers(work)] for operator_id, work in interval.work.items()],
    }


def _fill(
    read: Reader, target: object, value: Any, path: str, names: tuple[str, ...], whole: bool
) -> None:
    """Set ``names`` on ``target`` from a list of that many numbers >= 0."""
    items = read.items(value, path)
    if len(items) != len(names):
        raise read.fail(path, f"expected {len(names)} numbers: {', '.join(names)}")
    for i, (name, item) in enumerate(zip(names, items, strict=True)):
        at = f"{path}[{i}]"
        number = _count(read, item, at) if whole else read.number(item, at)
        if number < 0:
            raise read.fail(at, f"expected a number >= 0, got {number}")
        setattr(target, name, number)


def _numbers(work: _Work) -> list[list[float]]:
    """A :class:`_Work`'s times, counts and totals, as three lists."""
    return [[getattr(work, name) for name in names] for names in _WORK_GROUPS]


def _fill_work(read: Reader, work: _Work, lists: list[Any], path: str, first: int) -> None:
    for j, (names, value) in enumerate(zip(_WORK_GROUPS, lists, strict=True), start=first):
        _fill(read, work, value, f"{path}[{j}]", names, whole=names is _WORK_COUNTS)


_WORK_GROUPS = (_WORK_TIMES, _WORK_COUNTS, _WORK_TOTALS)


def _decode_interval(read: Reader, value: Any, path: str) -> _Interval:
    data = read.record(value, path, ("index", "opened", "cells", "work"))
    opened = read.number(data["opened"], f"{path}.opened")
    interval = _Interval(read.integer(data["index"], f"{path}.index"), opened)
    for i, item in enumerate(read.items(data["cells"], f"{path}.cells")):
        at = f"{path}.cells[{i}]"
        fields = read.items(item, at)
        if len(fields) != 6:
            raise read.fail(at, "expected [group, channel, counts, totals, longest, waits]")
        key = (read.name(fields[0], f"{at}[0]"), read.name(fields[1], f"{at}[1]"))
        if key in interval.cells:
            raise read.fail(at, f"(group, channel) {key} appears twice")
        tally = interval.cells[key] = _Tally()
        _fill(read, tally, fields[2], f"{at}[2]", COUNTS, whole=True)
        _fill(read, tally, fields[3], f"{at}[3]", _TOTALS, whole=False)
        tally.longest_wait = read.optional(read.number, fields[4], f"{at}[4]")
        tally.waits = QuantileSketch.decode(fields[5], read.fail, f"{at}[5]")
    for i, item in enumerate(read.items(data["work"], f"{path}.work")):
        at = f"{path}.work[{i}]"
        fields = read.items(item, at)
        if len(fields) != 4:
            raise read.fail(at, "expected [operator, times, counts, totals]")
        operator_id = read.name(fields[0], f"{at}[0]")
        if operator_id in interval.work:
            raise read.fail(at, f"operator {operator_id!r} appears twice")
        _fill_work(read, interval.work.setdefault(operator_id, _Work()), fields[1:], at, first=1)
    return interval


_CONTACT_FIELDS = (
    "id",
    "group",
    "wait_group",
    "channel",
    "start",
    "waiting",
    "wait_since",
    "answered",
    "responded",
    "operator",
    "offers",
    "slot_since",
    "handled",
    "hold_since",
    "hold_total",
)


def _encode_contact(contact: _Contact) -> list[Any]:
    return [
        contact.key[0],
        contact.wait_key[0],
        contact.channel,
        contact.start,
        contact.waiting,
        contact.wait_since,
        contact.answered,
        contact.responded,
        contact.operator,
        None if contact.offers is None else sorted(contact.offers),
        contact.slot_since,
        contact.handled,
        contact.hold_since,
        contact.hold_total,
    ]


def _decode_contact(read: Reader, value: Any, path: str) -> tuple[str, _Contact]:
    fields = read.items(value, path)
    if len(fields) != len(_CONTACT_FIELDS):
        raise read.fail(path, f"expected [{', '.join(_CONTACT_FIELDS)}]")
    at = {name: f"{path}[{i}]" for i, name in enumerate(_CONTACT_FIELDS)}
    value_of = dict(zip(_CONTACT_FIELDS, fields, strict=True))

    def flag(name: str) -> bool:
        return read.boolean(value_of[name], at[name])

    def moment(name: str) -> float | None:
        return read.optional(read.number, value_of[name], at[name])

    cid = read.name(value_of["id"], at["id"])
    channel = read.name(value_of["channel"], at["channel"])
    contact = _Contact(read.name(value_of["group"], at["group"]), channel, 0.0)
    contact.wait_key = (read.name(value_of["wait_group"], at["wait_group"]), channel)
    contact.start = read.number(value_of["start"], at["start"])
    contact.waiting = flag("waiting")
    contact.wait_since = read.number(value_of["wait_since"], at["wait_since"])
    contact.answered = flag("answered")
    contact.responded = flag("responded")
    contact.operator = read.optional(read.name, value_of["operator"], at["operator"])
    offers = read.optional(read.texts, value_of["offers"], at["offers"])
    contact.offers = None if offers is None else set(offers)
    contact.slot_since = moment("slot_since")
    contact.handled = read.number(value_of["handled"], at["handled"])
    contact.hold_since = moment("hold_since")
    contact.hold_total = read.number(value_of["hold_total"], at["hold_total"])
    return cid, contact
