"""What happened: the events every mutating Router call returns.

Events are frozen, keyword-only value objects. ``seq`` numbers them in the order the
Router produced them (one counter per Router, never reused, carried over by snapshots);
``time`` is the Router's clock when it happened. Waiting and handling times are in the
clock's seconds.

The first event of every mutating call names the call and carries its input
(``Submitted`` carries the conversation, ``OperatorAdded`` the operator…); the events
after it are its consequences. That is what lets a journal of events rebuild a Router
(:meth:`~omniroute.Router.replay`). ``as_dict`` and :meth:`Event.from_dict` turn
events into JSON-ready data and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from omniroute.codec import Decoder, encode_conversation, encode_operator
from omniroute.errors import JournalError
from omniroute.model import Conversation, Operator, Status

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
    "Submitted",
]


@attrs.frozen(kw_only=True)
class Event:
    """Fields every event has."""

    seq: int
    time: float

    starts_call: ClassVar[bool] = False
    """Whether this kind of event is the first of the call that caused it."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``{"type": "Assigned", "seq": 7, ...}``."""
        data: dict[str, Any] = {"type": type(self).__name__}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, Operator):
                value = encode_operator(value)
            elif isinstance(value, Conversation):
                value = encode_conversation(value)
            elif isinstance(value, Status):
                value = value.value
            data[field.name] = value
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Event:
        """The event ``as_dict`` described; raises :class:`~omniroute.JournalError`
        naming the field if the data is malformed."""
        decoder = Decoder(JournalError, "event")
        if not isinstance(data, Mapping):
            raise decoder.fail("", f"expected an object, got {type(data).__name__}")
        name = data.get("type")
        kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
        if kind is None:
            raise decoder.fail(
                f"seq {data.get('seq')!r}.type",
                f"unknown event type {data.get('type')!r}; known: {sorted(EVENT_TYPES)}",
            )
        names = tuple(field.name for field in attrs.fields(kind))
        path = f"{kind.__name__} seq {data.get('seq')!r}"
        record = decoder.record(data, path, ("type", *names))
        fields = {
            name: _FIELD_READERS[name](decoder, record[name], f"{path}.{name}") for name in names
        }
        return kind(**fields)


@attrs.frozen(kw_only=True)
class ConversationEvent(Event):
    """Fields every event about one conversation has."""

    conversation_id: str
    group: str
    channel: str


@attrs.frozen(kw_only=True)
class Submitted(ConversationEvent):
    """The host submitted ``conversation``; ``Queued`` or ``Assigned`` follows."""

    starts_call: ClassVar[bool] = True
    conversation: Conversation


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

    starts_call: ClassVar[bool] = True

    operator_id: str
    handle_time: float


@attrs.frozen(kw_only=True)
class Abandoned(ConversationEvent):
    """The customer left while waiting, after ``waited`` seconds."""

    starts_call: ClassVar[bool] = True

    waited: float


@attrs.frozen(kw_only=True)
class StatusChanged(Event):
    """An operator's status changed from ``previous`` to ``status``."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    previous: Status
    status: Status


@attrs.frozen(kw_only=True)
class OperatorAdded(Event):
    """An operator joined the Router (OFFLINE until told otherwise)."""

    starts_call: ClassVar[bool] = True

    operator: Operator


@attrs.frozen(kw_only=True)
class OperatorUpdated(Event):
    """An operator's groups, skills or capacity were replaced."""

    starts_call: ClassVar[bool] = True

    operator: Operator


@attrs.frozen(kw_only=True)
class OperatorRemoved(Event):
    """An operator left the Router; ``Requeued`` follows for what they held."""

    starts_call: ClassVar[bool] = True

    operator_id: str


@attrs.frozen(kw_only=True)
class GroupAdded(Event):
    """A group was added, with the name of its strategy."""

    starts_call: ClassVar[bool] = True

    group: str
    strategy: str


@attrs.frozen(kw_only=True)
class GroupRemoved(Event):
    """A group was removed."""

    starts_call: ClassVar[bool] = True

    group: str


EVENT_TYPES: dict[str, type[Event]] = {
    kind.__name__: kind
    for kind in (
        Submitted,
        Queued,
        Assigned,
        Requeued,
        Finished,
        Abandoned,
        StatusChanged,
        OperatorAdded,
        OperatorUpdated,
        OperatorRemoved,
        GroupAdded,
        GroupRemoved,
    )
}
"""Every concrete event type, by name."""

_FIELD_READERS: dict[str, Any] = {
    "seq": Decoder.integer,
    "time": Decoder.number,
    "conversation_id": Decoder.text,
    "group": Decoder.text,
    "channel": Decoder.text,
    "conversation": Decoder.conversation,
    "position": Decoder.integer,
    "operator_id": Decoder.text,
    "waited": Decoder.number,
    "handle_time": Decoder.number,
    "previous": Decoder.status,
    "status": Decoder.status,
    "operator": Decoder.operator,
    "strategy": Decoder.text,
}
