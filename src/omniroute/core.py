"""The core: what every routing call runs, and nothing that only a policy needs.

A conversation arrives (:meth:`Core.submit`), is given to free operators picked by
its group's strategy (:meth:`Core.pick`, :meth:`Core.give`) or waits in its line;
a freed slot takes the best head of the lines its operator may serve
(:meth:`Core.fill`); every change of an operator's load is told to its strategies
(:meth:`Core.reindex`). Each call returns its events (:meth:`Core.emit`).

Policies (offers, overflow, relaxation, continuity, position telling, holds and
transfers) live in their own modules and are never imported here. What a group or
the Router has configured decides, when it is configured, which of their hooks the
core calls (:mod:`omniroute.plan`): a :class:`Desk` holds a group's, and the
``Core`` attributes ending in ``_hook`` the Router-wide ones. A hook that is not
configured is ``None`` (or a desk's default) and costs one attribute test.

Costs use ``n`` for operators, ``q`` for waiting conversations, ``g`` for an
operator's groups and ``l`` for the lines of those groups.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from omniroute._logging import library_logger
from omniroute.clock import checked, held
from omniroute.conversation import Conversation
from omniroute.errors import (
    DuplicateConversation,
    NoRoute,
    UnknownConversation,
    UnknownGroup,
    UnknownOperator,
    WrongType,
    unhashable,
)
from omniroute.estimate import WaitEstimator
from omniroute.events import (
    Abandoned,
    Assigned,
    ConversationEvent,
    Event,
    Finished,
    OfferRescinded,
    Queued,
    Submitted,
    build,
)
from omniroute.lifecycle import ConversationState
from omniroute.model import Group, Status
from omniroute.queue import Line, WaitingRoom
from omniroute.skills import meets
from omniroute.state import NO_OFFERS, NOBODY, OperatorState, Ticket
from omniroute.timers import Timers

if TYPE_CHECKING:
    from omniroute.codec import RouterConfig
    from omniroute.history import History
    from omniroute.policy import Affinity, Offers, Overflow, PositionUpdates
    from omniroute.rules import Rules
    from omniroute.strategies.base import Strategy

__all__ = ["Books", "Core", "Desk", "Pick"]

QUEUED = ConversationState.QUEUED
OFFERED = ConversationState.OFFERED
ASSIGNED = ConversationState.ASSIGNED
HELD = ConversationState.HELD
RELEASED = ConversationState.RELEASED
ONLINE = Status.ONLINE
OFFLINE = Status.OFFLINE

# What an operator a conversation should go to can do for it (omniroute.continuity).
NOW, LATER, NEVER = range(3)

Pick = tuple[OperatorState, str]
"""A free operator who may take a conversation, and the group through which."""


class Books(Protocol):
    """What the core tells the statistics (:class:`omniroute.metrics.Metrics`):
    each event as it is made, with the ticket it is about (None: an operator's)."""

    def count(self, contact: Any, event: Event) -> None: ...


def _give_first(
    core: Core, ticket: Ticket, picks: list[Pick], now: float, events: list[Event]
) -> None:
    """How a group without offers hands work over: to the first pick."""
    op, via = picks[0]
    core.assign(ticket, op, via, now, events)
    core.reindex(op)


GiveHook = Callable[["Core", Ticket, list[Pick], float, list[Event]], None]
ArrivalHook = Callable[["Core", Ticket, float, list[Event], bool], None]


class Desk:
    """A group as the core runs it: its definition, its members and counts, and the
    hooks of its policies, chosen when it was added.

    ``give``: how a decision hands work over (to the first pick; or offers it,
    :mod:`omniroute.offers`). ``want``: how many operators a decision looks for
    (an offer's ring). With an overflow (:mod:`omniroute.overflow`): ``schedule``
    sets the timer of a ticket that (again) waits in it, ``arrival`` acts when work
    starts waiting in it (``arriving``) or waits again, ``deserted`` when its last
    ONLINE operator leaves. ``assigned``: the strategy's ``assigned``, or None when
    the strategy does not need it. ``first``: the strategy's best candidate at
    once, when it has that fast path.
    """

    __slots__ = (
        "affinity",
        "arrival",
        "assigned",
        "deserted",
        "first",
        "give",
        "group",
        "id",
        "keep_on_leave",
        "live",
        "members",
        "offers",
        "online",
        "overflow",
        "overflow_from",
        "release_held_after",
        "released",
        "schedule",
        "strategy",
        "want",
    )

    def __init__(self, group: Group) -> None:
        self.id = group.id
        self.group = group
        self.strategy: Strategy = group.strategy
        self.offers: Offers | None = group.offers
        self.overflow: Overflow | None = group.overflow
        self.affinity: Affinity | None = group.affinity
        self.keep_on_leave = group.keep_on_leave
        self.release_held_after = group.release_held_after
        self.members: set[str] = set()
        self.online = 0  # its ONLINE operators
        self.live = 0  # live conversations that belong to it
        self.released = 0  # its held conversations without a slot
        self.overflow_from: set[str] = set()  # groups overflowing to it
        self.give: GiveHook = _give_first
        self.want = 1
        self.schedule: Callable[[Core, Ticket], None] | None = None
        self.arrival: ArrivalHook | None = None
        self.deserted: Callable[[Core, Desk, float, list[Event]], None] | None = None
        self.assigned: Callable[[OperatorState, Conversation], None] | None = (
            group.strategy.assigned
        )
        self.first: Callable[[Conversation], str | None] | None = None


def _debug_enabled(logger: Any) -> bool:
    is_enabled_for = getattr(logger, "is_enabled_for", None)
    return bool(is_enabled_for(logging.DEBUG)) if is_enabled_for is not None else True


class Core:
    """The Router's state and the routing every call runs. Private: the public
    :class:`~omniroute.Router` is its facade, and the layers read it through the
    seam (:mod:`omniroute.seam`)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[Event], Any] | None = None,
        logger: Any = None,
    ) -> None:
        self.clock = clock
        self.on_event = on_event
        self.log = logger if logger is not None else library_logger()
        # Decisions are logged at debug; skip building those calls when nobody listens.
        self.debug = _debug_enabled(self.log)
        self.last_time = checked(clock())
        self.event_seq = 0
        self.ticket_seq = 0
        self.joined = 0
        self.desks: dict[str, Desk] = {}
        self.strategy_owner: dict[int, str] = {}  # id(strategy) → group id
        self.operators: dict[str, OperatorState] = {}
        self.tickets: dict[str, Ticket] = {}
        self.room: WaitingRoom[Ticket] = WaitingRoom()
        self.timers = Timers()
        self.watch_count = 0  # stamps of watched positions (omniroute.positions)
        self.rules: Rules | None = None
        self.history: History | None = None
        self.estimator: WaitEstimator
        self.updates: PositionUpdates | None = None
        self.books: Books | None = None
        self.config: RouterConfig  # set by omniroute.plan.wire with the hooks below
        # Router-wide hooks (omniroute.plan). Each is called only when its policy has
        # work: catch_up when a relaxation step is due, prefer for a conversation that
        # names an operator or a returning customer of a group with affinity, watch
        # while positions are told, tell when lines moved.
        self.catch_up_hook: Callable[[Core, float, list[Event]], None]
        self.prefer_hook: Callable[
            [Core, Conversation, Desk, float],
            tuple[int, OperatorState | None, str | None, str | None, float],
        ]
        self.keep_hook: Callable[
            [Core, Ticket, int, OperatorState | None, str | None, float, float, list[Event]], None
        ]
        self.reserve_hook: Callable[[Core, Ticket, OperatorState], None]
        self.watch_hook: Callable[[Core, Ticket, int | None], None] | None = None
        self.tell_hook: Callable[[Core, float, list[Event]], None]
        self.relax_hook: Callable[[Core, Ticket], None]

    # -- time and events ---------------------------------------------------------

    def now(self) -> float:
        """The time this call runs at, read before it changes anything
        (:mod:`omniroute.clock`: a bad reading raises, one that went back holds)."""
        now = self.clock()
        # NaN and infinities fail ``now - now == 0.0``; other types go the slow way.
        if now.__class__ is not float or now - now != 0.0 or now < self.last_time:
            now = held(now, self.last_time, self.log)
        self.last_time = now
        return now

    def seq(self) -> int:
        self.event_seq += 1
        return self.event_seq

    def reading(self) -> float:
        """The clock for reads: never before the last event."""
        return max(checked(self.clock()), self.last_time)

    def emit(self, events: list[Event]) -> list[Event]:
        """The end of every mutating call: tell moved positions, then the host."""
        room = self.room
        if room.due or room.ready:
            self.tell_hook(self, self.last_time, events)
        on_event = self.on_event
        if on_event is not None:
            for event in events:
                on_event(event)
        return events

    def note(self, event: Event, contact: Any = None) -> Event:
        """Count an event built outside :meth:`record` (statistics, if kept)."""
        if self.books is not None:
            self.books.count(contact, event)
        return event

    def record(
        self,
        events: list[Event],
        kind: type[ConversationEvent],
        ticket: Ticket,
        now: float,
        **fields: Any,
    ) -> None:
        """Append a conversation event, count it, and log it at debug with its ids."""
        self.event_seq += 1
        event = kind(
            seq=self.event_seq,
            time=now,
            conversation_id=ticket.id,
            group=ticket.group,
            channel=ticket.channel,
            **fields,
        )
        events.append(event)
        if self.books is not None:
            self.books.count(ticket, event)
        if self.debug:
            self.log.debug(kind.__name__.lower(), conversation_id=ticket.id, **fields)

    # -- lookups -----------------------------------------------------------------

    def desk(self, group_id: str) -> Desk:
        try:
            desk = self.desks.get(group_id)
        except TypeError:
            raise unhashable("group", group_id) from None
        if desk is None:
            raise UnknownGroup(f"unknown group {group_id!r}; known: {sorted(self.desks)}")
        return desk

    def operator(self, operator_id: str) -> OperatorState:
        try:
            op = self.operators.get(operator_id)
        except TypeError:
            raise unhashable("operator", operator_id) from None
        if op is None:
            raise UnknownOperator(f"unknown operator {operator_id!r}")
        return op

    def ticket(self, conversation_id: str) -> Ticket:
        try:
            ticket = self.tickets.get(conversation_id)
        except TypeError:
            raise unhashable("conversation", conversation_id) from None
        if ticket is None:
            raise UnknownConversation(
                f"unknown conversation {conversation_id!r}: never submitted, or already "
                "finished or abandoned"
            )
        return ticket

    # -- a conversation arrives --------------------------------------------------

    def submit(self, conversation: Conversation, prefer_operator: str | None) -> list[Event]:
        """``Submitted``, then ``Assigned``/``Offered`` or ``Queued``. Cost ``O(log n +
        log q)`` when the strategy's first candidate fits (``bench_calls.py``: about
        10 µs at 10 000 operators, 5.5 µs when it queues)."""
        if not isinstance(conversation, Conversation):
            raise WrongType(f"submit() takes a Conversation, got {conversation!r}")
        if conversation.id in self.tickets:
            raise DuplicateConversation(f"conversation {conversation.id!r} is already live")
        if prefer_operator is not None:
            conversation = attrs.evolve(conversation, prefer_operator=prefer_operator)
        if not conversation.group:
            if self.rules is None:
                raise NoRoute(
                    f"conversation {conversation.id!r} has no group and no rules are set; "
                    "give it a group or call set_rules()"
                )
            conversation = self.rules.apply(conversation)
        desk = self.desks.get(conversation.group)
        if desk is None:
            desk = self.desk(conversation.group)
        room = self.room
        channel = conversation.channel
        requirement = conversation.requirement
        groups = (desk.id,)
        events: list[Event] = []
        relax = self.timers.relax
        now = self.now() if relax else None
        if now is not None and relax[0][0] <= now:
            # Older conversations whose requirements relaxed go first.
            self.announce(conversation, events, now)
            self.catch_up_hook(self, now, events)
        reach, target, via, wanted, wait = NEVER, None, None, None, 0.0
        if conversation.prefer_operator is not None or (
            desk.affinity is not None and conversation.customer_id
        ):
            now = self.now() if now is None else now
            reach, target, via, wanted, wait = self.prefer_hook(self, conversation, desk, now)
        if reach == NOW:
            assert target is not None
            assert via is not None
            picks = [(target, via)]
            line = room.line_for(groups, channel, requirement)
        elif reach == LATER:
            assert target is not None
            picks = []
            line = room.line_for(groups, channel, (), target.id)
        else:
            found = room.find(groups, channel, requirement)
            # A non-empty line proves nobody free may take this line: skip the search.
            # The search runs before anything changes, in case a host strategy raises.
            picks = (
                []
                if found is not None and found.size
                else self.pick(groups, conversation, NOBODY, desk.want)
            )
            line = found if found is not None else room.line_for(groups, channel, requirement)
        if now is None:
            now = self.now()
        self.ticket_seq += 1
        seq = self.ticket_seq
        ticket = Ticket(
            conversation, seq, now, line, desk.group.order(conversation.priority, now, seq)
        )
        self.tickets[ticket.id] = ticket
        desk.live += 1
        customer = conversation.customer_id
        if customer is not None and self.history is not None:
            ticket.record = self.history.start(customer, ticket.id, channel, desk.id, now)
        if not events:
            self.announce(conversation, events, now)
        if self.books is not None:
            self.books.count(ticket, events[0])  # Submitted: the first event, always
        if wanted is not None:
            self.keep_hook(self, ticket, reach, target, wanted, wait, now, events)
        self.arrive(ticket, picks, now, events)
        return self.emit(events)

    def announce(self, conversation: Conversation, events: list[Event], now: float) -> None:
        """``Submitted``: the first event of a submit (counted by the caller)."""
        self.event_seq += 1
        events.append(
            build(
                Submitted,
                (
                    self.event_seq,
                    now,
                    conversation.id,
                    conversation.group,
                    conversation.channel,
                    conversation,
                ),
            )
        )
        if self.debug:
            self.log.debug("submitted", conversation_id=conversation.id)

    def arrive(self, ticket: Ticket, picks: list[Pick], now: float, events: list[Event]) -> None:
        """A conversation arrives in its group (submitted, handed off, transferred,
        resumed): give it to ``picks``, else queue it in ``ticket.line`` and start
        its policies' timers."""
        if picks:
            self.desks[ticket.group].give(self, ticket, picks, now, events)
            return
        position = self.room.push(ticket.line, ticket.key)
        target = ticket.reserved_for
        self.record(
            events,
            Queued,
            ticket,
            now,
            position=position,
            for_operator=None if target is None else target.id,
            estimated_wait=self.estimate(ticket, position, now),
        )
        self.told(ticket, position, now)
        if target is not None and ticket.reserved_until != math.inf:
            self.reserve_hook(self, ticket, target)
        desk = self.desks[ticket.group]
        if desk.overflow is not None or ticket.submitted.relax:
            self.start_waiting(ticket)
            if desk.arrival is not None:
                desk.arrival(self, ticket, now, events, True)

    def start_waiting(self, ticket: Ticket, *, relax: bool = True) -> None:
        """The timers of a conversation that (again) waits: its next relaxation
        step and its group's overflow after a wait."""
        if relax and ticket.submitted.relax:
            self.relax_hook(self, ticket)
        schedule = self.desks[ticket.group].schedule
        if schedule is not None:
            schedule(self, ticket)

    def estimate(self, ticket: Ticket, position: int, now: float) -> float | None:
        """Seconds until a waiting ticket at ``position`` is taken (see estimate.py)."""
        line = ticket.line
        desk = self.desks[ticket.group]
        online = desk.online
        if not online:
            return None  # nobody ONLINE may take it: no estimate
        if line.operator is not None:
            servers = 1
        else:
            # With chat concurrency, the slots busy in the group serve the queue.
            busy = desk.live - self.room.count(desk.id) - desk.released
            servers = max(online, busy)
        return self.estimator.estimate(line.key, desk.id, ticket.channel, position, servers, now)

    def told(self, ticket: Ticket, position: int, now: float) -> None:
        """The host was told the ticket's place in line."""
        ticket.told = position
        ticket.told_at = now
        if self.watch_hook is not None:
            self.watch_hook(self, ticket, position)

    # -- the decision ----------------------------------------------------------------

    def pick(
        self,
        groups: tuple[str, ...],
        conversation: Conversation,
        declined: Collection[str],
        want: int,
    ) -> list[Pick]:
        """Up to ``want`` free operators who may take ``conversation``, each with the
        group through which they may, in the groups' strategies' order. Operators in
        ``declined`` are passed over, unless nobody else is free.
        Cost ``O(log n)`` when the first candidate fits."""
        picks = self.candidates(groups, conversation, declined, want)
        if not picks and declined:
            picks = self.candidates(groups, conversation, NOBODY, want)
        return picks

    def candidates(
        self,
        groups: tuple[str, ...],
        conversation: Conversation,
        skip: Collection[str],
        want: int,
    ) -> list[Pick]:
        channel = conversation.channel
        requirement = conversation.requirement
        operators = self.operators
        picks: list[Pick] = []
        for group in groups:
            desk = self.desks[group]
            first = desk.first
            if first is not None and want == 1:
                # The built-in strategies' fast path: their best candidate, if it fits;
                # else the walk below proposes it again, then the others.
                operator_id = first(conversation)
                if operator_id is not None and operator_id not in skip:
                    op = operators.get(operator_id)
                    if op is not None and op.may_take(group, channel, requirement):
                        return [(op, group)]
            candidates = iter(desk.strategy.candidates(conversation))
            try:
                for operator_id in candidates:
                    op = operators.get(operator_id)
                    # The strategy only proposes; limits and requirements are enforced here.
                    if (
                        op is not None
                        and operator_id not in skip
                        and op.may_take(group, channel, requirement)
                    ):
                        picks.append((op, group))
                        if len(picks) == want:
                            return picks
                        skip = {*skip, operator_id}  # not twice, through another group
            finally:
                # Let the strategy restore its index before anything changes.
                close = getattr(candidates, "close", None)
                if close is not None:
                    close()
        return picks

    def assign(
        self, ticket: Ticket, op: OperatorState, via: str, now: float, events: list[Event]
    ) -> None:
        """``op`` takes ``ticket`` (the caller tells the strategies ``op``'s load)."""
        ticket.move("assign")
        ticket.operator = op
        ticket.assigned_at = now
        ticket.reserved_for = None
        op.take(ticket)
        if ticket.record is not None:
            ticket.record.served_by(op.id, now)
        assigned = self.desks[via].assigned
        if assigned is not None:
            assigned(op, ticket.conversation)
        self.event_seq += 1
        event = build(
            Assigned,
            (
                self.event_seq,
                now,
                ticket.id,
                ticket.group,
                ticket.channel,
                op.id,
                now - ticket.enqueued_at,
            ),
        )
        events.append(event)
        if self.books is not None:
            self.books.count(ticket, event)
        if self.debug:
            self.log.debug("assigned", conversation_id=ticket.id, operator_id=op.id)

    # -- a slot frees up -------------------------------------------------------------

    def fill(self, op: OperatorState, now: float, events: list[Event]) -> None:
        """Give ``op`` the best waiting conversations it may take, while it has room.

        Across its lines, the best head wins: higher priority, then longest waiting.
        Due relaxation steps apply first, so a freed operator sees them.
        """
        relax = self.timers.relax
        if relax and relax[0][0] <= now:
            self.catch_up_hook(self, now, events)
        lines = self.lines_for(op)
        room = self.room
        personal = room.personal_of(op.id)
        if personal:
            lines = lines + personal
        while op.status is ONLINE and op.has_room:  # op.can_receive(), inlined
            best: Line[Ticket] | None = None
            best_key = None
            for line in lines:
                key = line.first
                # Compare keys first: cheaper than asking the capacity.
                if (
                    key is not None
                    and (best_key is None or key < best_key)
                    and op.fits(line.channel)
                ):
                    best, best_key = line, key
            if best is None:
                return
            ticket = room.pop_head(best)
            self.estimator.departed(best.key, now)
            via = best.group if len(best.groups) == 1 else op.serves(best.groups)
            assert via is not None
            desk = self.desks[ticket.group]
            if desk.offers is None:
                self.assign(ticket, op, via, now, events)
            else:
                desk.give(self, ticket, [(op, via)], now, events)

    def refill(self, op: OperatorState, now: float, events: list[Event]) -> None:
        """Give ``op`` waiting work while it has room, then tell its strategies its load."""
        self.fill(op, now, events)
        self.reindex(op)

    def lines_for(self, op: OperatorState) -> list[Line[Ticket]]:
        """The lines ``op`` may serve by group and skills, cached until lines change."""
        room = self.room
        if op.lines_version != room.version:
            seen: set[int] = set()
            skills = op.operator.skills
            lines = []
            for group_id in sorted(op.operator.groups):
                for line in room.lines_of(group_id):
                    if id(line) not in seen and meets(skills, line.requirement):
                        seen.add(id(line))
                        lines.append(line)
            op.lines = lines
            op.lines_version = room.version
        return op.lines

    def reindex(self, op: OperatorState) -> None:
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

    # -- a conversation ends ---------------------------------------------------------

    def finish(self, conversation_id: str) -> list[Event]:
        """``Finished``; the freed slot takes waiting work. Cost ``O(g log n + l +
        log q)``: about 6 µs at 10 000 operators (``bench_calls.py``)."""
        try:
            ticket = self.tickets[conversation_id]
        except (KeyError, TypeError):
            ticket = self.ticket(conversation_id)  # raises the error that says why
        state = ticket.state
        op = ticket.operator
        now = self.now()
        ticket.move("finish")
        if op is not None:
            op.release(ticket, now)
        operator_id = op.id if op is not None else ticket.held_by
        assert ticket.assigned_at is not None
        assert operator_id is not None
        handle_time = now - ticket.assigned_at
        if state is ASSIGNED:
            # Time on hold was the customer's, not handling.
            self.estimator.count_handled(
                ticket.group, ticket.channel, max(0.0, handle_time - ticket.held_for)
            )
        elif state is RELEASED:
            self.desks[ticket.group].released -= 1
        self.end(ticket, "finished", now)
        self.event_seq += 1
        event = build(
            Finished,
            (
                self.event_seq,
                now,
                ticket.id,
                ticket.group,
                ticket.channel,
                operator_id,
                handle_time,
            ),
        )
        events: list[Event] = [event]
        if self.books is not None:
            self.books.count(ticket, event)
        if self.debug:
            self.log.debug("finished", conversation_id=ticket.id, operator_id=operator_id)
        if op is not None:
            self.refill(op, now, events)
        return self.emit(events)

    def abandon(self, conversation_id: str) -> list[Event]:
        """The customer left while waiting or being offered. Cost ``O(log q)``."""
        ticket = self.ticket(conversation_id)
        now = self.now()
        events: list[Event] = []
        was_queued = ticket.state is QUEUED
        ticket.move("abandon")
        self.record(events, Abandoned, ticket, now, waited=now - ticket.enqueued_at)
        offered = ticket.offered_in_order()
        if was_queued:
            self.room.remove(ticket.line, ticket.key)
        self.end(ticket, "abandoned", now)
        for op in offered:
            op.release(ticket, now)
            self.record(events, OfferRescinded, ticket, now, operator_id=op.id, reason="abandoned")
        for op in offered:
            self.refill(op, now, events)
        return self.emit(events)

    def end(self, ticket: Ticket, outcome: str, now: float) -> None:
        """The ticket (moved to ENDED already) leaves the Router."""
        if ticket.record is not None:
            assert self.history is not None
            self.history.end(ticket.record, outcome, now)
        ticket.key = ticket.order  # type: ignore[assignment]  # break the cycle for refcounting
        del self.tickets[ticket.id]
        self.count_live(ticket, -1)

    def count_live(self, ticket: Ticket, delta: int) -> None:
        desks = self.desks
        if len(ticket.groups) == 1:  # the usual case, without a loop
            desks[ticket.group].live += delta
            return
        for group in ticket.groups:
            desks[group].live += delta

    # -- waiting -----------------------------------------------------------------------

    def line_of(self, ticket: Ticket) -> Line[Ticket]:
        """The line a waiting ticket belongs in: its groups', channel's and current
        requirement's, or the personal line of the operator it waits for."""
        target = ticket.reserved_for
        if target is not None:
            return self.room.line_for(ticket.groups, ticket.channel, (), target.id)
        return self.room.line_for(ticket.groups, ticket.channel, ticket.requirement)

    def place(self, ticket: Ticket) -> int:
        """Put a waiting ticket in its line; return its position there."""
        ticket.line = line = self.line_of(ticket)
        position = self.room.push(line, ticket.key)
        if self.watch_hook is not None:
            self.watch_hook(self, ticket, None)
        return position

    def move_line(self, ticket: Ticket, line: Line[Ticket]) -> int:
        """Move a waiting ticket to ``line``, of the same groups and channel (so the
        counts stay); return its position there."""
        old, ticket.line = ticket.line, line
        return self.room.move(old, line, ticket.key)

    def back_in_line(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """A conversation waits again: route it (after any relaxation step due), else
        let its group's policies act (overflow if nobody of its group is ONLINE)."""
        relax = self.timers.relax
        if relax and relax[0][0] <= now:
            self.catch_up_hook(self, now, events)
        self.route_waiting(ticket, now, events)
        arrival = self.desks[ticket.group].arrival
        if arrival is not None:
            arrival(self, ticket, now, events, False)

    def route_waiting(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """Give a waiting ticket to free operators, if it heads its line."""
        line = ticket.line
        # Only a line's head can go; behind an older head nobody is free anyway.
        if ticket.state is not QUEUED or line.head() is not ticket:
            return
        target = ticket.reserved_for
        if target is None:
            want = self.desks[ticket.group].want
            picks = self.pick(ticket.groups, ticket.conversation, ticket.declined, want)
        elif target.free and target.fits(ticket.channel):
            via = target.serves(ticket.groups)
            assert via is not None
            picks = [(target, via)]
        else:
            return
        if picks:
            self.room.pop_head(line)
            self.estimator.departed(line.key, now)
            self.desks[ticket.group].give(self, ticket, picks, now, events)

    def route_requeued(self, tickets: list[Ticket], now: float, events: list[Event]) -> None:
        """Offer conversations that wait again to other free operators, best first."""
        for ticket in sorted(tickets, key=_order):
            self.back_in_line(ticket, now, events)


def _order(ticket: Ticket) -> tuple[int, float, int]:
    return ticket.order


__all__ += ["LATER", "NEVER", "NOW", "NO_OFFERS"]
