"""The Router's live records: one per conversation, one per operator. Private to the
Router and its layers.

Plain slotted classes rather than attrs: they change on every routing decision and
are read on the hot path. A conversation's record (:class:`Ticket`) carries what
every layer keeps of it, statistics included, so no layer keeps a second record
looked up by id. Its state changes only through :meth:`Ticket.move`, which applies
the table of :mod:`omniroute.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from omniroute.capacity import Capacity, channels_differ
from omniroute.conversation import Conversation
from omniroute.lifecycle import AFTER, ConversationState, illegal
from omniroute.model import Operator, Status
from omniroute.queue import Line
from omniroute.skills import Requirement, meets

if TYPE_CHECKING:
    from omniroute.history import Record
    from omniroute.strategies.base import Strategy

__all__ = ["NOBODY", "NO_OFFERS", "OperatorState", "Ticket"]

NO_OFFERS: dict[str, OperatorState] = {}
NOBODY: frozenset[str] = frozenset()
QUEUED = ConversationState.QUEUED
ONLINE = Status.ONLINE


class Ticket:
    """A live conversation: where it is, since when, and what each layer keeps of it.

    ``submitted`` is the conversation as it entered (or was handed off to) its
    first group; ``conversation`` is its current form: its group after any
    overflow and its required skills after any relaxation. Strategies see the
    current form.
    """

    __slots__ = (
        # the lifecycle
        "_current",
        # the contact, as the statistics count it (omniroute.metrics)
        "answered",
        "assigned_at",
        "channel",
        "contact_start",
        "count_key",
        # offers
        "declined",
        "enqueued_at",
        "entered_at",
        "group",
        "groups",
        "handled",
        # waiting on the customer
        "held_at",
        "held_by",
        "held_for",
        "hold_since",
        "hold_total",
        "id",
        "key",
        "line",
        "offered_at",
        "offers",
        "operator",
        # continuity: waiting for one operator, the customer's history
        "record",
        "requirement",
        "reserved_for",
        "reserved_until",
        "responded",
        "seq",
        "slot_since",
        "stat_offers",
        "stat_operator",
        "state",
        "step",
        "submitted",
        # position telling
        "told",
        "told_at",
        "wait_key",
        "wait_since",
        "waiting",
        "watch_stamp",
    )

    # The contact, set only while statistics are kept (see the end of __init__).
    count_key: tuple[str, str]
    wait_key: tuple[str, str]
    contact_start: float
    wait_since: float
    waiting: bool
    answered: bool
    stat_operator: str | None
    stat_offers: set[str] | None
    slot_since: float | None
    handled: float
    hold_since: float | None
    hold_total: float

    def __init__(
        self,
        conversation: Conversation,
        seq: int,
        now: float,
        line: Line[Ticket],
        order: tuple[int, float, int],
        state: ConversationState = QUEUED,
    ) -> None:
        self.submitted = conversation
        self._current: Conversation | None = conversation
        self.requirement = conversation.requirement  # the current one: it picks the line
        self.id = conversation.id
        self.group = group = conversation.group
        self.groups: tuple[str, ...] = (group,)
        self.channel = conversation.channel
        self.seq = seq
        self.enqueued_at = now
        self.entered_at = now  # when it joined its current group
        self.step = 0  # how many relaxation steps have applied
        self.key: tuple[int, float, int, Ticket] = (*order, self)
        self.line = line
        self.state = state  # a new one waits; one rebuilt from a snapshot is anywhere
        self.operator: OperatorState | None = None
        self.assigned_at: float | None = None
        # Pending offers, while OFFERED; a fresh dict each time it is offered, so the
        # shared empty one is never changed.
        self.offers: dict[str, OperatorState] = NO_OFFERS
        self.offered_at = 0.0
        self.declined: frozenset[str] = NOBODY  # who rejected it or let it expire
        # While it waits for one operator alone (affinity, resume, transfer): whom, and
        # until when (math.inf: as long as they stay ONLINE or AWAY).
        self.reserved_for: OperatorState | None = None
        self.reserved_until = 0.0
        self.record: Record | None = None  # its entry in its customer's history
        # While HELD or RELEASED: since when, and (RELEASED) who held it.
        self.held_at: float | None = None
        self.held_by: str | None = None
        self.held_for = 0.0  # seconds on hold since it was last assigned
        # The last place in line the host was told (0: none yet), and when.
        self.told = 0
        self.told_at = 0.0
        self.watch_stamp = 0  # which entry of its line's watch is current
        self.responded = False  # whether an operator replied in this contact yet
        # The contact (answered, contact_start, count_key ... waiting) is set by the
        # statistics when they count its Submitted (omniroute.tallies.start_contact),
        # so a Router without statistics never pays for it.

    def move(self, action: str) -> ConversationState:
        """Apply ``action`` to the state, as ``lifecycle.MOVES`` says; raises
        :class:`~omniroute.InvalidTransition` if the table has no such move."""
        after = AFTER[action].get(self.state)
        if after is None:
            raise illegal(self.state, action, self.id)
        self.state = after
        return after

    def offered_in_order(self) -> list[OperatorState]:
        """The operators it is offered to, in the order they joined."""
        if not self.offers:
            return []
        return sorted(self.offers.values(), key=_joined)

    @property
    def conversation(self) -> Conversation:
        """Its current form, built when first asked after an overflow or a
        relaxation step: most steps fire deep in a queue, where nobody asks."""
        current = self._current
        if current is None:
            submitted = self.submitted
            step = self.step
            current = self._current = submitted.routed(
                group=None if self.group == submitted.group else self.group,
                requires=None if step == 0 else submitted.relax[step - 1].requires,
            )
        return current

    @conversation.setter
    def conversation(self, value: Conversation) -> None:
        self._current = value
        self.requirement = value.requirement

    def moved(self, group: str | None = None, step: int | None = None) -> None:
        """It overflowed to ``group`` or reached relaxation ``step``."""
        if group is not None:
            self.group = group
        if step is not None:
            self.step = step
            submitted = self.submitted
            self.requirement = (
                submitted.relax[step - 1].requirement if step else submitted.requirement
            )
        self._current = None

    @property
    def order(self) -> tuple[int, float, int]:
        """The line key without the ticket itself: comparable across lines."""
        return self.key[:3]

    def requirement_at(self, step: int) -> Mapping[str, int]:
        """The required skills after ``step`` relaxations."""
        submitted = self.submitted
        return submitted.requires if step == 0 else submitted.relax[step - 1].requires

    def due_step(self, now: float) -> int:
        """How many relaxation steps apply after waiting until ``now``."""
        # Compare the moment, as the timer was set (enqueued_at + after): ``now -
        # enqueued_at`` may round below ``after`` at that very moment, and the
        # timer would then be dropped as not yet due.
        start = self.enqueued_at
        step = self.step
        relax = self.submitted.relax
        while step < len(relax) and start + relax[step].after <= now:
            step += 1
        return step


class LoadWatcher(Protocol):
    """A built-in strategy with per-channel views: told of each load change."""

    def refit(self, operator: OperatorState) -> None: ...


class OperatorState:
    """A live operator; it is also the read-only ``OperatorView`` strategies get.

    ``limit`` is the operator's ``total`` when that is their only limit (the common
    case): then whether a channel fits is one comparison, decided when the capacity
    is set rather than on every decision.
    """

    __slots__ = (
        "active_by_channel",
        "capacity",
        "conversations",
        "free",
        "has_room",
        "holds_exclusive",
        "id",
        "idle_since",
        "joined",
        "limit",
        "lines",
        "lines_version",
        "missed",
        "n_active",
        "operator",
        "status",
        "status_since",
        "strategies",
        "units_used",
        "utilisation",
        "watchers",
    )

    def __init__(self, operator: Operator, joined: int, now: float) -> None:
        # OperatorView, read by strategies: plain attributes, read on every decision.
        self.id: str = operator.id
        self.joined = joined
        self.idle_since = now
        self.utilisation = 0.0
        self.has_room = True
        self.operator = operator
        self.capacity: Capacity = operator.capacity
        self.limit = _only_total(operator.capacity)
        self.status = Status.OFFLINE
        self.status_since = now
        self.n_active = 0
        self.active_by_channel: dict[str, int] = {}
        self.units_used = 0
        self.holds_exclusive = 0
        # conversation id → ticket, in the order they were assigned
        self.conversations: dict[str, Ticket] = {}
        # True while the operator sits in its groups' strategy indexes
        self.free = False
        self.strategies: list[Strategy] = []
        # Built-in strategies that keep per-channel views of them, when channels
        # differ for them: told of each load change at once, as what fits changes.
        self.watchers: list[LoadWatcher] = []
        # the waiting lines this operator's groups and skills make eligible, cached
        self.lines: list[Line[Ticket]] = []
        self.lines_version = -1
        self.missed = 0  # offers in a row that expired unanswered
        self._measure()

    # -- OperatorView -------------------------------------------------------------

    @property
    def skills(self) -> Mapping[str, int]:
        return self.operator.skills

    @property
    def active(self) -> int:
        return self.n_active

    # -- load bookkeeping ---------------------------------------------------------

    def _measure(self) -> None:
        """Recompute what follows from the load, once per change rather than per read."""
        limit = self.limit
        if limit is not None:
            self.utilisation = self.n_active / limit
            self.has_room = self.n_active < limit
            return
        capacity = self.capacity
        # An exclusive conversation blocks everything else: the operator is full.
        if self.holds_exclusive > 0:
            self.utilisation = 1.0
            self.has_room = False
        else:
            self.utilisation = capacity.utilisation(self.n_active, self.units_used)
            self.has_room = capacity.has_room(self.n_active, self.units_used, False)

    def can_receive(self) -> bool:
        """ONLINE with room for some channel: what puts it in strategy indexes."""
        return self.status is ONLINE and self.has_room

    def fits(self, channel: str) -> bool:
        """Whether one more conversation on ``channel`` fits their limits now."""
        limit = self.limit
        if limit is not None:
            return self.n_active < limit
        return self.capacity.fits(
            channel,
            self.n_active,
            self.active_by_channel,
            self.units_used,
            self.holds_exclusive > 0,
        )

    def take(self, ticket: Ticket) -> None:
        channel = ticket.channel
        self.conversations[ticket.id] = ticket
        self.n_active = n = self.n_active + 1
        by_channel = self.active_by_channel
        by_channel[channel] = by_channel.get(channel, 0) + 1
        limit = self.limit
        if limit is not None:
            self.utilisation = n / limit
            self.has_room = n < limit
            return
        capacity = self.capacity
        if capacity.units is not None:
            self.units_used += capacity.cost[channel]
        if channel in capacity.exclusive:
            self.holds_exclusive += 1
        self._measure()
        for strategy in self.watchers:
            strategy.refit(self)

    def release(self, ticket: Ticket, now: float) -> None:
        channel = ticket.channel
        del self.conversations[ticket.id]
        self.n_active = n = self.n_active - 1
        self.active_by_channel[channel] -= 1
        self.idle_since = now
        limit = self.limit
        if limit is not None:
            self.utilisation = n / limit
            self.has_room = n < limit
            return
        capacity = self.capacity
        if capacity.units is not None:
            self.units_used -= capacity.cost[channel]
        if channel in capacity.exclusive:
            self.holds_exclusive -= 1
        self._measure()
        for strategy in self.watchers:
            strategy.refit(self)

    def replace(self, operator: Operator) -> None:
        """Swap in a new definition; the caller checked the load fits its capacity."""
        self.operator = operator
        self.capacity = capacity = operator.capacity
        self.limit = _only_total(capacity)
        self.units_used = sum(capacity.cost_of(t.channel) for t in self.conversations.values())
        self.holds_exclusive = sum(
            t.channel in capacity.exclusive for t in self.conversations.values()
        )
        self._measure()
        self.lines_version = -1

    def came_online(self, now: float) -> None:
        self.idle_since = now

    def restore_idle(self, idle_since: float) -> None:
        """Set when they were last idle, from a snapshot."""
        self.idle_since = idle_since

    # -- eligibility: the one definition ------------------------------------------

    def eligible(self, group: str, requirement: Requirement) -> bool:
        """Whether they may ever take a conversation of ``group`` that requires
        ``requirement``: they serve the group and have the skills."""
        operator = self.operator
        return group in operator.groups and (not requirement or meets(operator.skills, requirement))

    def may_take(self, group: str, channel: str, requirement: Requirement) -> bool:
        """Whether they may take such a conversation on ``channel`` now: free to
        receive work (ONLINE with room), the channel fits their limits, and
        :meth:`eligible`. What every decision, and every check of one, asks."""
        return self.free and self.fits(channel) and self.eligible(group, requirement)

    def serves(self, groups: tuple[str, ...], requirement: Requirement = ()) -> str | None:
        """The first of ``groups`` through which they are :meth:`eligible`, or None."""
        for group in groups:
            if self.eligible(group, requirement):
                return group
        return None


def _only_total(capacity: Capacity) -> int | None:
    """``capacity.total`` when it is the only limit, else None."""
    return None if channels_differ(capacity) else capacity.total


def _joined(op: OperatorState) -> int:
    return op.joined
