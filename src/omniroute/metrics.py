"""Statistics computed from the Router's events as they happen, never by a re-scan.

:class:`Metrics` watches the events a Router returns and keeps, per report interval
(15 minutes by default), a tally per (group, channel) and one per operator. Every
event costs ``O(1)``: a counter or two, one sketch update per answer. Reports merge
the tallies they cover, so per-channel figures add up to the overall ones by
construction. A Router keeps one unless told not to (:attr:`~omniroute.Router.metrics`),
and counts each event on its own ticket as it makes it (:meth:`Metrics.count`); a
host may also build its own and feed it a journal of events with
:meth:`Metrics.observe`, which keeps a small record per live conversation.

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
from omniroute.codec import Decoder
from omniroute.errors import JournalError, ValidationError
from omniroute.events import (
    Abandoned,
    Assigned,
    Configured,
    ConversationEvent,
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
from omniroute.stats import (
    ConversationStats,
    MetricsSettings,
    OperatorStats,
    ServiceLevelFormula,
    share,
)
from omniroute.tallies import (
    COUNTS,
    TOTALS,
    WORK,
    Agent,
    Contact,
    Interval,
    Key,
    Tally,
    Work,
    copy_contact,
    count,
    decode_agent,
    decode_contact,
    decode_interval,
    encode_agent,
    encode_contact,
    encode_interval,
    restart,
    slots,
    start_contact,
)

__all__ = ["COUNTS", "Metrics", "slots"]

ONLINE, AWAY, OFFLINE = Status.ONLINE, Status.AWAY, Status.OFFLINE


class Metrics:
    """Live and cumulative statistics from a Router's events.

    ``settings``: how contacts are counted. ``start``: when counting starts (None:
    at the first event). ``clock``: where reads take "now" for live figures (None:
    the last event's time). Read with :meth:`stats`, :meth:`intervals`,
    :meth:`operator_stats` and :meth:`operator_intervals`; feed with
    :meth:`observe`, in the order the Router produced the events.

    ``contacts``: for the Router's own statistics only, its tickets, which carry the
    contact attributes (:class:`omniroute.tallies.Contact`): the Router then counts
    each event as it makes it (:meth:`count`) and such a Metrics cannot
    :meth:`observe`.

    Memory: one tally per (group, channel) and one per active operator in each kept
    interval, plus about 200 bytes per live conversation.
    """

    def __init__(
        self,
        settings: MetricsSettings | None = None,
        start: float | None = None,
        clock: Callable[[], float] | None = None,
        *,
        contacts: dict[str, Any] | None = None,
    ) -> None:
        self._settings = settings if settings is not None else MetricsSettings()
        self._clock = clock
        self._own_contacts = contacts is None
        self._contacts: dict[str, Any] = {} if contacts is None else contacts
        self._agents: dict[str, Agent] = {}
        self._bots: set[str] = set()  # operators who are bots, left out of the team's figures
        # Contacts already live when counting began, per (group, channel): [waiting,
        # answered]. Counted nowhere else; the checks of the counts need them.
        self._carried: dict[Key, list[int]] = {}
        self._last = -math.inf if start is None else start
        self._retired: Interval | None = None  # intervals no longer kept one by one
        self._kept: list[Interval] = []
        self._current: Interval | None = None
        self._end = -math.inf  # when the current interval ends
        if start is not None:
            self._begin(start)
        self._on: dict[type[Event], Callable[[Any, Any], None]] = {
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
        self._current = Interval(index, now)
        self._end = (index + 1) * length
        for agent in self._agents.values():
            agent.since = now

    @property
    def settings(self) -> MetricsSettings:
        """How contacts are counted."""
        return self._settings

    # -- feeding -------------------------------------------------------------------

    def observe(self, *events: Event) -> None:
        """Count events, in the order the Router produced them. Cost ``O(1)`` each,
        plus ``O(active operators)`` once per interval boundary crossed.

        Raises :class:`~omniroute.ValidationError` for a Router's own statistics,
        which its Router feeds."""
        if not self._own_contacts:
            raise ValidationError(
                "this Metrics belongs to a Router, which counts its events itself; "
                "build Metrics() of your own to observe events"
            )
        contacts = self._contacts
        count = self.count
        for event in events:
            kind = event.__class__
            contact: Contact | None = None
            if kind is Submitted:
                assert isinstance(event, Submitted)
                contact = contacts[event.conversation_id] = Contact(
                    event.group, event.channel, event.time
                )
            elif kind is Finished or kind is Abandoned:
                contact = contacts.pop(event.conversation_id)  # type: ignore[attr-defined]
            elif isinstance(event, ConversationEvent):
                # None after the conversation ended: an offer rescinded as it was abandoned.
                contact = contacts.get(event.conversation_id)
            count(contact, event)

    def count(self, contact: Any, event: Event) -> None:
        """Count one event about ``contact`` (None: an operator's). The Router calls
        this as it makes each event, with its ticket. Cost ``O(1)``."""
        now = event.time  # never earlier than the last: the Router's clock holds
        if now >= self._end:
            self._roll(now)
        self._last = now
        handler = self._on.get(event.__class__)
        if handler is not None:
            handler(contact, event)

    def flush(self) -> None:
        """Nothing to do: events are counted as they are observed. Kept for hosts
        that called it before reads."""

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
            current = self._current = Interval(index, index * length)
        self._end = (current.index + 1) * length

    def _retire(self, interval: Interval) -> None:
        if self._retired is None:
            self._retired = Interval(interval.index, interval.opened)
        self._retired.merge(interval)

    def _retired_work(self, opened: float) -> dict[str, Work]:
        """Where operator time of a quiet stretch that is not kept goes."""
        if self._retired is None:
            self._retired = Interval(-1, opened)
        self._retired.opened = min(self._retired.opened, opened)
        return self._retired.work

    def _close_agents(self, until: float, work: dict[str, Work]) -> None:
        """Count every operator's time up to ``until`` and hand it to ``work``."""
        for operator_id, agent in self._agents.items():
            agent.advance(until)
            self._close_one(operator_id, agent, work)

    @staticmethod
    def _close_one(operator_id: str, agent: Agent, work: dict[str, Work]) -> None:
        done = agent.flush()
        if done is not None:
            mine = work.get(operator_id)
            if mine is None:
                work[operator_id] = done
            else:
                mine.merge(done)

    def _cell(self, key: Key) -> Tally:
        cells = self._current.cells  # type: ignore[union-attr]
        tally = cells.get(key)
        if tally is None:
            tally = cells[key] = Tally()
        return tally

    def _work(self, operator_id: str) -> Work:
        """Where an operator's counts go: their own record, or, once they are
        removed, the current interval's."""
        agent = self._agents.get(operator_id)
        if agent is not None:
            return agent
        work = self._current.work  # type: ignore[union-attr]
        mine = work.get(operator_id)
        if mine is None:
            mine = work[operator_id] = Work()
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
    def _wait(contact: Any, key: Key, since: float) -> None:
        contact.waiting = True
        contact.wait_key = key
        contact.wait_since = since

    # -- events --------------------------------------------------------------------

    def _submitted(self, contact: Any, event: Submitted) -> None:
        start_contact(contact, event.group, event.time)
        self._cell(contact.count_key).offered += 1

    def _offered(self, contact: Any, event: Offered) -> None:
        self._load(event.operator_id, 1, event.time)
        if contact.stat_offers is None:
            contact.stat_offers = set()
        contact.stat_offers.add(event.operator_id)

    def _offer_ended(
        self, contact: Any, event: OfferRejected | OfferExpired | OfferRescinded
    ) -> None:
        self._load(event.operator_id, -1, event.time)
        if contact is not None and contact.stat_offers:  # None: it was abandoned
            contact.stat_offers.discard(event.operator_id)

    def _assigned(self, contact: Any, event: Assigned) -> None:
        operator_id, now = event.operator_id, event.time
        contact.waiting = False
        offers = contact.stat_offers
        if offers and operator_id in offers:
            offers.discard(operator_id)  # the offer already took the slot
        else:
            self._load(operator_id, 1, now)
        contact.stat_operator = operator_id
        contact.slot_since = now
        if contact.answered:
            return
        contact.answered = True
        channel = contact.channel
        key = contact.count_key = (event.group, channel)
        tally = self._cell(key)
        wait = event.waited
        tally.answered += 1
        if wait <= self._settings.threshold(channel):
            tally.answered_within += 1
        tally.wait_total += wait
        tally.waits.add(wait)
        tally.waited(wait)
        self._work(operator_id).answered += 1

    def _free_slot(self, contact: Any, now: float) -> None:
        """The contact leaves its operator's slot: count the time it spent there."""
        since, operator_id = contact.slot_since, contact.stat_operator
        if since is None or operator_id is None:
            return
        contact.slot_since = None
        contact.handled += now - since
        self._work(operator_id).handle_total += now - since
        self._load(operator_id, -1, now)

    def _end_hold(self, contact: Any, now: float) -> None:
        if contact.hold_since is not None:
            contact.hold_total += now - contact.hold_since
            contact.hold_since = None

    def _close(self, contact: Any, operator_id: str, now: float) -> tuple[Tally, Work]:
        """An answered contact ends (finished, transferred, handed off): the tallies
        its outcome counts in."""
        if contact.slot_since is not None:
            self._free_slot(contact, now)
        if contact.hold_since is not None:
            self._end_hold(contact, now)
        tally = self._cell(contact.count_key)
        self._handled(tally, contact)
        return tally, self._work(operator_id)

    @staticmethod
    def _handled(tally: Tally, contact: Any) -> None:
        tally.handled += 1
        tally.handle_total += contact.handled
        tally.hold_total += contact.hold_total

    def _requeued(self, contact: Any, event: Requeued) -> None:
        self._free_slot(contact, event.time)
        self._wait(contact, (event.group, contact.channel), event.time - event.waited)

    def _escalated(self, contact: Any, event: Escalated) -> None:
        key = (event.group, contact.channel)
        self._wait(contact, key, contact.wait_since)
        if not contact.answered:
            self._cell(contact.count_key).escalated_out += 1
            contact.count_key = key
            self._cell(key).escalated_in += 1

    def _restart(self, contact: Any, event: HandedOff | Transferred) -> tuple[Tally, Work]:
        """A contact ends and the conversation starts a new one, in ``event.group``:
        the tallies the ended one's outcome counts in."""
        ended = self._close(contact, event.operator_id, event.time)
        restart(contact, event.group, event.time)
        self._cell(contact.count_key).offered += 1
        self._wait(contact, contact.count_key, event.time)
        return ended

    def _handed_off(self, contact: Any, event: HandedOff) -> None:
        tally, work = self._restart(contact, event)
        tally.handed_off += 1
        work.handed_off += 1

    def _transferred(self, contact: Any, event: Transferred) -> None:
        tally, work = self._restart(contact, event)
        tally.transferred += 1
        work.transferred += 1

    def _held(self, contact: Any, event: Held) -> None:
        contact.hold_since = event.time
        self._cell(contact.count_key).holds += 1

    def _released(self, contact: Any, event: Released) -> None:
        self._free_slot(contact, event.time)

    def _resumed(self, contact: Any, event: Resumed) -> None:
        self._end_hold(contact, event.time)
        if contact.slot_since is None:  # its slot was released: it waits again
            self._wait(contact, (event.group, contact.channel), event.time)

    def _responded(self, contact: Any, event: Responded) -> None:
        contact.responded = True
        response = event.time - contact.contact_start
        tally = self._cell(contact.count_key)
        tally.responded += 1
        tally.response_total += response
        work = self._work(event.operator_id)
        work.responded += 1
        work.response_total += response

    def _finished(self, contact: Any, event: Finished) -> None:
        tally, work = self._close(contact, event.operator_id, event.time)
        tally.finished += 1
        work.finished += 1

    def _abandoned(self, contact: Any, event: Abandoned) -> None:
        tally = self._cell(contact.count_key)
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

    def _status_changed(self, _: None, event: StatusChanged) -> None:
        agent = self._agents[event.operator_id]
        agent.advance(event.time)
        agent.status = event.status

    def _operator_added(self, _: None, event: OperatorAdded) -> None:
        self._agents[event.operator.id] = Agent(slots(event.operator.capacity), event.time)
        self._is_bot(event.operator.id, event.operator.bot)

    def carry(self, contact: Any) -> None:
        """Take ``contact``, live before counting began, as carried in where it is."""
        self._carried.setdefault(contact.count_key, [0, 0])[contact.answered] += 1

    def add_agent(
        self, operator_id: str, status: Status, load: int, slots: int, bot: bool, now: float
    ) -> None:
        """Know an operator already at work when counting starts (an old snapshot,
        or statistics turned on): nothing of theirs is counted before ``now``."""
        agent = self._agents[operator_id] = Agent(slots, now)
        agent.status = status
        agent.load = load
        self._is_bot(operator_id, bot)

    def _is_bot(self, operator_id: str, bot: bool) -> None:
        if bot:
            self._bots.add(operator_id)
        else:
            self._bots.discard(operator_id)

    def _operator_updated(self, _: None, event: OperatorUpdated) -> None:
        operator_id = event.operator.id
        agent = self._agents[operator_id]
        agent.advance(event.time)
        agent.slots = slots(event.operator.capacity)
        self._is_bot(operator_id, event.operator.bot)

    def _operator_removed(self, _: None, event: OperatorRemoved) -> None:
        agent = self._agents.pop(event.operator_id)
        agent.advance(event.time)
        self._close_one(event.operator_id, agent, self._current.work)  # type: ignore[union-attr]

    def _configured(self, _: None, event: Configured) -> None:
        decoder = Decoder(JournalError, "event", upgrade=True)
        settings = decoder.config(event.config, "config").metrics
        if settings is None:  # the Router stopped counting; a Metrics of one's own goes on
            return
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
        seen = {key[1] for interval in self._intervals(since) for key in interval.cells}
        seen.update(contact.channel for contact in self._contacts.values() if contact.waiting)
        return sorted(seen)

    def _time(self, now: float | None) -> float:
        if now is None:
            now = self._last if self._clock is None else self._clock()
        if now == -math.inf:  # nothing seen, and no clock
            return 0.0
        return max(now, self._last)

    def _intervals(self, since: float | None) -> Iterator[Interval]:
        """The intervals that start at ``since`` or later (None: all, the totals of
        those no longer kept included), oldest first."""
        length = self._settings.interval
        if since is None and self._retired is not None:
            yield self._retired
        for interval in (*self._kept, self._current):
            if interval is not None and (since is None or interval.index * length >= since):
                yield interval

    @staticmethod
    def _start_of(intervals: list[Interval], now: float) -> float:
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
        now = self._time(now)
        tally = Tally()
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
        length = self._settings.interval
        reports = []
        for interval in self._intervals(since=-math.inf):
            tally = Tally()
            for key, cell in interval.cells.items():
                if (group is None or key[0] == group) and (channel is None or key[1] == channel):
                    tally.merge(cell)
            end = self._last if interval is self._current else (interval.index + 1) * length
            reports.append(self._figures(tally, interval.opened, end, channel, group))
        return reports

    def _figures(
        self,
        tally: Tally,
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
            **{name: getattr(tally, name) for name in (*COUNTS, *TOTALS)},
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
        now = self._time(now)
        work = Work()
        intervals = list(self._intervals(since))
        for interval in intervals:
            self._add_work(work, interval, operator_id, now)
        return self._operator_figures(work, self._start_of(intervals, now), now, operator_id)

    def operator_intervals(self, operator_id: str | None = None) -> list[OperatorStats]:
        """How ``operator_id`` (None: all people together, bots left out) spent each
        interval still kept one by one, oldest first; the last one is the current
        interval, counted up to the last event."""
        length = self._settings.interval
        reports = []
        for interval in self._intervals(since=-math.inf):
            work = Work()
            end = self._last if interval is self._current else (interval.index + 1) * length
            self._add_work(work, interval, operator_id, end)
            reports.append(self._operator_figures(work, interval.opened, end, operator_id))
        return reports

    def _add_work(
        self, work: Work, interval: Interval, operator_id: str | None, now: float
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
        work: Work, start: float, end: float, operator_id: str | None
    ) -> OperatorStats:
        return OperatorStats(
            start=start,
            end=end,
            operator_id=operator_id,
            **{name: getattr(work, name) for name in WORK},
            occupancy=share(work.busy_time, work.online_time),
            utilisation=share(work.load_time, work.capacity_time),
            average_concurrency=share(work.load_time, work.busy_time),
            average_first_response=share(work.response_total, work.responded),
        )

    # -- snapshots -----------------------------------------------------------------

    def encode(self) -> dict[str, Any]:
        """Plain, JSON-ready data for a snapshot (the settings travel apart)."""
        return {
            "last": None if self._last == -math.inf else self._last,
            "retired": None if self._retired is None else encode_interval(self._retired),
            "kept": [encode_interval(interval) for interval in self._kept],
            "current": None if self._current is None else encode_interval(self._current),
            "contacts": [
                [cid, *encode_contact(contact)] for cid, contact in self._contacts.items()
            ],
            "agents": [encode_agent(agent_id, agent) for agent_id, agent in self._agents.items()],
            "bots": sorted(self._bots),
            "carried": [[*key, *counts] for key, counts in sorted(self._carried.items())],
        }

    @classmethod
    def decode(
        cls,
        settings: MetricsSettings,
        data: Any,
        fail: Callable[[str, str], Exception],
        path: str = "metrics",
        clock: Callable[[], float] | None = None,
        *,
        contacts: dict[str, Any] | None = None,
        upgrade: bool = False,
    ) -> Metrics:
        """The Metrics :meth:`encode` described; raises what ``fail(path, reason)``
        returns, naming the first bad field. With ``contacts`` (a Router's tickets,
        as for the constructor), the live contacts' figures go onto them, and there
        must be one for each. ``upgrade``: data of an older snapshot, whose newer
        fields may be missing."""
        read = Reader(fail, upgrade=upgrade)
        top = read.record(
            data,
            path,
            ("last", "retired", "kept", "current", "contacts", "agents", "bots", "carried"),
            {"carried": []},
        )
        metrics = cls(settings, clock=clock, contacts=contacts)
        last = read.optional(read.number, top["last"], f"{path}.last")
        metrics._last = -math.inf if last is None else last
        interval = functools.partial(decode_interval, read)
        metrics._retired = read.optional(interval, top["retired"], f"{path}.retired")
        metrics._kept = [
            decode_interval(read, item, f"{path}.kept[{i}]")
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
        seen: set[str] = set()
        for i, item in enumerate(read.items(top["contacts"], f"{path}.contacts")):
            at = f"{path}.contacts[{i}]"
            cid, contact = decode_contact(read, item, at)
            if cid in seen:
                raise fail(at, f"conversation {cid!r} appears twice")
            seen.add(cid)
            if contacts is None:
                metrics._contacts[cid] = contact
            elif cid in contacts:
                copy_contact(contact, contacts[cid])
            else:
                raise fail(at, f"conversation {cid!r} is not live")
        if contacts is not None and seen != contacts.keys():
            missing = sorted(contacts.keys() - seen)[:5]
            raise fail(f"{path}.contacts", f"live conversation(s) {missing} are not counted")
        for i, item in enumerate(read.items(top["agents"], f"{path}.agents")):
            at = f"{path}.agents[{i}]"
            agent_id, agent = decode_agent(read, item, at)
            if agent_id in metrics._agents:
                raise fail(at, f"operator {agent_id!r} appears twice")
            metrics._agents[agent_id] = agent
        metrics._bots = set(read.texts(top["bots"], f"{path}.bots"))
        for i, item in enumerate(read.items(top["carried"], f"{path}.carried")):
            at = f"{path}.carried[{i}]"
            fields = read.items(item, at)
            if len(fields) != 4:
                raise fail(at, "expected [group, channel, waiting, answered]")
            key = (read.name(fields[0], f"{at}[0]"), read.name(fields[1], f"{at}[1]"))
            if key in metrics._carried:
                raise fail(at, f"{key} appears twice")
            metrics._carried[key] = [count(read, fields[j], f"{at}[{j}]") for j in (2, 3)]
        return metrics
