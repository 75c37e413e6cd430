"""The Router: the public face of omniroute's routing engine.

It never sleeps, spawns threads or does I/O. The host tells it what happened (an
operator came online, a customer wrote, an operator finished) and gets back the list
of events that caused, which it also passes to ``on_event`` if one was given. Time
comes from the injected ``clock``.

Every mutating call validates first and changes state only once nothing can fail, so
a call that raises leaves the Router exactly as it was.

The Router is a facade: each call delegates to the core (:mod:`omniroute.core`, what
every decision runs) or to the module of its policy (offers, holds, transfers,
presence, the roster), wired in by :mod:`omniroute.plan`.
``docs/explanation/architecture.md`` is the map.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self

from omniroute import holding, journal, offers, plan, presence, roster, transfers
from omniroute import snapshot as snapshots
from omniroute.codec import RouterConfig
from omniroute.conversation import Conversation
from omniroute.core import Core
from omniroute.errors import StatisticsOff, WrongType
from omniroute.estimate import WaitEstimates
from omniroute.events import Event
from omniroute.history import HistoryLimits, Visit
from omniroute.lifecycle import ConversationState
from omniroute.metrics import Metrics
from omniroute.model import Group, Operator, Status
from omniroute.policy import PositionUpdates
from omniroute.rules import Rules
from omniroute.stats import MetricsSettings
from omniroute.views import ConversationInfo, OperatorInfo, conversation_info, operator_info

if TYPE_CHECKING:
    from omniroute.strategies import StrategyFactories

__all__ = ["Router"]

QUEUED = ConversationState.QUEUED


class Router:
    """Routes conversations to operators and queues the rest, fairly.

    ``clock``: a zero-argument callable returning seconds (default
    :func:`time.monotonic`); simulations and tests pass a virtual clock.
    ``on_event``: called with each event, in order, after the call that caused it
    has finished changing state. ``logger``: a structlog logger; by default the
    host's structlog configuration if it has one, else silence.

    Costs below use ``n`` for operators, ``q`` for waiting conversations, ``g`` for
    the groups of an operator and ``l`` for the waiting lines of those groups; the
    times are medians measured by ``benchmarks/bench_routing.py`` on a 2-core
    machine, for a Router without statistics (they add about a quarter).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[Event], Any] | None = None,
        logger: Any = None,
    ) -> None:
        self._core = core = Core(clock, on_event, logger)
        plan.wire(core)

    def add_group(self, group: Group) -> list[Event]:
        """Add a group, its strategy and its policies. Cost ``O(1)``.

        The strategy instance is this group's alone: it indexes this Router's
        operators, so it may not serve another group or another Router. A group's
        overflow target must exist first, so overflow chains cannot form cycles.
        """
        return roster.add_group(self._core, group)

    def remove_group(self, group_id: str) -> list[Event]:
        """Remove a group nobody serves, no live conversation belongs to and no
        other group overflows to. ``O(1)``."""
        return roster.remove_group(self._core, group_id)

    def set_rules(self, rules: Rules | None) -> list[Event]:
        """Route conversations submitted without a group by ``rules`` (None: stop).

        Raises :class:`UnknownGroup` now, not at routing time, if a rule or the
        default names a group the Router does not know; groups the rules route to
        cannot be removed while the rules are set. Cost ``O(rules)``.
        """
        return roster.set_rules(self._core, rules)

    def configure(
        self,
        *,
        history: HistoryLimits | None = plan.KEEP,
        position_updates: PositionUpdates | None = plan.KEEP,
        wait_estimates: WaitEstimates = plan.KEEP,
        metrics: MetricsSettings | None = plan.KEEP,
    ) -> list[Event]:
        """Set the Router-wide settings; those not given stay as they are.

        ``history``: how much customer history to keep (None: none). A new limit
        starts an empty history. ``position_updates``: when waiting conversations
        hear that they moved up (``PositionChanged``; None, the default: never).
        ``wait_estimates``: how waits are estimated; a change starts afresh.
        ``metrics``: how the statistics count (:attr:`metrics`): counts so far are
        kept, new thresholds apply to later contacts, and a new interval length folds
        the intervals kept so far into the totals.
        ``Configured`` carries the settings in full. Cost ``O(q)`` when
        ``position_updates`` changes, else ``O(1)`` plus the history forgotten.
        """
        return plan.configure(
            self._core,
            history=history,
            position_updates=position_updates,
            wait_estimates=wait_estimates,
            metrics=metrics,
        )

    @property
    def config(self) -> RouterConfig:
        """The Router-wide settings (:meth:`configure`)."""
        return self._core.config

    @property
    def rules(self) -> Rules | None:
        """The group selection rules, if set."""
        return self._core.rules

    def group(self, group_id: str) -> Group:
        """The group with this id."""
        return self._core.desk(group_id).group

    def groups(self) -> list[Group]:
        """Every group, in the order they were added."""
        return [desk.group for desk in self._core.desks.values()]

    def add_operator(self, operator: Operator) -> list[Event]:
        """Add an operator, OFFLINE until :meth:`set_status`. Cost ``O(g)``."""
        return roster.add_operator(self._core, operator)

    def update_operator(self, operator: Operator) -> list[Event]:
        """Replace an operator's groups, skills and capacity; status and work stay.

        Raises :class:`CapacityError` if what they hold now would break the new
        capacity. If the change gives them room, they receive waiting work at once.
        Cost ``O(g log n + l)``.
        """
        return roster.update_operator(self._core, operator)

    def remove_operator(self, operator_id: str) -> list[Event]:
        """Remove an operator; their offers are rescinded and what they held is
        requeued at once, whatever the groups' ``keep_on_leave``.

        Cost ``O(k log q)`` for the ``k`` conversations they held, plus routing those.
        """
        return roster.remove_operator(self._core, operator_id)

    def set_status(self, operator_id: str, status: Status | str) -> list[Event]:
        """Change an operator's presence; setting the current status does nothing.

        ONLINE: they receive waiting work at once, up to their limits.
        AWAY: they keep their work and offers, and receive nothing new.
        OFFLINE: their offers are rescinded; their work goes back to its queues
        (``Requeued``), keeping its original waiting start, unless its group keeps
        it for them (``Group.keep_on_leave``).
        Cost ``O(g log n + l)`` per conversation received or requeued: about 3.5 µs
        at 10 000 operators for AWAY or back (4 µs with statistics; ``bench_calls.py``).
        """
        return presence.set_status(self._core, operator_id, status)

    def operator(self, operator_id: str) -> OperatorInfo:
        """A read-only copy of an operator's state. Cost ``O(k)`` for ``k`` held."""
        return operator_info(self._core.operator(operator_id))

    def operators(self) -> Iterator[OperatorInfo]:
        """Read-only copies of every operator, in the order they were added."""
        core = self._core
        for operator_id in list(core.operators):
            yield operator_info(core.operator(operator_id))

    def submit(
        self, conversation: Conversation, *, prefer_operator: str | None = None
    ) -> list[Event]:
        """Route a new conversation: ``Submitted``, then ``Assigned`` (or ``Offered``,
        if its group makes offers) when a free operator may take it now, else
        ``Queued`` with its place in line — and ``Escalated`` if its group's queue
        is too long or nobody of the group is ONLINE (``Group.overflow``).

        A conversation without a group is routed by the rules (:meth:`set_rules`).
        ``prefer_operator`` (or ``Conversation.prefer_operator``), or its group's
        :class:`~omniroute.Affinity` for a returning customer, names the operator it
        should go to: at once if they are free, else it waits for them alone for a
        while (``Queued.for_operator``), then falls back to anyone
        (``AffinityFallback``). Cost ``O(log n + log q)`` when the strategy's first
        candidate fits: at 10 000 operators about 10 µs when it is assigned, 5.5 µs
        when it queues (14 and 6 µs with statistics; ``benchmarks/bench_calls.py``).
        """
        return self._core.submit(conversation, prefer_operator)

    def finish(self, conversation_id: str) -> list[Event]:
        """The operator is done with a conversation (assigned, or held for the
        customer's reply); their slot is offered at once to the best waiting
        conversation they may take.

        Cost ``O(g log n + l + log q)``: at 10 000 operators about 6 µs, 5 µs when
        the slot takes the next in line (8 µs with statistics; ``bench_calls.py``).
        """
        return self._core.finish(conversation_id)

    def abandon(self, conversation_id: str) -> list[Event]:
        """The customer left while waiting (or while being offered: the offers are
        rescinded). Cost ``O(log q)``."""
        return self._core.abandon(conversation_id)

    def accept(self, conversation_id: str, operator_id: str) -> list[Event]:
        """The operator accepts the conversation offered to them: ``OfferAccepted``,
        ``Assigned``, and ``OfferRescinded`` for the other operators it was offered
        to at once (``Offers.ring``), whose slots are then filled. Cost
        ``O(r (g log n + l))`` for ``r`` offers.
        """
        return offers.accept(self._core, conversation_id, operator_id)

    def reject(self, conversation_id: str, operator_id: str) -> list[Event]:
        """The operator rejects the conversation offered to them. It is not offered
        to them again while another operator who may take it is free; if nobody
        else is, it may come back to them (set them AWAY to stop that).
        Cost ``O(g log n + l)`` plus routing the conversation.
        """
        return offers.reject(self._core, conversation_id, operator_id)

    def handoff(
        self,
        conversation_id: str,
        to_group: str,
        *,
        reason: str = "",
        requires: Mapping[str, int] | None = None,
        priority: int | None = None,
    ) -> list[Event]:
        """A bot hands the conversation it holds to people in ``to_group``.

        The conversation keeps its id, customer and metadata (``requires`` and
        ``priority`` replace its own if given; new ``requires`` drop its relaxation
        steps); its waiting for people starts now, and its relaxation steps count
        from now. The bot may not serve ``to_group`` itself. ``HandedOff``, then ``Assigned``
        (or ``Offered``) or ``Queued``. Cost: one :meth:`submit` plus one slot freed.
        """
        return transfers.handoff(
            self._core,
            conversation_id,
            to_group,
            reason=reason,
            requires=requires,
            priority=priority,
        )

    def transfer(
        self,
        conversation_id: str,
        *,
        to_operator: str | None = None,
        to_group: str | None = None,
        wait: float = math.inf,
        reason: str = "",
        priority: int | None = None,
    ) -> list[Event]:
        """The operator holding an assigned conversation transfers it: to operator
        ``to_operator``, to the queue of group ``to_group``, or to that operator in
        that group. It keeps its id, customer, metadata, history and required skills
        (``priority`` replaces its own if given); its waiting starts now.

        To an operator: they must serve its group, have the skills and not be
        OFFLINE. They get it at once if they have room, else it waits for them
        alone for up to ``wait`` seconds (default: as long as they stay ONLINE or
        AWAY), then anyone eligible may take it (``AffinityFallback``). To a group:
        its previous operator is passed over while anyone else who may take it is
        free. ``Transferred``, then ``Assigned`` (or ``Offered``) or ``Queued``; the
        previous operator's slot is filled. Cost: one :meth:`submit` plus one slot
        freed.
        """
        return transfers.transfer(
            self._core,
            conversation_id,
            to_operator=to_operator,
            to_group=to_group,
            wait=wait,
            reason=reason,
            priority=priority,
        )

    def hold(self, conversation_id: str) -> list[Event]:
        """The operator waits on the customer's reply to an assigned conversation.

        It keeps the operator's slot — counted against their limits — until
        :meth:`resume` or :meth:`finish`, unless its group releases held
        conversations of its channel after a grace time (``Group.release_held_after``:
        ``Released``, on :meth:`tick`; at once if 0). ``Held``. Cost ``O(log t)``.
        """
        return holding.hold(self._core, conversation_id)

    def resume(self, conversation_id: str) -> list[Event]:
        """The customer of a held conversation wrote again: ``Resumed``.

        If its operator kept the slot, it is theirs again at once. If the slot was
        released, it goes back to them if they are ONLINE with room (``Assigned``),
        else it waits for them alone — its waiting starting now — for its group's
        :class:`~omniroute.Affinity` wait (60 s without one), then anyone eligible
        may take it. Cost: one :meth:`submit` at most.
        """
        return holding.resume(self._core, conversation_id)

    def responded(self, conversation_id: str) -> list[Event]:
        """The operator who has the conversation replied to the customer.

        The first reply of a contact (since it was submitted, handed off or
        transferred) is its first response: ``Responded``, and the statistics count
        the time from the start of its wait. A host may call this on every reply:
        later ones change nothing and return no events. Raises
        :class:`~omniroute.InvalidTransition` while no operator has it (waiting or
        offered). Cost ``O(1)``.
        """
        return holding.respond(self._core, conversation_id)

    def tick(self) -> list[Event]:
        """Fire the timers that are due: relaxation steps, overflows after a wait,
        offers that expire, and conversations kept for an operator who left.

        Returns ``[]`` if none was due, else ``Ticked`` and what the timers did.
        Relaxation steps also apply in every call that may route work (a submit, a
        freed slot, an operator coming ONLINE, work waiting again), so a freed
        operator sees them at once. Call it regularly — every second or so. Cost ``O(log t)`` per
        timer, plus what the timers cause (``bench_calls.py``: about 0.45 µs at 10 000
        operators when nothing is due).
        """
        return plan.tick(self._core)

    def next_due(self) -> float | None:
        """When the earliest timer falls due (None: no timer is set): a host, or a
        simulator, that calls :meth:`tick` then — and after any later call that may
        set an earlier timer — misses nothing. It may be early, never late: a
        timer made moot (an offer answered, a conversation gone) still counts until
        it falls due. Cost ``O(1)``: about 0.15 µs (``bench_calls.py``).
        """
        return plan.next_due(self._core)

    def conversation(self, conversation_id: str) -> ConversationInfo:
        """A read-only copy of a live conversation's state. Cost ``O(log q)``: about
        3 µs for one waiting behind 100 000 (``bench_calls.py``)."""
        return conversation_info(self._core.ticket(conversation_id))

    def conversations(self) -> Iterator[ConversationInfo]:
        """Read-only copies of every live conversation, in submission order."""
        for ticket in list(self._core.tickets.values()):
            yield conversation_info(ticket)

    def waiting(self, group: str | None = None) -> Iterator[ConversationInfo]:
        """Waiting conversations best first (priority, then waiting start), across
        the lines of one group or of all groups. Cost ``O(q log l)`` to exhaust.
        """
        core = self._core
        group_ids = [core.desk(group).id] if group is not None else list(core.desks)
        return self._waiting_in(group_ids)

    def _waiting_in(self, group_ids: list[str]) -> Iterator[ConversationInfo]:
        # A generator, so the lines are read when iteration starts, not when asked.
        room = self._core.room
        lines = [line.keys() for g in group_ids for line in room.all_lines_of(g) if line]
        for key in heapq.merge(*lines):
            yield conversation_info(key[-1])

    def position(self, conversation_id: str) -> int | None:
        """1-based place of a waiting conversation in its line, or None if it is not
        waiting. A line holds the conversations of one group and channel with the same
        required skills: exactly those competing for the same operators.
        Cost ``O(log q)``: about 1 µs behind 100 000 (``bench_calls.py``).
        """
        ticket = self._core.ticket(conversation_id)
        return ticket.line.position(ticket.key) if ticket.state is QUEUED else None

    def estimated_wait(self, conversation_id: str) -> float | None:
        """Seconds until a waiting conversation is likely taken, or None if it is
        not waiting or nobody ONLINE may take it.

        From the rate its line was served at lately (a moving window of
        departures), else from queueing theory: its position times the group's
        mean handle time, over the operators or busy slots serving the group.
        See :mod:`omniroute.estimate` and ``docs/`` for the details and limits.
        Cost ``O(log q)``.
        """
        core = self._core
        ticket = core.ticket(conversation_id)
        if ticket.state is not QUEUED:
            return None
        return core.estimate(ticket, ticket.line.position(ticket.key), core.now())

    def history(self, customer_id: str) -> list[Visit]:
        """The customer's conversations on every channel, newest first — live ones
        included — as far as :class:`~omniroute.HistoryLimits` keep them.
        Cost ``O(k)`` for ``k`` kept."""
        if not isinstance(customer_id, str):
            raise WrongType(f"history() takes a customer id string, got {customer_id!r}")
        core = self._core
        if core.history is None:
            return []
        core.history.expire(core.now())
        return core.history.of(customer_id)

    @property
    def metrics(self) -> Metrics:
        """The statistics, counted from this Router's events as they happen: read them
        with :meth:`Metrics.stats`, :meth:`Metrics.intervals`,
        :meth:`Metrics.operator_stats` and :meth:`Metrics.operator_intervals`.
        Live figures are as of the Router's clock. Feeding it is the Router's job."""
        books = self._core.books
        if books is None:
            raise StatisticsOff(
                "this Router keeps no statistics (configure(metrics=None)); "
                "configure(metrics=MetricsSettings()) starts them"
            )
        assert isinstance(books, Metrics)
        return books

    def queue_length(self, group: str | None = None, channel: str | None = None) -> int:
        """Conversations waiting, in one group and/or on one channel, or in all."""
        core = self._core
        if group is not None:
            core.desk(group)
        return core.room.count(group, channel)

    def queue_lengths(self) -> dict[tuple[str, str], int]:
        """``(group, channel) → waiting`` for every pair with someone waiting."""
        return self._core.room.counts()

    @property
    def now(self) -> float:
        """The last time the Router read from its clock."""
        return self._core.last_time

    def snapshot(self) -> dict[str, Any]:
        """The Router's whole state as plain data that ``json.dumps`` accepts (as
        long as conversations' ``metadata`` values are JSON-friendly).

        It carries a schema version; :meth:`restore` rebuilds from it a Router that
        makes exactly the decisions this one would. Cost ``O(n + q)``.
        """
        return snapshots.take(self._core)

    @classmethod
    def restore(
        cls,
        data: Mapping[str, Any] | str | bytes,
        *,
        clock: Callable[[], float] = time.monotonic,
        strategies: StrategyFactories | None = None,
        on_event: Callable[[Event], Any] | None = None,
        logger: Any = None,
    ) -> Self:
        """A Router rebuilt from :meth:`snapshot` data, or its JSON text.

        ``strategies`` maps the ``name`` of each strategy that is not built in to a
        callable that makes one. The clock must continue the snapshot's: if it reads
        earlier than the snapshot's ``now``, time stands still until it catches up.
        Raises :class:`SnapshotError`, naming the field, if the data is not JSON,
        has an unknown or newer version, misses a field, has a wrong type or
        contradicts itself; then no Router is built. Cost ``O(n l + q log q)``.
        """
        router = cls(clock=clock, on_event=on_event, logger=logger)
        snapshots.restore(data, router._core, snapshots.factories(strategies))
        return router

    @classmethod
    def replay(
        cls,
        data: Mapping[str, Any] | str | bytes | None,
        events: Iterable[Event | Mapping[str, Any]],
        *,
        clock: Callable[[], float] = time.monotonic,
        strategies: StrategyFactories | None = None,
        on_event: Callable[[Event], Any] | None = None,
        logger: Any = None,
    ) -> Self:
        """A Router rebuilt from a snapshot (or from nothing, if ``data`` is None)
        and the journal of events recorded since: each recorded call is run again
        at its recorded time, and must give exactly the recorded events.

        ``events`` are :class:`Event` objects or their :meth:`Event.as_dict` data, in
        ``seq`` order; those the snapshot already includes are skipped. If the
        journal ends partway through a call's events, the call is completed and
        ``on_event`` receives the events the journal lacks; it receives nothing else.
        The rebuilt Router reads ``clock`` once at the end.
        Raises :class:`SnapshotError` for a bad snapshot and :class:`JournalError`
        for a malformed, gapped or diverging journal; then no Router is built.
        """
        factories = snapshots.factories(strategies)
        scripted = journal.ScriptedClock()
        router = cls(clock=scripted, logger=logger)
        core = router._core
        if data is not None:
            snapshots.restore(data, core, factories)
        elif core.books is not None:
            # A journal does not show when the Router was made: count from its first event.
            core.books = Metrics(core.config.metrics, clock=core.reading, contacts=core.tickets)
        unheard = journal.replay(core, scripted, events, factories)
        core.clock = clock
        core.on_event = on_event
        # A journal does not show when the Router last read its clock; read it now.
        core.now()
        if on_event is not None:
            for event in unheard:  # counted already, when the replayed call made them
                on_event(event)
        return router
