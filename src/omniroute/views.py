"""Read-only answers to "where is this operator / conversation now?".

Each is a frozen copy taken when asked; it does not change as the Router works.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from omniroute.lifecycle import ConversationState
from omniroute.model import Conversation, Operator, Status

__all__ = ["ConversationInfo", "OperatorInfo"]


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
