"""The Router's live records of operators and conversations. Private to the Router.

Plain slotted classes rather than attrs: they change on every routing decision and
are read on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from omniroute.lifecycle import ConversationState
from omniroute.model import Conversation, Operator, Status

if TYPE_CHECKING:
    from omniroute.capacity import Capacity
    from omniroute.history import Record
    from omniroute.queue import Line
    from omniroute.strategies.base import Strategy

# Lines order tickets by this key: the group's order (by default higher priority
# first, then earlier waiting start), then submission order. The ticket rides along;
# the order is unique, so tuple comparison never reaches it.
LineKey = tuple[int, float, int, "Ticket"]


NO_OFFERS: dict[str, OperatorState] = {}
NOBODY: frozenset[str] = frozenset()


class Ticket:
    """A live conversation: where it is and since when.

    ``submitted`` is the conversation as it entered (or was handed off to) its
    first group; ``conversation`` is its current form: its group after any
    overflow and its required skills after any relaxation. Strategies see the
    current form.
    """

    __slots__ = (
        "_current",
        "assigned_at",
        "channel",
        "declined",
        "enqueued_at",
        "entered_at",
        "group",
        "groups",
        "held_at",
        "held_by",
        "held_for",
        "id",
        "key",
        "line",
        "offered_at",
        "offers",
        "operator",
        "record",
        "requirement",
        "reserved_for",
        "reserved_until",
        "responded",
        "seq",
        "state",
        "step",
        "submitted",
        "told",
        "told_at",
        "watch_stamp",
    )

    def __init__(
        self,
        conversation: Conversation,
        seq: int,
        now: float,
        line: Line,
        order: tuple[int, float, int],
    ) -> None:
        self.submitted = conversation
        self._current: Conversation | None = conversation
        self.requirement = conversation.requirement  # the current one: it picks the line
        self.id = conversation.id
        self.group = conversation.group
        self.groups: tuple[str, ...] = (conversation.group,)
        self.channel = conversation.channel
        self.seq = seq
        self.enqueued_at = now
        self.entered_at = now  # when it joined its current group
        self.step = 0  # how many relaxation steps have applied
        self.key: LineKey = (*order, self)
        self.line = line
        self.state = ConversationState.QUEUED
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
        # While HELD or RELEASED: since when, and (RELEASED) who held it.
        self.held_at: float | None = None
        self.held_by: str | None = None
        self.held_for = 0.0  # seconds on hold since it was last assigned
        self.record: Record | None = None  # its entry in its customer's history
        # The last place in line the host was told (0: none yet), and when.
        self.told = 0
        self.told_at = 0.0
        self.watch_stamp = 0  # which entry of its line's watch is current
        self.responded = False  # whether an operator replied in this contact yet

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


class OperatorState:
    """A live operator; it is also the read-only ``OperatorView`` strategies get."""

    __slots__ = (
        "_id",
        "_idle_since",
        "_joined",
        "_utilisation",
        "active_by_channel",
        "capacity",
        "conversations",
        "free",
        "has_room",
        "holds_exclusive",
        "lines",
        "lines_version",
        "missed",
        "n_active",
        "operator",
        "status",
        "status_since",
        "strategies",
        "units_used",
    )

    def __init__(self, operator: Operator, joined: int, now: float) -> None:
        self._id = operator.id
        self._joined = joined
        self._idle_since = now
        self._utilisation = 0.0
        self.has_room = True
        self.operator = operator
        self.capacity: Capacity = operator.capacity
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
        # the waiting lines this operator's groups and skills make eligible, cached
        self.lines: list[Line] = []
        self.lines_version = -1
        self.missed = 0  # offers in a row that expired unanswered
        self._measure()

    # -- OperatorView -------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._id

    @property
    def skills(self) -> Mapping[str, int]:
        return self.operator.skills

    @property
    def active(self) -> int:
        return self.n_active

    @property
    def utilisation(self) -> float:
        return self._utilisation

    def _measure(self) -> None:
        """Recompute what follows from the load, once per change rather than per read."""
        capacity = self.capacity
        holds_exclusive = self.holds_exclusive > 0
        # An exclusive conversation blocks everything else: the operator is full.
        if holds_exclusive:
            self._utilisation = 1.0
            self.has_room = False
        else:
            self._utilisation = capacity.utilisation(self.n_active, self.units_used)
            self.has_room = capacity.has_room(self.n_active, self.units_used, False)

    @property
    def idle_since(self) -> float:
        return self._idle_since

    @property
    def joined(self) -> int:
        return self._joined

    # -- load bookkeeping (the Router calls these) --------------------------------

    def can_receive(self) -> bool:
        """ONLINE with room for some channel: what puts it in strategy indexes."""
        return self.status is Status.ONLINE and self.has_room

    def fits(self, channel: str) -> bool:
        return self.capacity.fits(
            channel,
            self.n_active,
            self.active_by_channel,
            self.units_used,
            self.holds_exclusive > 0,
        )

    def take(self, ticket: Ticket) -> None:
        channel = ticket.channel
        capacity = self.capacity
        self.conversations[ticket.id] = ticket
        self.n_active += 1
        self.active_by_channel[channel] = self.active_by_channel.get(channel, 0) + 1
        if capacity.units is not None:
            self.units_used += capacity.cost[channel]
        if channel in capacity.exclusive:
            self.holds_exclusive += 1
        self._measure()

    def release(self, ticket: Ticket, now: float) -> None:
        channel = ticket.channel
        capacity = self.capacity
        del self.conversations[ticket.id]
        self.n_active -= 1
        self.active_by_channel[channel] -= 1
        if capacity.units is not None:
            self.units_used -= capacity.cost[channel]
        if channel in capacity.exclusive:
            self.holds_exclusive -= 1
        self._measure()
        self._idle_since = now

    def replace(self, operator: Operator) -> None:
        """Swap in a new definition; the caller checked the load fits its capacity."""
        self.operator = operator
        self.capacity = operator.capacity
        self.units_used = sum(
            operator.capacity.cost_of(t.channel) for t in self.conversations.values()
        )
        self.holds_exclusive = sum(
            t.channel in operator.capacity.exclusive for t in self.conversations.values()
        )
        self._measure()
        self.lines_version = -1

    def came_online(self, now: float) -> None:
        self._idle_since = now
