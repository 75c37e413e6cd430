"""What happened: the events every mutating Router call returns.

Events are frozen, keyword-only value objects. ``seq`` numbers them in the order the
Router produced them (one counter per Router, never reused); ``time`` is the Router's
clock when it happened. Waiting and handling times are in the clock's seconds.
"""

from __future__ import annotations

import attrs

from omniroute.model import Operator, Status

__all__ = [
    "Abandoned",
    "Assigned",
    "ConversationEvent",
    "Event",
    "Finished",
    "GroupAdded",
    "GroupRemoved",
    "OperatorAdded",
    "OperatorRemoved",
    "OperatorUpdated",
    "Queued",
    "Requeued",
    "StatusChanged",
]


@attrs.frozen(kw_only=True)
class Event:
    """Fields every event has."""

    seq: int
    time: float


@attrs.frozen(kw_only=True)
class ConversationEvent(Event):
    """Fields every event about one conversation has."""

    conversation_id: str
    group: str
    channel: str


@attrs.frozen(kw_only=True)
class Queued(ConversationEvent):
    """A submitted conversation found nobody free and waits at ``position`` (1-based)."""

    position: int


@attrs.frozen(kw_only=True)
class Assigned(ConversationEvent):
    """A conversation was given to an operator after waiting ``waited`` seconds."""

    operator_id: str
    waited: float


@attrs.frozen(kw_only=True)
class Requeued(ConversationEvent):
    """An operator went OFFLINE or was removed; their conversation waits again.

    It keeps its original waiting start, so it goes back ahead of later arrivals;
    ``waited`` counts from that start.
    """

    operator_id: str
    position: int
    waited: float


@attrs.frozen(kw_only=True)
class Finished(ConversationEvent):
    """The operator finished a conversation after handling it ``handle_time`` seconds."""

    operator_id: str
    handle_time: float


@attrs.frozen(kw_only=True)
class Abandoned(ConversationEvent):
    """The customer left while waiting, after ``waited`` seconds."""

    waited: float


@attrs.frozen(kw_only=True)
class StatusChanged(Event):
    """An operator's status changed from ``previous`` to ``status``."""

    operator_id: str
    previous: Status
    status: Status


@attrs.frozen(kw_only=True)
class OperatorAdded(Event):
    """An operator joined the Router (OFFLINE until told otherwise)."""

    operator: Operator


@attrs.frozen(kw_only=True)
class OperatorUpdated(Event):
    """An operator's groups, skills or capacity were replaced."""

    operator: Operator


@attrs.frozen(kw_only=True)
class OperatorRemoved(Event):
    """An operator left the Router."""

    operator_id: str


@attrs.frozen(kw_only=True)
class GroupAdded(Event):
    """A group was added, with the name of its strategy."""

    group: str
    strategy: str


@attrs.frozen(kw_only=True)
class GroupRemoved(Event):
    """A group was removed."""

    group: str
