"""The Router: the one object that owns and changes routing state.

It never sleeps, spawns threads or does I/O. The host tells it what happened (an
operator came online, a customer wrote, an operator finished) and gets back the list
of events that caused, which it also passes to ``on_event`` if one was given. Time
comes from the injected ``clock``.

Every mutating call validates first and changes state only once nothing can fail, so
a call that raises leaves the Router exactly as it was.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Self

from omniroute import journal
from omniroute import snapshot as snapshots
from omniroute._logging import library_logger
from omniroute.errors import (
    CapacityError,
    DuplicateConversation,
    DuplicateGroup,
    DuplicateOperator,
    GroupInUse,
    UnknownConversation,
    UnknownGroup,
    UnknownOperator,
    ValidationError,
)
from omniroute.events import (
    Abandoned,
    Assigned,
    ConversationEvent,
    Event,
    Finished,
    GroupAdded,
    GroupRemoved,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    Queued,
    Requeued,
    StatusChanged,
    Submitted,
)
from omniroute.lifecycle import ConversationState, require
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.queue import Line, WaitingRoom
from omniroute.skills import meets
from omniroute.state import OperatorState, Ticket
from omniroute.strategies.base import strategy_name
from omniroute.views import ConversationInfo, OperatorInfo

if TYPE_CHECKING:
    from omniroute.strategies import StrategyFactories

__all__ = ["Router"]


def _debug_enabled(logger: Any) -> bool:
    is_enabled_for = getattr(logger, "is_enabled_for", None)
    return bool(is_enabled_for(logging.DEBUG)) if is_enabled_for is not None else True


_order = attrgetter("order")

QUEUED = ConversationState.QUEUED
ASSIGNED = ConversationState.ASSIGNED
ONLINE = Status.ONLINE
OFFLINE = Status.OFFLINE


class Router:
    """Routes conversations to operators and queues the rest, fairly.

    ``clock``: a zero-argument callable returning seconds (default
    :func:`time.monotonic`); simulations and tests pass a virtual clock.
    ``on_event``: called with each event, in order, after the call that caused it
    has finished changing state. ``logger``: a structlog logger; by default the
    host's structlog configuration if it has one, else silence.

    Costs below use ``n`` for operators, ``q`` for waiting conversations, ``g`` for
    the groups of an operator and ``l`` for the waiting lines of those groups.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[Event], Any] | None = None,
        logger: Any = None,
    ) -> None:
        self._clock = clock
        self._on_event = on_event
        self._log = logger if logger is not None else library_logger()
        # Decisions are logged at debug; skip building those calls when nobody listens.
        self._debug = _debug_enabled(self._log)
        self._last_time = float(clock())
        self._event_seq = 0
        self._ticket_seq = 0
        self._joined = 0
        self._groups: dict[str, Group] = {}
        self._strategy_owner: dict[int, str] = {}  # id(strategy) → group id
        self._members: dict[str, set[str]] = {}
        self._live_in_group: dict[str, int] = {}
        self._operators: dict[str, OperatorState] = {}
        self._tickets: dict[str, Ticket] = {}
        self._room = WaitingRoom()

    # -- time and events ---------------------------------------------------------

    def _now(self) -> float:
        now = float(self._clock())
        if now < self._last_time:
            # A clock that steps back would make waits negative; hold time still.
            self._log.warning("clock_went_backwards", now=now, last=self._last_time)
            return self._last_time
        self._last_time = now
        return now

    def _seq(self) -> int:
        self._event_seq += 1
        return self._event_seq

    def _emit(self, events: list[Event]) -> list[Event]:
        if self._on_event is not None:
            for event in events:
                self._on_event(event)
        return events

    # -- lookups -----------------------------------------------------------------

    def _group(self, group_id: str) -> Group:
        group = self._groups.get(group_id)
        if group is None:
            raise UnknownGroup(f"unknown group {group_id!r}; known: {sorted(self._groups)}")
        return group

    def _operator(self, operator_id: str) -> OperatorState:
        op = self._operators.get(operator_id)
        if op is None:
            raise UnknownOperator(f"unknown operator {operator_id!r}")
        return op

    def _ticket(self, conversation_id: str) -> Ticket:
        ticket = self._tickets.get(conversation_id)
        if ticket is None:
            raise UnknownConversation(
                f"unknown conversation {conversation_id!r}: never submitted, or already "
                "finished or abandoned"
            )
        return ticket

    def _check_groups_exist(self, operator: Operator) -> None:
        missing = sorted(operator.groups - self._groups.keys())
        if missing:
            raise UnknownGroup(
                f"operator {operator.id!r} serves unknown group(s) {missing}; add them first"
            )

    # -- groups ------------------------------------------------------------------

    def add_group(self, group: Group) -> list[Event]:
        """Add a group and its strategy. Cost ``O(1)``.

        The strategy instance is this group's alone: it indexes this Router's
        operators, so it may not serve another group or another Router.
        """
        if not isinstance(group, Group):
            raise ValidationError(f"add_group() takes a Group, got {group!r}")
        if group.id in self._groups:
            raise DuplicateGroup(f"group {group.id!r} already exists")
        other = self._strategy_owner.get(id(group.strategy))
        if other is not None:
            raise ValidationError(
                f"group {group.id!r} reuses the strategy instance of group {other!r}; "
                "strategies keep per-group indexes, so give each group its own"
            )
        self._install_group(group)
        name = strategy_name(group.strategy)
        event = GroupAdded(seq=self._seq(), time=self._now(), group=group.id, strategy=name)
        return self._emit([event])

    def _install_group(self, group: Group) -> None:
        self._groups[group.id] = group
        self._strategy_owner[id(group.strategy)] = group.id
        self._members[group.id] = set()
        self._live_in_group[group.id] = 0

    def remove_group(self, group_id: str) -> list[Event]:
        """Remove a group nobody serves and no live conversation belongs to. ``O(1)``."""
        group = self._group(group_id)
        members = self._members[group_id]
        if members:
            raise GroupInUse(
                f"group {group_id!r} is still served by operator(s) {sorted(members)[:10]}; "
                "update or remove them first"
            )
        live = self._live_in_group[group_id]
        if live:
            raise GroupInUse(
                f"group {group_id!r} still has {live} live conversation(s); "
                "finish or abandon them first"
            )
        del self._groups[group_id], self._members[group_id], self._live_in_group[group_id]
        del self._strategy_owner[id(group.strategy)]
        self._room.drop_group(group_id)
        return self._emit([GroupRemoved(seq=self._seq(), time=self._now(), group=group_id)])

    def group(self, group_id: str) -> Group:
        """The group with this id."""
        return self._group(group_id)

    def groups(self) -> list[Group]:
        """Every group, in the order they were added."""
        return list(self._groups.values())

    # -- operators ---------------------------------------------------------------

    def add_operator(self, operator: Operator) -> list[Event]:
        """Add an operator, OFFLINE until :meth:`set_status`. Cost ``O(g)``."""
        if not isinstance(operator, Operator):
            raise ValidationError(f"add_operator() takes an Operator, got {operator!r}")
        if operator.id in self._operators:
            raise DuplicateOperator(f"operator {operator.id!r} already exists")
        self._check_groups_exist(operator)
        now = self._now()
        self._joined += 1
        self._install_operator(operator, self._joined, now)
        if self._debug:
            self._log.debug("operator_added", operator_id=operator.id)
        return self._emit([OperatorAdded(seq=self._seq(), time=now, operator=operator)])

    def update_operator(self, operator: Operator) -> list[Event]:
        """Replace an operator's groups, skills and capacity; status and work stay.

        Raises :class:`CapacityError` if what they hold now would break the new
        capacity. If the change gives them room, they receive waiting work at once.
        Cost ``O(g log n + l)``.
        """
        if not isinstance(operator, Operator):
            raise ValidationError(f"update_operator() takes an Operator, got {operator!r}")
        op = self._operator(operator.id)
        self._check_groups_exist(operator)
        problems = operator.capacity.violations(op.active_by_channel)
        if problems:
            raise CapacityError(
                f"operator {operator.id!r} cannot take the new capacity: it "
                + "; ".join(problems)
                + "; finish some conversations first"
            )
        now = self._now()
        if op.free:
            for strategy in op.strategies:
                strategy.discard(op.id)
            op.free = False
        for group_id in op.operator.groups:
            self._members[group_id].discard(op.id)
        op.replace(operator)
        self._set_definition(op, operator)
        events: list[Event] = [OperatorUpdated(seq=self._seq(), time=now, operator=operator)]
        self._fill(op, now, events)
        self._reindex(op)
        return self._emit(events)

    def _install_operator(self, operator: Operator, joined: int, now: float) -> OperatorState:
        op = OperatorState(operator, joined, now)
        self._set_definition(op, operator)
        self._operators[operator.id] = op
        return op

    def _set_definition(self, op: OperatorState, operator: Operator) -> None:
        for group_id in operator.groups:
            self._members[group_id].add(operator.id)
        # Sorted, so that the order strategies hear of changes is deterministic.
        op.strategies = [self._groups[g].strategy for g in sorted(operator.groups)]

    def remove_operator(self, operator_id: str) -> list[Event]:
        """Remove an operator; what they held is requeued as if they went OFFLINE.

        Cost ``O(k log q)`` for the ``k`` conversations they held, plus routing those.
        """
        op = self._operator(operator_id)
        now = self._now()
        events: list[Event] = [OperatorRemoved(seq=self._seq(), time=now, operator_id=operator_id)]
        requeued = self._requeue_all(op, now, events)
        op.status = OFFLINE
        self._reindex(op)
        for group_id in op.operator.groups:
            self._members[group_id].discard(operator_id)
        del self._operators[operator_id]
        self._route_requeued(requeued, now, events)
        if self._debug:
            self._log.debug("operator_removed", operator_id=operator_id)
        return self._emit(events)

    def set_status(self, operator_id: str, status: Status | str) -> list[Event]:
        """Change an operator's presence; setting the current status does nothing.

        ONLINE: they receive waiting work at once, up to their limits.
        AWAY: they keep their work and receive nothing new.
        OFFLINE: their work goes back to its queues (``Requeued``), keeping its
        original waiting start, and is offered to other free operators.
        Cost ``O(g log n + l)`` per conversation received or requeued.
        """
        op = self._operator(operator_id)
        try:
            status = Status(status)
        except ValueError:
            raise ValidationError(
                f"unknown status {status!r} for operator {operator_id!r}; "
                f"use one of {[s.value for s in Status]}"
            ) from None
        if status is op.status:
            return []
        now = self._now()
        previous = op.status
        op.status = status
        op.status_since = now
        events: list[Event] = [
            StatusChanged(
                seq=self._seq(),
                time=now,
                operator_id=operator_id,
                previous=previous,
                status=status,
            )
        ]
        if self._debug:
            self._log.debug("status_changed", operator_id=operator_id, status=status.value)
        requeued: list[Ticket] = []
        if status is ONLINE:
            op.came_online(now)
            self._fill(op, now, events)
        elif status is OFFLINE:
            requeued = self._requeue_all(op, now, events)
        self._reindex(op)
        self._route_requeued(requeued, now, events)
        return self._emit(events)

    def operator(self, operator_id: str) -> OperatorInfo:
        """A read-only copy of an operator's state. Cost ``O(k)`` for ``k`` held."""
        op = self._operator(operator_id)
        return OperatorInfo(
            operator=op.operator,
            status=op.status,
            status_since=op.status_since,
            conversations=tuple(op.conversations),
            active_by_channel={c: n for c, n in op.active_by_channel.items() if n},
            units_used=op.units_used,
            utilisation=op.utilisation,
            idle_since=op.idle_since,
        )

    def operators(self) -> Iterator[OperatorInfo]:
        """Read-only copies of every operator, in the order they were added."""
        for operator_id in list(self._operators):
            yield self.operator(operator_id)

    # -- conversations -----------------------------------------------------------

    def submit(self, conversation: Conversation) -> list[Event]:
        """Route a new conversation: ``Submitted``, then ``Assigned`` if a free
        operator may take it now, else ``Queued`` with its place in line.

        Cost ``O(log n + log q)`` when the strategy's first candidate fits.
        """
        if not isinstance(conversation, Conversation):
            raise ValidationError(f"submit() takes a Conversation, got {conversation!r}")
        if conversation.id in self._tickets:
            raise DuplicateConversation(f"conversation {conversation.id!r} is already live")
        group = self._group(conversation.group)
        room = self._room
        channel = conversation.channel
        line = room.find(group.id, channel, conversation.requirement)
        # A non-empty line proves nobody free may take this line: skip the search.
        # The search runs before anything changes, in case a host strategy raises.
        op = None if line is not None and line.size else self._pick(conversation)
        if line is None:
            line = room.line_for(group.id, channel, conversation.requirement)
        now = self._now()
        self._ticket_seq += 1
        ticket = Ticket(conversation, self._ticket_seq, now, line)
        self._tickets[ticket.id] = ticket
        self._live_in_group[group.id] += 1
        events: list[Event] = []
        self._record(events, Submitted, ticket, now, conversation=conversation)
        if op is not None:
            self._assign(ticket, op, now, events)
            self._reindex(op)
        else:
            position = self._room.push(ticket)
            self._record(events, Queued, ticket, now, position=position)
        return self._emit(events)

    def finish(self, conversation_id: str) -> list[Event]:
        """The operator is done with an assigned conversation; their slot is offered
        at once to the best waiting conversation they may take.

        Cost ``O(g log n + l + log q)``.
        """
        ticket = self._ticket(conversation_id)
        if ticket.state is not ASSIGNED:
            require(ticket.state, "finish", conversation_id)
        op = ticket.operator
        assert op is not None
        now = self._now()
        op.release(ticket, now)
        self._end(ticket)
        assert ticket.assigned_at is not None
        events: list[Event] = []
        handle_time = now - ticket.assigned_at
        self._record(events, Finished, ticket, now, operator_id=op.id, handle_time=handle_time)
        self._fill(op, now, events)
        self._reindex(op)
        return self._emit(events)

    def abandon(self, conversation_id: str) -> list[Event]:
        """The customer left while waiting. Cost ``O(log q)``."""
        ticket = self._ticket(conversation_id)
        if ticket.state is not QUEUED:
            require(ticket.state, "abandon", conversation_id)
        now = self._now()
        self._room.remove(ticket)
        self._end(ticket)
        events: list[Event] = []
        self._record(events, Abandoned, ticket, now, waited=now - ticket.enqueued_at)
        return self._emit(events)

    def tick(self) -> list[Event]:
        """Fire the timers that are due.

        The core Router has no timers yet: every decision it makes happens in the
        call that caused it, so today this only reads the clock and returns ``[]``.
        Call it regularly all the same; timed behaviour will fire here.
        """
        self._now()
        return self._emit([])

    def conversation(self, conversation_id: str) -> ConversationInfo:
        """A read-only copy of a live conversation's state. Cost ``O(log q)``."""
        ticket = self._ticket(conversation_id)
        return self._info(ticket)

    def _info(self, ticket: Ticket) -> ConversationInfo:
        return ConversationInfo(
            conversation=ticket.conversation,
            state=ticket.state,
            enqueued_at=ticket.enqueued_at,
            operator_id=ticket.operator.id if ticket.operator is not None else None,
            assigned_at=ticket.assigned_at,
            position=ticket.line.position(ticket) if ticket.state is QUEUED else None,
        )

    def conversations(self) -> Iterator[ConversationInfo]:
        """Read-only copies of every live conversation, in submission order."""
        for ticket in list(self._tickets.values()):
            yield self._info(ticket)

    def waiting(self, group: str | None = None) -> Iterator[ConversationInfo]:
        """Waiting conversations best first (priority, then waiting start), across
        the lines of one group or of all groups. Cost ``O(q log l)`` to exhaust.
        """
        group_ids = [self._group(group).id] if group is not None else list(self._groups)
        return self._waiting_in(group_ids)

    def _waiting_in(self, group_ids: list[str]) -> Iterator[ConversationInfo]:
        # A generator, so the lines are read when iteration starts, not when asked.
        lines = [line for g in group_ids for line in self._room.lines_of(g) if line]
        for ticket in heapq.merge(*lines, key=_order):
            yield self._info(ticket)

    def position(self, conversation_id: str) -> int | None:
        """1-based place of a waiting conversation in its line, or None if it is not
        waiting. A line holds the conversations of one group and channel with the same
        required skills: exactly those competing for the same operators.
        Cost ``O(log q)``.
        """
        ticket = self._ticket(conversation_id)
        return ticket.line.position(ticket) if ticket.state is QUEUED else None

    def queue_length(self, group: str | None = None, channel: str | None = None) -> int:
        """Conversations waiting, in one group and/or on one channel, or in all."""
        if group is not None:
            self._group(group)
        return self._room.count(group, channel)

    def queue_lengths(self) -> dict[tuple[str, str], int]:
        """``(group, channel) → waiting`` for every pair with someone waiting."""
        return self._room.counts()

    @property
    def now(self) -> float:
        """The last time the Router read from its clock."""
        return self._last_time

    # -- surviving restarts ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The Router's whole state as plain data that ``json.dumps`` accepts (as
        long as conversations' ``metadata`` values are JSON-friendly).

        It carries a schema version; :meth:`restore` rebuilds from it a Router that
        makes exactly the decisions this one would. Cost ``O(n + q)``.
        """
        return snapshots.take(self)

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
        snapshots.restore(data, router, snapshots.factories(strategies))
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
        if data is not None:
            snapshots.restore(data, router, factories)
        unheard = journal.replay(router, scripted, events, factories)
        router._clock = clock
        router._on_event = on_event
        # A journal does not show when the Router last read its clock; read it now.
        router._now()
        router._emit(unheard)
        return router

    # -- the routing core ----------------------------------------------------------

    def _pick(self, conversation: Conversation) -> OperatorState | None:
        """The first candidate of the group's strategy that may take ``conversation``."""
        group = conversation.group
        channel = conversation.channel
        requirement = conversation.requirement
        operators = self._operators
        candidates = iter(self._groups[group].strategy.candidates(conversation))
        try:
            for operator_id in candidates:
                op = operators.get(operator_id)
                # The strategy only proposes; limits and requirements are enforced here.
                if (
                    op is not None
                    and op.free
                    and group in op.operator.groups
                    and op.fits(channel)
                    and (not requirement or meets(op.operator.skills, requirement))
                ):
                    return op
            return None
        finally:
            # Let the strategy restore its index before anything changes.
            close = getattr(candidates, "close", None)
            if close is not None:
                close()

    def _assign(self, ticket: Ticket, op: OperatorState, now: float, events: list[Event]) -> None:
        ticket.state = ASSIGNED
        ticket.operator = op
        ticket.assigned_at = now
        op.take(ticket)
        self._groups[ticket.group].strategy.assigned(op, ticket.conversation)
        waited = now - ticket.enqueued_at
        self._record(events, Assigned, ticket, now, operator_id=op.id, waited=waited)

    def _record(
        self,
        events: list[Event],
        kind: type[ConversationEvent],
        ticket: Ticket,
        now: float,
        **fields: Any,
    ) -> None:
        """Append a conversation event (and log it at debug, bound with its ids)."""
        events.append(
            kind(
                seq=self._seq(),
                time=now,
                conversation_id=ticket.id,
                group=ticket.group,
                channel=ticket.channel,
                **fields,
            )
        )
        if self._debug:
            self._log.debug(kind.__name__.lower(), conversation_id=ticket.id, **fields)

    def _fill(self, op: OperatorState, now: float, events: list[Event]) -> None:
        """Give ``op`` the best waiting conversations it may take, while it has room.

        Across its lines, the best head wins: higher priority, then longest waiting.
        """
        lines = self._lines_for(op)
        room = self._room
        while op.status is ONLINE and op.has_room:  # op.can_receive(), inlined
            best: Line | None = None
            best_key = None
            for line in lines:
                if line.size and op.fits(line.channel):
                    key = line.head().key
                    if best_key is None or key < best_key:
                        best, best_key = line, key
            if best is None:
                return
            self._assign(room.pop_head(best), op, now, events)

    def _lines_for(self, op: OperatorState) -> list[Line]:
        """The lines ``op`` may serve by group and skills, cached until lines change."""
        if op.lines_version != self._room.version:
            op.lines = [
                line
                for group_id in sorted(op.operator.groups)
                for line in self._room.lines_of(group_id)
                if meets(op.operator.skills, line.requirement)
            ]
            op.lines_version = self._room.version
        return op.lines

    def _reindex(self, op: OperatorState) -> None:
        """Tell the operator's strategies about its new load or status."""
        free = op.status is ONLINE and op.has_room  # op.can_receive(), inlined
        if free:
            if op.free:
                for strategy in op.strategies:
                    strategy.update(op)
            else:
                for strategy in op.strategies:
                    strategy.add(op)
        elif op.free:
            for strategy in op.strategies:
                strategy.discard(op.id)
        op.free = free

    def _end(self, ticket: Ticket) -> None:
        ticket.state = ConversationState.ENDED
        ticket.key = ticket.order  # type: ignore[assignment]  # break the cycle for refcounting
        del self._tickets[ticket.id]
        self._live_in_group[ticket.group] -= 1

    def _requeue_all(self, op: OperatorState, now: float, events: list[Event]) -> list[Ticket]:
        """Put everything ``op`` holds back in line with its original waiting start."""
        tickets = list(op.conversations.values())
        for ticket in tickets:
            require(ticket.state, "requeue", ticket.id)
            op.release(ticket, now)
            ticket.state = QUEUED
            ticket.operator = None
            ticket.assigned_at = None
            self._room.push(ticket)
        # Positions are read once all are back, so none is stale.
        for ticket in tickets:
            position = ticket.line.position(ticket)
            waited = now - ticket.enqueued_at
            self._record(
                events, Requeued, ticket, now, operator_id=op.id, position=position, waited=waited
            )
        return tickets

    def _route_requeued(self, tickets: list[Ticket], now: float, events: list[Event]) -> None:
        """Offer requeued conversations to other free operators, best first."""
        for ticket in sorted(tickets, key=_order):
            line = ticket.line
            # Only a line's head can go; behind an older head nobody is free anyway.
            if ticket.state is not QUEUED or line.head() is not ticket:
                continue
            op = self._pick(ticket.conversation)
            if op is not None:
                self._room.pop_head(line)
                self._assign(ticket, op, now, events)
                self._reindex(op)
