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
import math
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Self

import attrs

from omniroute import journal
from omniroute import snapshot as snapshots
from omniroute._logging import library_logger
from omniroute.codec import RouterConfig, encode_config, encode_group_settings
from omniroute.errors import (
    CapacityError,
    DuplicateConversation,
    DuplicateGroup,
    DuplicateOperator,
    GroupInUse,
    InvalidTransition,
    NoRoute,
    UnknownConversation,
    UnknownGroup,
    UnknownOperator,
    ValidationError,
)
from omniroute.estimate import WaitEstimates, WaitEstimator
from omniroute.events import (
    Abandoned,
    AffinityFallback,
    Assigned,
    Configured,
    ConversationEvent,
    Escalated,
    Event,
    Finished,
    GroupAdded,
    GroupRemoved,
    HandedOff,
    Held,
    OfferAccepted,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    PositionChanged,
    Queued,
    Relaxed,
    Released,
    Requeued,
    Responded,
    Resumed,
    RulesChanged,
    StatusChanged,
    Submitted,
    Ticked,
    Transferred,
)
from omniroute.history import History, HistoryLimits, Visit
from omniroute.lifecycle import ConversationState, require
from omniroute.metrics import Metrics
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.policy import DEFAULT_AFFINITY, PositionUpdates
from omniroute.queue import Line, WaitingRoom
from omniroute.rules import Rules
from omniroute.skills import meets
from omniroute.state import NO_OFFERS, NOBODY, OperatorState, Ticket
from omniroute.stats import MetricsSettings
from omniroute.strategies.base import strategy_name
from omniroute.views import ConversationInfo, OperatorInfo

if TYPE_CHECKING:
    from omniroute.strategies import StrategyFactories

__all__ = ["Router"]


def _wanted(group: Group) -> int:
    """How many operators one routing decision looks for in ``group``."""
    return group.offers.ring if group.offers is not None else 1


def _debug_enabled(logger: Any) -> bool:
    is_enabled_for = getattr(logger, "is_enabled_for", None)
    return bool(is_enabled_for(logging.DEBUG)) if is_enabled_for is not None else True


_order = attrgetter("order")
_seq = attrgetter("seq")
_joined = attrgetter("joined")

QUEUED = ConversationState.QUEUED
OFFERED = ConversationState.OFFERED
ASSIGNED = ConversationState.ASSIGNED
HELD = ConversationState.HELD
RELEASED = ConversationState.RELEASED
ONLINE = Status.ONLINE
AWAY = Status.AWAY
OFFLINE = Status.OFFLINE

# Timer kinds, in the order timers due at the same moment fire.
RELAX, OVERFLOW, OFFER, LEAVE, AFFINITY, RELEASE, NOTIFY = range(7)

# What an operator a conversation should go to can do for it (see _reach).
NOW, LATER, NEVER = range(3)

_KEEP: Any = object()  # configure(): leave this setting as it is
# A timer: (due, kind, ticket seq, operator joined, push count, ticket, subject, stamp).
# It fires only if its ticket is still where it was when it was set (``subject`` and
# ``stamp`` tell), so timers are never cancelled, only found stale. The key before
# the push count derives from state alone: a restored Router fires the same timers
# in the same order.
Timer = tuple[float, int, int, int, int, Ticket, Any, float]


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
        self._online: dict[str, int] = {}  # group id → its ONLINE operators
        self._released: dict[str, int] = {}  # group id → its held conversations without a slot
        self._overflow_from: dict[str, set[str]] = {}  # group id → groups overflowing to it
        self._rules: Rules | None = None
        # Relaxation timers apart: every call fires those due, tick() fires all.
        self._relax_timers: list[Timer] = []
        self._timers: list[Timer] = []
        self._timer_count = 0
        self._config = RouterConfig()
        self._history: History | None = History(self._config.history)  # type: ignore[arg-type]
        self._estimator = WaitEstimator(self._config.wait_estimates)
        self._updates: PositionUpdates | None = None
        self._metrics = Metrics(self._config.metrics, start=self._last_time, clock=self._reading)

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

    def _reading(self) -> float:
        """The clock for reads: never before the last event."""
        return max(float(self._clock()), self._last_time)

    def _emit(self, events: list[Event]) -> list[Event]:
        if self._room.due or self._room.ready:
            self._tell_positions(self._last_time, events)
        self._metrics.observe(*events)
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
        """Add a group, its strategy and its policies. Cost ``O(1)``.

        The strategy instance is this group's alone: it indexes this Router's
        operators, so it may not serve another group or another Router. A group's
        overflow target must exist first, so overflow chains cannot form cycles.
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
        if group.overflow is not None and group.overflow.to not in self._groups:
            raise UnknownGroup(
                f"group {group.id!r} overflows to unknown group {group.overflow.to!r}; "
                f"add it first (known: {sorted(self._groups)})"
            )
        self._install_group(group)
        event = GroupAdded(
            seq=self._seq(),
            time=self._now(),
            group=group.id,
            strategy=strategy_name(group.strategy),
            settings=encode_group_settings(group),
        )
        return self._emit([event])

    def _install_group(self, group: Group) -> None:
        self._groups[group.id] = group
        self._strategy_owner[id(group.strategy)] = group.id
        self._members[group.id] = set()
        self._live_in_group[group.id] = 0
        self._online[group.id] = 0
        self._released[group.id] = 0
        self._overflow_from[group.id] = set()
        if group.overflow is not None:
            self._overflow_from[group.overflow.to].add(group.id)

    def remove_group(self, group_id: str) -> list[Event]:
        """Remove a group nobody serves, no live conversation belongs to and no
        other group overflows to. ``O(1)``."""
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
        if self._rules is not None and group_id in self._rules.groups():
            raise GroupInUse(
                f"group {group_id!r} is a target of the rules; set rules without it first"
            )
        sources = self._overflow_from[group_id]
        if sources:
            raise GroupInUse(
                f"group {group_id!r} is the overflow of group(s) {sorted(sources)}; "
                "remove them first"
            )
        del self._groups[group_id], self._members[group_id], self._live_in_group[group_id]
        del self._online[group_id], self._overflow_from[group_id], self._released[group_id]
        del self._strategy_owner[id(group.strategy)]
        if group.overflow is not None:
            self._overflow_from[group.overflow.to].discard(group_id)
        self._room.drop_group(group_id)
        return self._emit([GroupRemoved(seq=self._seq(), time=self._now(), group=group_id)])

    def set_rules(self, rules: Rules | None) -> list[Event]:
        """Route conversations submitted without a group by ``rules`` (None: stop).

        Raises :class:`UnknownGroup` now, not at routing time, if a rule or the
        default names a group the Router does not know; groups the rules route to
        cannot be removed while the rules are set. Cost ``O(rules)``.
        """
        if rules is not None:
            if not isinstance(rules, Rules):
                raise ValidationError(f"set_rules() takes Rules or None, got {rules!r}")
            rules.check_groups(self._groups)
        self._rules = rules
        return self._emit([RulesChanged(seq=self._seq(), time=self._now(), rules=rules)])

    def configure(
        self,
        *,
        history: HistoryLimits | None = _KEEP,
        position_updates: PositionUpdates | None = _KEEP,
        wait_estimates: WaitEstimates = _KEEP,
        metrics: MetricsSettings = _KEEP,
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
        config = self._config
        changes: dict[str, Any] = {}
        for name, value, kind in (
            ("history", history, HistoryLimits),
            ("position_updates", position_updates, PositionUpdates),
            ("wait_estimates", wait_estimates, WaitEstimates),
            ("metrics", metrics, MetricsSettings),
        ):
            if value is _KEEP:
                continue
            optional = name in ("history", "position_updates")
            if not (isinstance(value, kind) or (value is None and optional)):
                allowed = f"{kind.__name__} or None" if optional else kind.__name__
                raise ValidationError(f"configure(): {name} must be {allowed}, got {value!r}")
            changes[name] = value
        new = attrs.evolve(config, **changes)
        if new.history != config.history:
            self._history = None if new.history is None else History(new.history)
            for ticket in self._tickets.values():
                ticket.record = None
        if new.wait_estimates != config.wait_estimates:
            self._estimator = WaitEstimator(new.wait_estimates)
        self._config = new
        if new.position_updates != config.position_updates:
            self._updates = new.position_updates
            self._rewatch()
        event = Configured(seq=self._seq(), time=self._now(), config=encode_config(new))
        return self._emit([event])

    @property
    def config(self) -> RouterConfig:
        """The Router-wide settings (:meth:`configure`)."""
        return self._config

    @property
    def rules(self) -> Rules | None:
        """The group selection rules, if set."""
        return self._rules

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
        old_groups = op.operator.groups
        for group_id in old_groups:
            self._members[group_id].discard(op.id)
        online = op.status is ONLINE
        if online:
            self._count_online(operator.groups - old_groups, 1)
        op.replace(operator)
        self._set_definition(op, operator)
        events: list[Event] = [OperatorUpdated(seq=self._seq(), time=now, operator=operator)]
        # Work waiting for them alone that they may no longer take goes to anyone.
        gone = [
            ticket
            for line in self._room.personal_of(op.id)
            for ticket in list(line)
            if self._via(ticket.groups, op) is None
            or not meets(operator.skills, ticket.requirement)
        ]
        for ticket in gone:
            self._unreserve(ticket, "operator_left", now, events)
        self._refill(op, now, events)
        self._route_requeued(gone, now, events)
        if online:
            self._count_online(old_groups - operator.groups, -1, now, events)
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
        """Remove an operator; their offers are rescinded and what they held is
        requeued at once, whatever the groups' ``keep_on_leave``.

        Cost ``O(k log q)`` for the ``k`` conversations they held, plus routing those.
        """
        op = self._operator(operator_id)
        now = self._now()
        events: list[Event] = [OperatorRemoved(seq=self._seq(), time=now, operator_id=operator_id)]
        online = op.status is ONLINE
        back = self._vacate(op, now, events, removing=True)
        op.status = OFFLINE
        self._reindex(op)
        for group_id in op.operator.groups:
            self._members[group_id].discard(operator_id)
        del self._operators[operator_id]
        self._room.forget_operator(operator_id)
        if online:
            self._count_online(op.operator.groups, -1, now, events)
        self._route_requeued(back, now, events)
        if self._debug:
            self._log.debug("operator_removed", operator_id=operator_id)
        return self._emit(events)

    def set_status(self, operator_id: str, status: Status | str) -> list[Event]:
        """Change an operator's presence; setting the current status does nothing.

        ONLINE: they receive waiting work at once, up to their limits.
        AWAY: they keep their work and offers, and receive nothing new.
        OFFLINE: their offers are rescinded; their work goes back to its queues
        (``Requeued``), keeping its original waiting start, unless its group keeps
        it for them (``Group.keep_on_leave``).
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
        events: list[Event] = []
        self._change_status(op, status, self._now(), events)
        return self._emit(events)

    def _change_status(
        self, op: OperatorState, status: Status, now: float, events: list[Event]
    ) -> None:
        previous = op.status
        op.status = status
        op.status_since = now
        events.append(
            StatusChanged(
                seq=self._seq(), time=now, operator_id=op.id, previous=previous, status=status
            )
        )
        if self._debug:
            self._log.debug("status_changed", operator_id=op.id, status=status.value)
        back: list[Ticket] = []
        if status is ONLINE:
            op.came_online(now)
            self._count_online(op.operator.groups, 1)
            self._fill(op, now, events)
        elif status is OFFLINE:
            back = self._vacate(op, now, events, removing=False)
        self._reindex(op)
        if previous is ONLINE:
            self._count_online(op.operator.groups, -1, now, events)
        self._route_requeued(back, now, events)

    def operator(self, operator_id: str) -> OperatorInfo:
        """A read-only copy of an operator's state. Cost ``O(k)`` for ``k`` held."""
        op = self._operator(operator_id)
        return OperatorInfo(
            operator=op.operator,
            status=op.status,
            status_since=op.status_since,
            conversations=tuple(op.conversations),
            offers=tuple(c for c, t in op.conversations.items() if t.state is OFFERED),
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
        candidate fits.
        """
        if not isinstance(conversation, Conversation):
            raise ValidationError(f"submit() takes a Conversation, got {conversation!r}")
        if conversation.id in self._tickets:
            raise DuplicateConversation(f"conversation {conversation.id!r} is already live")
        if prefer_operator is not None:
            conversation = attrs.evolve(conversation, prefer_operator=prefer_operator)
        if not conversation.group:
            if self._rules is None:
                raise NoRoute(
                    f"conversation {conversation.id!r} has no group and no rules are set; "
                    "give it a group or call set_rules()"
                )
            conversation = self._rules.apply(conversation)
        group = self._group(conversation.group)
        room = self._room
        channel = conversation.channel
        groups = (group.id,)
        events: list[Event] = []
        now = self._now() if self._relax_timers else None
        if now is not None and self._relax_timers[0][0] <= now:
            # Older conversations whose requirements relaxed go first.
            self._announce_submit(conversation, events, now)
            self._catch_up(now, events)
        reach, target, via, wait = NEVER, None, None, 0.0
        wanted = conversation.prefer_operator
        if wanted is not None or (group.affinity is not None and conversation.customer_id):
            now = self._now() if now is None else now
            wanted, wait = self._target(conversation, group, now)
            if wanted is not None:
                reach, target, via = self._reach(wanted, groups, conversation, wait)
        if reach is NOW:
            assert target is not None
            assert via is not None
            picks = [(target, via)]
            line = room.line_for(groups, channel, conversation.requirement)
        elif reach is LATER:
            assert target is not None
            picks = []
            line = room.line_for(groups, channel, (), target.id)
        else:
            found = room.find(groups, channel, conversation.requirement)
            # A non-empty line proves nobody free may take this line: skip the search.
            # The search runs before anything changes, in case a host strategy raises.
            picks = (
                []
                if found is not None and found.size
                else self._pick(groups, conversation, (), _wanted(group))
            )
            line = found or room.line_for(groups, channel, conversation.requirement)
        if now is None:
            now = self._now()
        self._ticket_seq += 1
        seq = self._ticket_seq
        ticket = Ticket(conversation, seq, now, line, group.order(conversation.priority, now, seq))
        self._tickets[ticket.id] = ticket
        self._live_in_group[group.id] += 1
        customer = conversation.customer_id
        if customer is not None and self._history is not None:
            ticket.record = self._history.start(customer, ticket.id, channel, group.id, now)
        if not events:
            self._announce_submit(conversation, events, now)
        self._keep_preference(ticket, reach, target, wanted, wait, now, events)
        self._arrive(ticket, picks, now, events)
        return self._emit(events)

    def _keep_preference(
        self,
        ticket: Ticket,
        reach: int,
        target: OperatorState | None,
        wanted: str | None,
        wait: float,
        now: float,
        events: list[Event],
    ) -> None:
        """Once it is known whether the ``wanted`` operator may take a new or
        restarted ticket (:meth:`_reach`): it waits for them alone (LATER), or, if
        they may not take it at all, the fallback is told."""
        if reach is LATER:
            assert target is not None
            ticket.reserved_for = target
            ticket.reserved_until = now + wait
        elif reach is NEVER and wanted is not None:
            self._fall_back(ticket, wanted, "unavailable", None, now, events)

    def _fall_back(
        self,
        ticket: Ticket,
        operator_id: str,
        reason: str,
        position: int | None,
        now: float,
        events: list[Event],
    ) -> None:
        """Tell that ``ticket`` no longer waits for ``operator_id`` alone."""
        self._record(
            events,
            AffinityFallback,
            ticket,
            now,
            operator_id=operator_id,
            reason=reason,
            position=position,
        )

    def _target(
        self, conversation: Conversation, group: Group, now: float
    ) -> tuple[str | None, float]:
        """The operator a conversation should go to — the one it names, or, by its
        group's affinity, the one who last served its customer — and how long it
        may wait for them."""
        affinity = group.affinity
        if conversation.prefer_operator is not None:
            wait = conversation.prefer_wait
            default = (affinity or DEFAULT_AFFINITY).wait
            return conversation.prefer_operator, default if wait is None else wait
        history = self._history
        customer = conversation.customer_id
        if affinity is None or history is None or customer is None:
            return None, 0.0
        members = self._members[group.id]
        operators = self._operators
        history.expire(now)
        target = history.last_operator(
            customer,
            now - affinity.within,
            lambda o: o in members and not operators[o].operator.bot,
        )
        return target, affinity.wait

    def _reach(
        self, operator_id: str, groups: tuple[str, ...], conversation: Conversation, wait: float
    ) -> tuple[int, OperatorState | None, str | None]:
        """Whether the operator may take the conversation NOW, LATER (it waits for
        them) or NEVER (anyone may take it), and through which group."""
        op = self._operators.get(operator_id)
        if op is None or op.status is OFFLINE:
            return NEVER, None, None
        via = self._via(groups, op)
        if via is None or not meets(op.operator.skills, conversation.requirement):
            return NEVER, None, None
        if op.free and op.fits(conversation.channel):
            return NOW, op, via
        return (LATER if wait > 0 else NEVER), op, via

    def _announce_submit(self, conversation: Conversation, events: list[Event], now: float) -> None:
        events.append(
            Submitted(
                seq=self._seq(),
                time=now,
                conversation_id=conversation.id,
                group=conversation.group,
                channel=conversation.channel,
                conversation=conversation,
            )
        )
        if self._debug:
            self._log.debug("submitted", conversation_id=conversation.id)

    def finish(self, conversation_id: str) -> list[Event]:
        """The operator is done with a conversation (assigned, or held for the
        customer's reply); their slot is offered at once to the best waiting
        conversation they may take.

        Cost ``O(g log n + l + log q)``.
        """
        ticket = self._ticket(conversation_id)
        state = ticket.state
        if state is not ASSIGNED and state is not HELD and state is not RELEASED:
            require(state, "finish", conversation_id)
        op = ticket.operator
        now = self._now()
        if op is not None:
            op.release(ticket, now)
        operator_id = op.id if op is not None else ticket.held_by
        assert ticket.assigned_at is not None
        assert operator_id is not None
        handle_time = now - ticket.assigned_at
        if state is ASSIGNED:
            # Time on hold was the customer's, not handling.
            self._estimator.handled(ticket.group, ticket.channel, handle_time - ticket.held_for)
        elif state is RELEASED:
            self._released[ticket.group] -= 1
        self._end(ticket, "finished", now)
        events: list[Event] = []
        self._record(
            events, Finished, ticket, now, operator_id=operator_id, handle_time=handle_time
        )
        if op is not None:
            self._refill(op, now, events)
        return self._emit(events)

    def abandon(self, conversation_id: str) -> list[Event]:
        """The customer left while waiting (or while being offered: the offers are
        rescinded). Cost ``O(log q)``."""
        ticket = self._ticket(conversation_id)
        if ticket.state is not QUEUED and ticket.state is not OFFERED:
            require(ticket.state, "abandon", conversation_id)
        now = self._now()
        events: list[Event] = []
        self._record(events, Abandoned, ticket, now, waited=now - ticket.enqueued_at)
        offered = self._sorted_offers(ticket)
        if ticket.state is QUEUED:
            self._room.remove(ticket)
        self._end(ticket, "abandoned", now)
        for op in offered:
            op.release(ticket, now)
            self._record(events, OfferRescinded, ticket, now, operator_id=op.id, reason="abandoned")
        for op in offered:
            self._refill(op, now, events)
        return self._emit(events)

    # -- offers and hand-offs --------------------------------------------------------

    def _offered(
        self, conversation_id: str, operator_id: str, action: str
    ) -> tuple[Ticket, OperatorState]:
        ticket = self._ticket(conversation_id)
        op = self._operator(operator_id)
        if ticket.state is not OFFERED:
            require(ticket.state, action, conversation_id)
        if operator_id not in ticket.offers:
            raise InvalidTransition(
                f"cannot {action} conversation {conversation_id!r} for operator "
                f"{operator_id!r}: it is offered to {sorted(ticket.offers)}"
            )
        return ticket, op

    def accept(self, conversation_id: str, operator_id: str) -> list[Event]:
        """The operator accepts the conversation offered to them: ``OfferAccepted``,
        ``Assigned``, and ``OfferRescinded`` for the other operators it was offered
        to at once (``Offers.ring``), whose slots are then filled. Cost
        ``O(r (g log n + l))`` for ``r`` offers.
        """
        ticket, op = self._offered(conversation_id, operator_id, "accept")
        now = self._now()
        events: list[Event] = []
        self._record(events, OfferAccepted, ticket, now, operator_id=op.id)
        others = [o for o in self._sorted_offers(ticket) if o is not op]
        ticket.offers = NO_OFFERS
        op.missed = 0
        ticket.state = ASSIGNED
        ticket.operator = op
        ticket.assigned_at = now
        if ticket.record is not None:
            ticket.record.served_by(op.id, now)
        via = self._via(ticket.groups, op)
        if via is not None:  # None: they left its groups since the offer
            self._groups[via].strategy.assigned(op, ticket.conversation)
        waited = now - ticket.enqueued_at
        self._record(events, Assigned, ticket, now, operator_id=op.id, waited=waited)
        for other in others:
            other.release(ticket, now)
            self._record(
                events,
                OfferRescinded,
                ticket,
                now,
                operator_id=other.id,
                reason="accepted_by_other",
            )
        for other in others:
            self._refill(other, now, events)
        return self._emit(events)

    def reject(self, conversation_id: str, operator_id: str) -> list[Event]:
        """The operator rejects the conversation offered to them. It is not offered
        to them again while another operator who may take it is free; if nobody
        else is, it may come back to them (set them AWAY to stop that).
        Cost ``O(g log n + l)`` plus routing the conversation.
        """
        ticket, op = self._offered(conversation_id, operator_id, "reject")
        now = self._now()
        events: list[Event] = []
        self._record(events, OfferRejected, ticket, now, operator_id=op.id)
        op.missed = 0
        op.release(ticket, now)
        del ticket.offers[op.id]
        ticket.declined |= {op.id}
        if not ticket.offers:
            self._withdraw(ticket, now, events)
        self._refill(op, now, events)
        return self._emit(events)

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
        ticket = self._ticket(conversation_id)
        if ticket.state is not ASSIGNED:
            require(ticket.state, "handoff", conversation_id)
        bot = ticket.operator
        assert bot is not None
        if not bot.operator.bot:
            raise InvalidTransition(
                f"cannot hand off conversation {conversation_id!r}: operator {bot.id!r} "
                "holding it is not a bot (Operator(bot=True))"
            )
        group = self._group(to_group)
        if to_group in bot.operator.groups:
            raise InvalidTransition(
                f"cannot hand off conversation {conversation_id!r} to group {to_group!r}: "
                f"bot {bot.id!r} serves it and would take it back; hand off to people"
            )
        if not isinstance(reason, str):
            raise ValidationError(f"handoff of {conversation_id!r}: reason must be a string")
        changes: dict[str, Any] = {"group": to_group}
        if requires is not None:
            # New requirements replace the old steps too: they were written for the old ones.
            changes["requires"] = requires
            changes["relax"] = ()
        if priority is not None:
            changes["priority"] = priority
        try:
            conversation = attrs.evolve(ticket.submitted, **changes)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"handoff of {conversation_id!r}: {exc}") from None
        now = self._now()
        events: list[Event] = []
        from_group = ticket.group
        bot.release(ticket, now)
        # New requirements come with new steps: counted from the first.
        self._restart(ticket, conversation, group, (to_group,), 0, now)
        ticket.responded = False  # a new contact, for new people
        self._record(
            events,
            HandedOff,
            ticket,
            now,
            operator_id=bot.id,
            from_group=from_group,
            reason=reason,
            requires=None if requires is None else conversation.requires,
            priority=priority,
        )
        self._route_arrival(ticket, now, events)
        self._refill(bot, now, events)
        return self._emit(events)

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
        ticket = self._ticket(conversation_id)
        if ticket.state is not ASSIGNED:
            require(ticket.state, "transfer", conversation_id)
        holder = ticket.operator
        assert holder is not None
        where = f"transfer of {conversation_id!r}"
        if to_operator is None and to_group is None:
            raise ValidationError(f"{where}: give to_operator=, to_group= or both")
        if not isinstance(reason, str):
            raise ValidationError(f"{where}: reason must be a string")
        if not (
            isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait >= 0
        ):  # NaN fails the comparison
            raise ValidationError(f"{where}: wait must be seconds >= 0 (math.inf: forever)")
        if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
            raise ValidationError(f"{where}: priority must be an int, got {priority!r}")
        group = self._groups[ticket.group] if to_group is None else self._group(to_group)
        groups = ticket.groups if to_group is None else (group.id,)
        if to_operator is not None:
            target = self._operator(to_operator)
            problem = None
            if target is holder:
                problem = "they hold it already"
            elif target.status is OFFLINE:
                problem = "they are OFFLINE"
            elif self._via(groups, target) is None:
                problem = f"they serve none of group(s) {list(groups)}"
            elif not meets(target.operator.skills, ticket.requirement):
                problem = f"they lack the required skills {dict(ticket.requirement)}"
            if problem is not None:
                raise InvalidTransition(
                    f"cannot transfer {conversation_id!r} to {to_operator!r}: {problem}"
                )
        now = self._now()
        events: list[Event] = []
        from_group = ticket.group
        holder.release(ticket, now)
        conversation = ticket.submitted.routed(group=group.id, priority=priority)
        self._restart(ticket, conversation, group, groups, ticket.step, now)
        ticket.responded = False  # a new contact, for new people
        if to_operator is None:
            ticket.declined = frozenset([holder.id])
        self._record(
            events,
            Transferred,
            ticket,
            now,
            operator_id=holder.id,
            from_group=from_group,
            to_operator=to_operator,
            to_group=to_group,
            wait=wait if math.isfinite(wait) else None,
            reason=reason,
            priority=priority,
        )
        self._route_arrival(ticket, now, events, to_operator, wait)
        self._refill(holder, now, events)
        return self._emit(events)

    def hold(self, conversation_id: str) -> list[Event]:
        """The operator waits on the customer's reply to an assigned conversation.

        It keeps the operator's slot — counted against their limits — until
        :meth:`resume` or :meth:`finish`, unless its group releases held
        conversations of its channel after a grace time (``Group.release_held_after``:
        ``Released``, on :meth:`tick`; at once if 0). ``Held``. Cost ``O(log t)``.
        """
        ticket = self._ticket(conversation_id)
        if ticket.state is not ASSIGNED:
            require(ticket.state, "hold", conversation_id)
        op = ticket.operator
        assert op is not None
        now = self._now()
        ticket.state = HELD
        ticket.held_at = now
        events: list[Event] = []
        self._record(events, Held, ticket, now, operator_id=op.id)
        grace = self._groups[ticket.group].release_held_after.get(ticket.channel)
        if op.status is OFFLINE:
            # Kept for them while away (keep_on_leave): nobody holds for the absent.
            self._release(ticket, "operator_left", now, events)
        elif grace == 0:
            self._release(ticket, "grace", now, events)
            self._refill(op, now, events)
        elif grace is not None:
            self._schedule(now + grace, RELEASE, ticket, None, now)
        return self._emit(events)

    def resume(self, conversation_id: str) -> list[Event]:
        """The customer of a held conversation wrote again: ``Resumed``.

        If its operator kept the slot, it is theirs again at once. If the slot was
        released, it goes back to them if they are ONLINE with room (``Assigned``),
        else it waits for them alone — its waiting starting now — for its group's
        :class:`~omniroute.Affinity` wait (60 s without one), then anyone eligible
        may take it. Cost: one :meth:`submit` at most.
        """
        ticket = self._ticket(conversation_id)
        state = ticket.state
        if state is not HELD and state is not RELEASED:
            require(state, "resume", conversation_id)
        now = self._now()
        assert ticket.held_at is not None
        events: list[Event] = []
        op = ticket.operator
        operator_id = op.id if op is not None else ticket.held_by
        assert operator_id is not None
        held = now - ticket.held_at
        self._record(events, Resumed, ticket, now, operator_id=operator_id, held=held)
        ticket.held_at = None
        if state is HELD:
            ticket.state = ASSIGNED
            ticket.held_for += held
            return self._emit(events)
        ticket.held_by = None
        self._released[ticket.group] -= 1
        group = self._groups[ticket.group]
        submitted = ticket.submitted
        conversation = (
            submitted if submitted.group == group.id else submitted.routed(group=group.id)
        )
        self._restart(ticket, conversation, group, ticket.groups, ticket.step, now)
        wait = (group.affinity or DEFAULT_AFFINITY).wait
        self._route_arrival(ticket, now, events, operator_id, wait)
        return self._emit(events)

    def responded(self, conversation_id: str) -> list[Event]:
        """The operator who has the conversation replied to the customer.

        The first reply of a contact (since it was submitted, handed off or
        transferred) is its first response: ``Responded``, and the statistics count
        the time from the start of its wait. A host may call this on every reply:
        later ones change nothing and return no events. Raises
        :class:`~omniroute.InvalidTransition` while no operator has it (waiting or
        offered). Cost ``O(1)``.
        """
        ticket = self._ticket(conversation_id)
        if ticket.state is not ASSIGNED:
            require(ticket.state, "respond", conversation_id)
        if ticket.responded:
            return []
        op = ticket.operator
        operator_id = op.id if op is not None else ticket.held_by
        assert operator_id is not None
        now = self._now()
        ticket.responded = True
        events: list[Event] = []
        self._record(events, Responded, ticket, now, operator_id=operator_id)
        return self._emit(events)

    def _release(self, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
        """A held conversation frees its operator's slot; the caller refills it."""
        op = ticket.operator
        assert op is not None
        op.release(ticket, now)
        ticket.state = RELEASED
        ticket.operator = None
        ticket.held_by = op.id
        self._released[ticket.group] += 1
        self._record(events, Released, ticket, now, operator_id=op.id, reason=reason)

    def _restart(
        self,
        ticket: Ticket,
        conversation: Conversation,
        group: Group,
        groups: tuple[str, ...],
        step: int,
        now: float,
    ) -> None:
        """The ticket waits afresh, from ``now``, in ``groups`` (``group`` last) as
        ``conversation`` at relaxation ``step``: a hand-off, a transfer or a resume.
        The caller freed its operator's slot; :meth:`_route_arrival` routes it."""
        self._count_live(ticket, -1)
        ticket.submitted = conversation
        ticket.groups = groups
        ticket.moved(group=group.id, step=step)
        self._count_live(ticket, 1)
        ticket.enqueued_at = ticket.entered_at = now
        ticket.declined = NOBODY
        ticket.state = QUEUED
        ticket.operator = None
        ticket.assigned_at = None
        ticket.held_for = 0.0
        ticket.key = (*group.order(conversation.priority, now, ticket.seq), ticket)
        if ticket.record is not None:
            ticket.record.moved(group.id)

    def _route_arrival(
        self,
        ticket: Ticket,
        now: float,
        events: list[Event],
        target_id: str | None = None,
        wait: float = 0.0,
    ) -> None:
        """Route a restarted ticket: to ``target_id`` if they may take it now, else
        wait for them alone up to ``wait``, else to anyone eligible."""
        conversation = ticket.conversation
        reach, target, via = NEVER, None, None
        if target_id is not None:
            reach, target, via = self._reach(target_id, ticket.groups, conversation, wait)
        if reach is NOW:
            assert target is not None
            assert via is not None
            picks = [(target, via)]
        elif reach is LATER:
            picks = []
        else:
            want = _wanted(self._groups[ticket.group])
            picks = self._pick(ticket.groups, conversation, ticket.declined, want)
        self._keep_preference(ticket, reach, target, target_id, wait, now, events)
        ticket.line = self._line_of(ticket)
        self._arrive(ticket, picks, now, events)

    def tick(self) -> list[Event]:
        """Fire the timers that are due: relaxation steps, overflows after a wait,
        offers that expire, and conversations kept for an operator who left.

        Returns ``[]`` if none was due, else ``Ticked`` and what the timers did.
        Relaxation steps also apply in every call that may route work (a submit, a
        freed slot, an operator coming ONLINE, work waiting again), so a freed
        operator sees them at once. Call it regularly — every second or so. Cost ``O(log t)`` per
        timer, plus what the timers cause.
        """
        now = self._now()
        if self._history is not None:
            self._history.expire(now)
        events: list[Event] = []
        relax, others = self._relax_timers, self._timers
        while True:
            due_relax = bool(relax) and relax[0][0] <= now
            due_other = bool(others) and others[0][0] <= now
            if not (due_relax or due_other):
                break
            heap = relax if due_relax and (not due_other or relax[0] < others[0]) else others
            timer = heapq.heappop(heap)
            if self._live(timer, now):
                if not events:
                    events.append(Ticked(seq=self._seq(), time=now))
                self._fire(timer, now, events)
        return self._emit(events)

    def next_due(self) -> float | None:
        """When the earliest timer falls due (None: no timer is set): a host, or a
        simulator, that calls :meth:`tick` then — and after any later call that may
        set an earlier timer — misses nothing. It may be early, never late: a
        timer made moot (an offer answered, a conversation gone) still counts until
        it falls due. Cost ``O(1)``.
        """
        relax, others = self._relax_timers, self._timers
        if relax and others:
            return min(relax[0][0], others[0][0])
        if relax or others:
            return (relax or others)[0][0]
        return None

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
            offered_to=tuple(op.id for op in self._sorted_offers(ticket)),
            waiting_for=None if ticket.reserved_for is None else ticket.reserved_for.id,
            held_at=ticket.held_at,
            held_by=ticket.held_by,
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
        lines = [line for g in group_ids for line in self._room.all_lines_of(g) if line]
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

    def estimated_wait(self, conversation_id: str) -> float | None:
        """Seconds until a waiting conversation is likely taken, or None if it is
        not waiting or nobody ONLINE may take it.

        From the rate its line was served at lately (a moving window of
        departures), else from queueing theory: its position times the group's
        mean handle time, over the operators or busy slots serving the group.
        See :mod:`omniroute.estimate` and ``docs/`` for the details and limits.
        Cost ``O(log q)``.
        """
        ticket = self._ticket(conversation_id)
        if ticket.state is not QUEUED:
            return None
        return self._estimate(ticket, ticket.line.position(ticket), self._now())

    def history(self, customer_id: str) -> list[Visit]:
        """The customer's conversations on every channel, newest first — live ones
        included — as far as :class:`~omniroute.HistoryLimits` keep them.
        Cost ``O(k)`` for ``k`` kept."""
        if not isinstance(customer_id, str):
            raise ValidationError(f"history() takes a customer id string, got {customer_id!r}")
        if self._history is None:
            return []
        self._history.expire(self._now())
        return self._history.of(customer_id)

    @property
    def metrics(self) -> Metrics:
        """The statistics, counted from this Router's events as they happen: read them
        with :meth:`Metrics.stats`, :meth:`Metrics.intervals`,
        :meth:`Metrics.operator_stats` and :meth:`Metrics.operator_intervals`.
        Live figures are as of the Router's clock. Feeding it is the Router's job."""
        return self._metrics

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
        else:
            # A journal does not show when the Router was made: count from its first event.
            router._metrics = Metrics(router._config.metrics, clock=router._reading)
        unheard = journal.replay(router, scripted, events, factories)
        router._clock = clock
        router._on_event = on_event
        # A journal does not show when the Router last read its clock; read it now.
        router._now()
        if on_event is not None:
            for event in unheard:  # counted already, when the replayed call made them
                on_event(event)
        return router

    # -- the routing core ----------------------------------------------------------

    def _pick(
        self,
        groups: tuple[str, ...],
        conversation: Conversation,
        declined: Collection[str],
        want: int,
    ) -> list[tuple[OperatorState, str]]:
        """Up to ``want`` free operators who may take ``conversation``, each with the
        group through which they may, in the groups' strategies' order.

        Operators in ``declined`` are passed over, unless nobody else is free.
        """
        picks = self._candidates(groups, conversation, declined, want)
        if not picks and declined:
            picks = self._candidates(groups, conversation, (), want)
        return picks

    def _candidates(
        self,
        groups: tuple[str, ...],
        conversation: Conversation,
        skip: Collection[str],
        want: int,
    ) -> list[tuple[OperatorState, str]]:
        channel = conversation.channel
        requirement = conversation.requirement
        operators = self._operators
        picks: list[tuple[OperatorState, str]] = []
        for group in groups:
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
                        and operator_id not in skip
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

    def _arrive(
        self,
        ticket: Ticket,
        picks: list[tuple[OperatorState, str]],
        now: float,
        events: list[Event],
    ) -> None:
        """A conversation arrives in its group (submitted or handed off): give it to
        ``picks``, else queue it in ``ticket.line`` and start its policies' timers."""
        if picks:
            self._give(ticket, picks, now, events)
            return
        position = self._room.push(ticket)
        target = ticket.reserved_for
        self._record(
            events,
            Queued,
            ticket,
            now,
            position=position,
            for_operator=None if target is None else target.id,
            estimated_wait=self._estimate(ticket, position, now),
        )
        self._told(ticket, position, now)
        if target is not None and ticket.reserved_until != math.inf:
            until = ticket.reserved_until
            self._schedule(until, AFFINITY, ticket, target, until)
        if self._groups[ticket.group].overflow is not None or ticket.submitted.relax:
            self._schedule_waiting(ticket)
            self._on_arrival(ticket, now, events)

    def _estimate(self, ticket: Ticket, position: int, now: float) -> float | None:
        """Seconds until a waiting ticket at ``position`` is taken (see estimate.py)."""
        line = ticket.line
        group = ticket.group
        online = self._online[group]
        if not online:
            return None  # nobody ONLINE may take it: no estimate
        if line.operator is not None:
            servers = 1
        else:
            # With chat concurrency, the slots busy in the group serve the queue.
            busy = self._live_in_group[group] - self._room.count(group) - self._released[group]
            servers = max(online, busy)
        return self._estimator.estimate(line.key, group, ticket.channel, position, servers, now)

    def _give(
        self,
        ticket: Ticket,
        picks: list[tuple[OperatorState, str]],
        now: float,
        events: list[Event],
    ) -> None:
        """Assign ``ticket`` to the first pick, or offer it to all of them if its
        group makes offers."""
        offers = self._groups[ticket.group].offers
        if offers is None:
            op, via = picks[0]
            self._assign(ticket, op, via, now, events)
            self._reindex(op)
            return
        ticket.reserved_for = None
        ticket.state = OFFERED
        ticket.offered_at = now
        ticket.offers = {op.id: op for op, _ in picks}
        waited = now - ticket.enqueued_at
        for op, _ in picks:
            op.take(ticket)
            self._record(events, Offered, ticket, now, operator_id=op.id, waited=waited)
            self._reindex(op)
        self._schedule(now + offers.timeout, OFFER, ticket, None, now)

    def _assign(
        self, ticket: Ticket, op: OperatorState, via: str, now: float, events: list[Event]
    ) -> None:
        ticket.state = ASSIGNED
        ticket.operator = op
        ticket.assigned_at = now
        ticket.reserved_for = None
        op.take(ticket)
        if ticket.record is not None:
            ticket.record.served_by(op.id, now)
        self._groups[via].strategy.assigned(op, ticket.conversation)
        waited = now - ticket.enqueued_at
        self._record(events, Assigned, ticket, now, operator_id=op.id, waited=waited)

    @staticmethod
    def _via(groups: tuple[str, ...], op: OperatorState) -> str | None:
        """The first of ``groups`` through which ``op`` may take a conversation."""
        served = op.operator.groups
        return next((group for group in groups if group in served), None)

    @staticmethod
    def _sorted_offers(ticket: Ticket) -> list[OperatorState]:
        return sorted(ticket.offers.values(), key=_joined)

    def _withdraw(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """An offered conversation nobody holds an offer for any more waits again,
        in its old place, and goes to the next operator."""
        ticket.state = QUEUED
        self._place(ticket)
        self._schedule_waiting(ticket)
        self._back_in_line(ticket, now, events)

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
        Due relaxation steps apply first, so a freed operator sees them.
        """
        if self._relax_timers and self._relax_timers[0][0] <= now:
            self._catch_up(now, events)
        lines = self._lines_for(op)
        room = self._room
        personal = room.personal_of(op.id)
        if personal:
            lines = lines + personal
        while op.status is ONLINE and op.has_room:  # op.can_receive(), inlined
            best: Line | None = None
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
            self._estimator.departed(best.key, now)
            via = best.group if len(best.groups) == 1 else self._via(best.groups, op)
            assert via is not None
            if self._groups[ticket.group].offers is None:
                self._assign(ticket, op, via, now, events)
            else:
                self._give(ticket, [(op, via)], now, events)

    def _refill(self, op: OperatorState, now: float, events: list[Event]) -> None:
        """Give ``op`` waiting work while it has room, then tell its strategies its load."""
        self._fill(op, now, events)
        self._reindex(op)

    def _lines_for(self, op: OperatorState) -> list[Line]:
        """The lines ``op`` may serve by group and skills, cached until lines change."""
        if op.lines_version != self._room.version:
            seen: set[int] = set()
            op.lines = [
                line
                for group_id in sorted(op.operator.groups)
                for line in self._room.lines_of(group_id)
                if meets(op.operator.skills, line.requirement)
                and not (id(line) in seen or seen.add(id(line)))  # type: ignore[func-returns-value]
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

    def _count_live(self, ticket: Ticket, delta: int) -> None:
        if len(ticket.groups) == 1:  # the usual case, without a loop
            self._live_in_group[ticket.group] += delta
            return
        for group in ticket.groups:
            self._live_in_group[group] += delta

    def _end(self, ticket: Ticket, outcome: str, now: float) -> None:
        if ticket.record is not None:
            assert self._history is not None
            self._history.end(ticket.record, outcome, now)
        ticket.state = ConversationState.ENDED
        ticket.key = ticket.order  # type: ignore[assignment]  # break the cycle for refcounting
        del self._tickets[ticket.id]
        self._count_live(ticket, -1)

    def _line_of(self, ticket: Ticket) -> Line:
        """The line a waiting ticket belongs in: its groups', channel's and current
        requirement's, or the personal line of the operator it waits for."""
        target = ticket.reserved_for
        if target is not None:
            return self._room.line_for(ticket.groups, ticket.channel, (), target.id)
        return self._room.line_for(ticket.groups, ticket.channel, ticket.requirement)

    def _place(self, ticket: Ticket) -> int:
        """Put a waiting ticket in its line; return its position there."""
        ticket.line = self._line_of(ticket)
        position = self._room.push(ticket)
        if self._updates is not None:
            self._watch(ticket)
        return position

    def _vacate(
        self, op: OperatorState, now: float, events: list[Event], *, removing: bool
    ) -> list[Ticket]:
        """``op`` leaves: rescind its offers and requeue what it holds, with the
        original waiting start, except what its groups keep for it. Returns the
        conversations that wait again."""
        back: list[Ticket] = []
        for ticket in [t for t in op.conversations.values() if t.state is OFFERED]:
            op.release(ticket, now)
            del ticket.offers[op.id]
            self._record(
                events, OfferRescinded, ticket, now, operator_id=op.id, reason="operator_left"
            )
            if not ticket.offers:
                ticket.state = QUEUED
                self._place(ticket)
                self._schedule_waiting(ticket)
                back.append(ticket)
        for line in list(self._room.personal_of(op.id)):
            for ticket in list(line):
                self._unreserve(ticket, "operator_left", now, events)
                back.append(ticket)
        requeued: list[Ticket] = []
        for ticket in list(op.conversations.values()):
            if ticket.state is HELD:
                # The customer is not waiting: free the slot, remember who held it.
                self._release(ticket, "operator_left", now, events)
                continue
            keep = self._groups[ticket.group].keep_on_leave
            if keep and not removing:
                if math.isfinite(keep):
                    self._schedule(now + keep, LEAVE, ticket, op, now)
                continue
            self._requeue(ticket, op, now)
            requeued.append(ticket)
        # Positions are read once all are back, so none is stale.
        for ticket in requeued:
            self._record_requeued(ticket, op, now, events)
        return back + requeued

    def _requeue(self, ticket: Ticket, op: OperatorState, now: float) -> None:
        require(ticket.state, "requeue", ticket.id)
        op.release(ticket, now)
        ticket.state = QUEUED
        ticket.operator = None
        ticket.assigned_at = None
        ticket.held_for = 0.0
        # Time with an operator is not time waiting: its group's overflow timer restarts.
        ticket.entered_at = now
        self._place(ticket)
        self._schedule_waiting(ticket)

    def _record_requeued(
        self, ticket: Ticket, op: OperatorState, now: float, events: list[Event]
    ) -> None:
        position = ticket.line.position(ticket)
        waited = now - ticket.enqueued_at
        self._record(
            events, Requeued, ticket, now, operator_id=op.id, position=position, waited=waited
        )
        self._told(ticket, position, now)

    def _route_requeued(self, tickets: list[Ticket], now: float, events: list[Event]) -> None:
        """Offer conversations that wait again to other free operators, best first."""
        for ticket in sorted(tickets, key=_order):
            self._back_in_line(ticket, now, events)

    def _back_in_line(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """A conversation waits again: route it (after any relaxation step due), else
        overflow if nobody of its group is ONLINE."""
        if self._relax_timers and self._relax_timers[0][0] <= now:
            self._catch_up(now, events)
        self._route_waiting(ticket, now, events)
        self._on_arrival(ticket, now, events, arriving=False)

    def _route_waiting(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """Give a waiting ticket to free operators, if it heads its line."""
        line = ticket.line
        # Only a line's head can go; behind an older head nobody is free anyway.
        if ticket.state is not QUEUED or line.head() is not ticket:
            return
        target = ticket.reserved_for
        if target is None:
            want = _wanted(self._groups[ticket.group])
            picks = self._pick(ticket.groups, ticket.conversation, ticket.declined, want)
        elif target.free and target.fits(ticket.channel):
            via = self._via(ticket.groups, target)
            assert via is not None
            picks = [(target, via)]
        else:
            return
        if picks:
            self._room.pop_head(line)
            self._estimator.departed(line.key, now)
            self._give(ticket, picks, now, events)

    # -- policies: overflow ------------------------------------------------------------

    def _on_arrival(
        self, ticket: Ticket, now: float, events: list[Event], *, arriving: bool = True
    ) -> None:
        """A conversation just queued in its group: overflow at once if the queue
        is too long (for new arrivals) or nobody of the group is ONLINE."""
        group = self._groups[ticket.group]
        overflow = group.overflow
        if overflow is None or ticket.state is not QUEUED:
            return
        if (
            arriving
            and overflow.queue_over is not None
            and self._room.count(group.id) > overflow.queue_over
        ):
            self._escalate(ticket, "queue_over", now, events)
        elif overflow.when_nobody_online and not self._online[group.id]:
            self._escalate(ticket, "nobody_online", now, events)

    def _escalate(self, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
        """Move a waiting ticket to its group's overflow group, keeping its waiting
        start; then route it there, and let that group's own triggers act."""
        source = self._groups[ticket.group]
        assert source.overflow is not None
        target = self._groups[source.overflow.to]
        if ticket.reserved_for is not None:
            operator_id = ticket.reserved_for.id
            ticket.reserved_for = None
            # No place here: Escalated tells it.
            self._fall_back(ticket, operator_id, "escalated", None, now, events)
        self._room.remove(ticket)
        self._count_live(ticket, -1)
        groups = (*ticket.groups, target.id) if source.overflow.keep else (target.id,)
        ticket.groups = groups
        ticket.moved(group=target.id)
        if ticket.record is not None:
            ticket.record.moved(target.id)
        ticket.entered_at = now
        self._count_live(ticket, 1)
        priority = ticket.submitted.priority
        ticket.key = (*target.order(priority, ticket.enqueued_at, ticket.seq), ticket)
        position = self._place(ticket)
        self._record(
            events, Escalated, ticket, now, from_group=source.id, reason=reason, position=position
        )
        self._told(ticket, position, now)
        self._schedule_waiting(ticket, relax=False)
        self._route_waiting(ticket, now, events)
        self._on_arrival(ticket, now, events)

    def _count_online(
        self,
        groups: Iterable[str],
        delta: int,
        now: float = 0.0,
        events: list[Event] | None = None,
    ) -> None:
        """Count operators coming ONLINE in (or leaving) ``groups``; when a group's
        last one leaves, its waiting work overflows if its policy says so."""
        online = self._online
        for group_id in sorted(groups):
            online[group_id] += delta
            if online[group_id] or events is None:
                continue
            overflow = self._groups[group_id].overflow
            if overflow is not None and overflow.when_nobody_online:
                waiting = [
                    ticket
                    for line in self._room.all_lines_of(group_id)
                    if line.group == group_id
                    for ticket in line
                ]
                for ticket in sorted(waiting, key=_order):
                    if ticket.state is QUEUED and ticket.group == group_id:
                        self._escalate(ticket, "nobody_online", now, events)

    # -- continuity: waiting for one operator, telling positions -------------------------

    def _unreserve(self, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
        """A ticket waiting for one operator alone joins its group's line, where
        anyone eligible may take it; the caller routes it."""
        target = ticket.reserved_for
        assert target is not None
        ticket.reserved_for = None
        # Same groups and channel: only the line changes, not the counts.
        position = self._room.move(ticket, self._line_of(ticket))
        self._fall_back(ticket, target.id, reason, position, now, events)
        self._told(ticket, position, now)

    def _told(self, ticket: Ticket, position: int, now: float) -> None:
        """The host was told the ticket's place in line."""
        ticket.told = position
        ticket.told_at = now
        if self._updates is not None:
            self._watch(ticket, position)

    def _goal(self, ticket: Ticket) -> int:
        """The place a waiting ticket must reach to be told again: ``places`` better
        than it was told, or the head of its line."""
        assert self._updates is not None
        return max(1, ticket.told - self._updates.places)

    def _watch(self, ticket: Ticket, position: int | None = None) -> None:
        """Watch a waiting ticket (at ``position``, if the caller knows it) until
        enough have left its line for it to have reached its goal."""
        if ticket.told <= 1:
            return
        line = ticket.line
        goal = self._goal(ticket)
        if position is None:
            position = line.position(ticket)
        self._timer_count += 1
        ticket.watch_stamp = stamp = self._timer_count
        heapq.heappush(line.watch, (line.departures + position - goal, ticket.seq, stamp, ticket))
        if position <= goal:
            self._room.due.append(line)

    def _tell_positions(self, now: float, events: list[Event]) -> None:
        """Check the watched tickets of lines that lost someone; tell those that
        moved up enough, in submission order (the order does not depend on when
        they were last checked, so a restored Router tells the same)."""
        room = self._room
        ready, room.ready = room.ready, []
        while room.due:
            lines, room.due = room.due, []
            for line in lines:
                watch = line.watch
                while watch and watch[0][0] <= line.departures:
                    _, _, stamp, ticket = heapq.heappop(watch)
                    if (
                        ticket.state is QUEUED
                        and ticket.line is line
                        and ticket.watch_stamp == stamp
                    ):
                        ticket.watch_stamp = 0
                        ready.append(ticket)
        ready.sort(key=_seq)
        for ticket in ready:
            self._check_position(ticket, now, events)

    def _check_position(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """Tell a ticket its new place if it moved up enough and was not told too
        recently; else wait for more departures, or for the time to pass."""
        updates = self._updates
        assert updates is not None
        if ticket.told <= 1:
            return  # at the head already: nothing better to tell
        position = ticket.line.position(ticket)
        if position > self._goal(ticket):
            self._watch(ticket, position)
            return
        due = ticket.told_at + updates.seconds
        if due > now:
            self._defer_telling(ticket, due)
            return
        self._record(
            events,
            PositionChanged,
            ticket,
            now,
            position=position,
            previous_position=ticket.told,
            estimated_wait=self._estimate(ticket, position, now),
        )
        self._told(ticket, position, now)

    def _defer_telling(self, ticket: Ticket, due: float) -> None:
        """Tell the ticket its place at ``due``, not before (``PositionUpdates.seconds``)."""
        self._timer_count += 1
        ticket.watch_stamp = stamp = self._timer_count
        self._schedule(due, NOTIFY, ticket, ticket.line, stamp)

    def _rewatch(self) -> None:
        """Start watching every waiting ticket afresh (the settings changed)."""
        for line in {id(t.line): t.line for t in self._tickets.values()}.values():
            line.watch.clear()
        self._room.due = []
        self._room.ready = []
        if self._updates is None:
            return
        for ticket in self._tickets.values():
            if ticket.state is QUEUED:
                self._watch(ticket)

    # -- timers ------------------------------------------------------------------------

    def _schedule(
        self, due: float, kind: int, ticket: Ticket, subject: Any = None, stamp: float = 0.0
    ) -> None:
        self._timer_count += 1
        joined = subject.joined if isinstance(subject, OperatorState) else 0
        timer = (due, kind, ticket.seq, joined, self._timer_count, ticket, subject, stamp)
        heapq.heappush(self._relax_timers if kind == RELAX else self._timers, timer)

    def _schedule_waiting(self, ticket: Ticket, *, relax: bool = True) -> None:
        """The timers of a conversation that (again) waits: its next relaxation
        step and its group's overflow after a wait."""
        if relax:
            self._schedule_relax(ticket)
        overflow = self._groups[ticket.group].overflow
        if overflow is not None and overflow.after is not None:
            due = ticket.entered_at + overflow.after
            self._schedule(due, OVERFLOW, ticket, ticket.group, ticket.entered_at)

    def _schedule_relax(self, ticket: Ticket) -> None:
        """The timer of the ticket's next relaxation step, if it has one left."""
        steps = ticket.submitted.relax
        if ticket.step < len(steps):
            self._schedule(ticket.enqueued_at + steps[ticket.step].after, RELAX, ticket)

    def _catch_up(self, now: float, events: list[Event]) -> None:
        """Apply the relaxation steps that are due."""
        timers = self._relax_timers
        while timers and timers[0][0] <= now:
            ticket = heapq.heappop(timers)[5]
            if ticket.state is QUEUED:
                step = ticket.due_step(now)
                if step > ticket.step:
                    self._relax(ticket, step, now, events)

    def _live(self, timer: Timer, now: float) -> bool:
        """Whether the timer still applies to its ticket as it is now."""
        _, kind, _, _, _, ticket, subject, stamp = timer
        state = ticket.state
        if kind == RELAX:
            return state is QUEUED and ticket.due_step(now) > ticket.step
        if kind == OVERFLOW:
            return state is QUEUED and ticket.group == subject and ticket.entered_at == stamp
        if kind == OFFER:
            return state is OFFERED and ticket.offered_at == stamp
        if kind == AFFINITY:
            return (
                state is QUEUED
                and ticket.reserved_for is subject
                and ticket.reserved_until == stamp
            )
        if kind == RELEASE:
            return state is HELD and ticket.held_at == stamp
        if kind == NOTIFY:
            return (
                state is QUEUED
                and ticket.line is subject
                and ticket.watch_stamp == stamp
                and self._updates is not None
            )
        op: OperatorState = subject
        return (
            state is ASSIGNED
            and ticket.operator is op
            and op.status is OFFLINE
            and op.status_since == stamp
            and self._operators.get(op.id) is op
        )

    def _fire(self, timer: Timer, now: float, events: list[Event]) -> None:
        _, kind, _, _, _, ticket, subject, _ = timer
        if kind == RELAX:
            self._relax(ticket, ticket.due_step(now), now, events)
        elif kind == OVERFLOW:
            self._escalate(ticket, "after", now, events)
        elif kind == OFFER:
            self._expire(ticket, now, events)
        elif kind == AFFINITY:
            self._unreserve(ticket, "timeout", now, events)
            self._back_in_line(ticket, now, events)
        elif kind == RELEASE:
            op = ticket.operator
            assert op is not None
            self._release(ticket, "grace", now, events)
            self._refill(op, now, events)
        elif kind == NOTIFY:
            # Told at the end of the call, with the place it has then.
            ticket.watch_stamp = 0
            self._room.ready.append(ticket)
        else:
            self._requeue(ticket, subject, now)
            self._record_requeued(ticket, subject, now, events)
            self._back_in_line(ticket, now, events)

    def _relax(self, ticket: Ticket, step: int, now: float, events: list[Event]) -> None:
        """Move a waiting ticket to the line of relaxation ``step``, now due."""
        ticket.moved(step=step)
        target = ticket.reserved_for
        if target is None:  # a personal line holds any requirement its operator meets
            # Same groups and channel: only the line changes, not the counts.
            self._room.move(ticket, self._line_of(ticket))
            if self._updates is not None:
                self._watch(ticket)
        requires = ticket.requirement_at(step)
        self._record(events, Relaxed, ticket, now, requires=requires, step=step)
        if target is not None and not meets(target.operator.skills, ticket.requirement):
            # A step may ask for another skill, one its operator lacks.
            self._unreserve(ticket, "unavailable", now, events)
        self._schedule_relax(ticket)
        self._route_waiting(ticket, now, events)

    def _expire(self, ticket: Ticket, now: float, events: list[Event]) -> None:
        """Nobody answered the offers in time: they expire, the operators may be set
        AWAY, and the conversation goes to the next operator."""
        ops = self._sorted_offers(ticket)
        ticket.offers = NO_OFFERS
        ticket.declined |= {op.id for op in ops}
        for op in ops:
            op.release(ticket, now)
            op.missed += 1
            self._record(events, OfferExpired, ticket, now, operator_id=op.id)
        policy = self._groups[ticket.group].offers
        assert policy is not None
        away_after = policy.away_after
        for op in ops:
            if away_after is not None and op.missed >= away_after and op.status is ONLINE:
                self._change_status(op, AWAY, now, events)
        self._withdraw(ticket, now, events)
        for op in ops:
            self._refill(op, now, events)
