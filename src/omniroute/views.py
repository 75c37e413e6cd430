"""Read-only answers to "where is this operator / conversation now?".

Each is a frozen copy taken when asked; it does not change as the Router works.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from omniroute.conversation import Conversation
from omniroute.lifecycle import ConversationState
from omniroute.model import Operator, Status
from omniroute.state import OperatorState, Ticket

__all__ = ["ConversationInfo", "OperatorInfo", "conversation_info", "operator_info"]

QUEUED = ConversationState.QUEUED
OFFERED = ConversationState.OFFERED


@attrs.frozen(kw_only=True)
class OperatorInfo:
    """An operator's definition, status and current load."""

    operator: Operator
    status: Status
    status_since: float
    conversations: tuple[str, ...]
    """Ids of the conversations held (offers included), in the order they came."""
    offers: tuple[str, ...]
    """Ids of the conversations offered to them and not yet answered."""
    active_by_channel: Mapping[str, int]
    units_used: int
    utilisation: float
    idle_since: float

    @property
    def id(self) -> str:
        return self.operator.id

    @property
    def active(self) -> int:
        return len(self.conversations)


@attrs.frozen(kw_only=True)
class ConversationInfo:
    """A live conversation: where it is, since when, and its place if it waits."""

    conversation: Conversation
    state: ConversationState
    enqueued_at: float
    """When it started waiting; kept when an OFFLINE operator's work is requeued."""
    operator_id: str | None
    assigned_at: float | None
    position: int | None
    """1-based place in its line while QUEUED, else None."""
    offered_to: tuple[str, ...] = ()
    """The operators it is offered to, while OFFERED."""
    waiting_for: str | None = None
    """The operator it waits for alone, while QUEUED for them (affinity, a resume,
    a transfer)."""
    held_at: float | None = None
    """When it was put on hold, while HELD or RELEASED."""
    held_by: str | None = None
    """Who held it, while RELEASED (it no longer uses their slot)."""

    @property
    def id(self) -> str:
        return self.conversation.id


def operator_info(op: OperatorState) -> OperatorInfo:
    """A read-only copy of an operator's state now."""
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


def conversation_info(ticket: Ticket) -> ConversationInfo:
    """A read-only copy of a live conversation's state now."""
    return ConversationInfo(
        conversation=ticket.conversation,
        state=ticket.state,
        enqueued_at=ticket.enqueued_at,
        operator_id=ticket.operator.id if ticket.operator is not None else None,
        assigned_at=ticket.assigned_at,
        position=ticket.line.position(ticket.key) if ticket.state is QUEUED else None,
        offered_to=tuple(op.id for op in ticket.offered_in_order()),
        waiting_for=None if ticket.reserved_for is None else ticket.reserved_for.id,
        held_at=ticket.held_at,
        held_by=ticket.held_by,
    )
