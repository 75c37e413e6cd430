"""What happened: the events every mutating Router call returns.

Events are immutable, keyword-only value objects (tuples underneath, for speed). ``seq``
numbers them in the order the Router produced them (one counter per Router, never
reused, carried over by snapshots); ``time`` is the Router's clock when it happened.
Waiting and handling times are in the clock's seconds.

The first event of every mutating call names the call and carries its input
(``Submitted`` carries the conversation, ``OperatorAdded`` the operator…); the events
after it are its consequences. That is what lets a journal of events rebuild a Router
(:meth:`~omniroute.Router.replay`). ``as_dict`` and :meth:`Event.from_dict` turn
events into JSON-ready data and back.
"""

from __future__ import annotations

from collections import _tuplegetter  # type: ignore[attr-defined]
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, dataclass_transform

from omniroute.codec import DEFAULT_SETTINGS, Decoder, encode_conversation, encode_operator
from omniroute.errors import JournalError
from omniroute.model import Conversation, Operator, Status
from omniroute.rules import Rules, decode_rules, encode_rules

__all__ = [
    "Abandoned",
    "AffinityFallback",
    "Assigned",
    "Configured",
    "ConversationEvent",
    "Escalated",
    "Event",
    "Finished",
    "GroupAdded",
    "GroupRemoved",
    "HandedOff",
    "Held",
    "OfferAccepted",
    "OfferExpired",
    "OfferRejected",
    "OfferRescinded",
    "Offered",
    "OperatorAdded",
    "OperatorRemoved",
    "OperatorUpdated",
    "PositionChanged",
    "Queued",
    "Relaxed",
    "Released",
    "Requeued",
    "Responded",
    "Resumed",
    "RulesChanged",
    "StatusChanged",
    "Submitted",
    "Ticked",
    "Transferred",
]


@dataclass_transform(kw_only_default=True, frozen_default=True)
class _EventType(type):
    """Makes event classes: immutable tuples with named, typed fields.

    Each field annotated in a class body (``ClassVar`` ones aside) becomes a
    read-only property over one place of the tuple, after the fields of the base
    classes; a default in the class body becomes the default of the keyword-only
    constructor. Events are built on every routing decision, so they are tuples
    (``tuple.__new__`` in C, no per-field ``__setattr__``): ``benchmarks/bench_events.py``
    measures this against attrs and slotted classes.
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _EventType:
        inherited: tuple[str, ...] = ()
        defaults: dict[str, Any] = {}
        for base in bases:
            inherited = getattr(base, "_fields", inherited)
            defaults.update(getattr(base, "_defaults", {}))
        own = [
            field
            for field, annotation in namespace.get("__annotations__", {}).items()
            if not str(annotation).startswith(("ClassVar", "typing.ClassVar"))
        ]
        for field in own:
            if field in namespace:
                defaults[field] = namespace.pop(field)
        fields = (*inherited, *own)
        namespace["__slots__"] = ()
        namespace["_fields"] = fields
        namespace["_defaults"] = defaults
        namespace["__match_args__"] = fields
        cls = super().__new__(mcs, name, bases, namespace)
        for index, field in enumerate(fields):
            if field in own:
                setattr(cls, field, _tuplegetter(index, f"{name}.{field}"))
        cls.__new__ = staticmethod(_constructor(cls, fields, defaults))  # type: ignore[method-assign]
        return cls


def _constructor(cls: type, fields: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    """A ``__new__`` with one keyword-only argument per field, like attrs writes."""
    params = ", ".join(f"{f}=_defaults[{f!r}]" if f in defaults else f for f in fields)
    values = "".join(f"{f}, " for f in fields)
    source = f"def __new__(cls, *, {params}):\n    return _new(cls, ({values}))\n"
    scope: dict[str, Any] = {"_new": tuple.__new__, "_defaults": defaults}
    exec(source, scope)
    new = scope["__new__"]
    new.__qualname__ = f"{cls.__qualname__}.__new__"
    return new


def _rebuild(kind: type[Event], values: tuple[Any, ...]) -> Event:
    """Unpickle an event (``__reduce__``)."""
    return build(kind, values)


_E = TypeVar("_E", bound="Event")

if TYPE_CHECKING:
    _Storage = object

    def build(kind: type[_E], values: tuple[Any, ...]) -> _E:
        """An event of ``kind`` from its field values in order, without checks:
        the Router's fast way to make the events of a routing decision."""
        ...
else:
    _Storage = tuple
    build = tuple.__new__


class Event(_Storage, metaclass=_EventType):
    """Fields every event has.

    Events are immutable and compare equal when they are of the same type with equal
    fields. Build one with keywords: ``Ticked(seq=1, time=0.0)``.
    """

    seq: int
    time: float

    starts_call: ClassVar[bool] = False
    """Whether this kind of event is the first of the call that caused it."""

    _fields: ClassVar[tuple[str, ...]]
    _defaults: ClassVar[dict[str, Any]]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            # Not NotImplemented for tuples: a plain tuple would then compare its items.
            return False if isinstance(other, tuple) else NotImplemented
        return _tuple_eq(self, other)

    def __ne__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return True if isinstance(other, tuple) else NotImplemented
        return _tuple_ne(self, other)

    def __hash__(self) -> int:
        return hash((self.__class__, _tuple_hash(self)))

    def __lt__(self, other: object) -> bool:
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__

    def __repr__(self) -> str:
        values = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, _tuple_iter(self), strict=True)
        )
        return f"{self.__class__.__name__}({values})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.__class__, tuple(_tuple_iter(self))))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``{"type": "Assigned", "seq": 7, ...}``."""
        data: dict[str, Any] = {"type": type(self).__name__}
        for name, value in zip(self._fields, _tuple_iter(self), strict=True):
            if isinstance(value, Operator):
                value = encode_operator(value)
            elif isinstance(value, Conversation):
                value = encode_conversation(value)
            elif isinstance(value, Status):
                value = value.value
            elif isinstance(value, Rules):
                value = encode_rules(value)
            data[name] = value
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Event:
        """The event ``as_dict`` described; raises :class:`~omniroute.JournalError`
        naming the field if the data is malformed."""
        decoder = Decoder(JournalError, "event", upgrade=True)
        if not isinstance(data, Mapping):
            raise decoder.fail("", f"expected an object, got {type(data).__name__}")
        name = data.get("type")
        kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
        if kind is None:
            raise decoder.fail(
                f"seq {data.get('seq')!r}.type",
                f"unknown event type {data.get('type')!r}; known: {sorted(EVENT_TYPES)}",
            )
        names = kind._fields
        path = f"{kind.__name__} seq {data.get('seq')!r}"
        defaults = {name: _FIELD_DEFAULTS[name] for name in names if name in _FIELD_DEFAULTS}
        record = decoder.record(data, path, ("type", *names), defaults)
        own = _KIND_READERS.get(kind, {})
        fields = {
            name: own.get(name, _FIELD_READERS[name])(decoder, record[name], f"{path}.{name}")
            for name in names
        }
        return kind(**fields)


if TYPE_CHECKING:

    def _tuple_eq(a: object, b: object, /) -> bool: ...
    def _tuple_ne(a: object, b: object, /) -> bool: ...
    def _tuple_hash(a: object, /) -> int: ...
    def _tuple_iter(a: object, /) -> Iterator[Any]: ...
else:
    # tuple's own methods, reached past Event's overrides.
    _tuple_eq = tuple.__eq__
    _tuple_ne = tuple.__ne__
    _tuple_hash = tuple.__hash__
    _tuple_iter = tuple.__iter__


class ConversationEvent(Event):
    """Fields every event about one conversation has."""

    conversation_id: str
    group: str
    channel: str


class Submitted(ConversationEvent):
    """The host submitted ``conversation``; ``Queued`` or ``Assigned`` follows."""

    starts_call: ClassVar[bool] = True
    conversation: Conversation


class Queued(ConversationEvent):
    """A conversation found nobody free and waits at ``position`` (1-based).

    ``for_operator``: it waits for that operator alone (affinity, a resume or a
    transfer) until they take it or ``AffinityFallback``. ``estimated_wait``:
    seconds until it is taken, as :meth:`~omniroute.Router.estimated_wait` says
    (None: nobody ONLINE may take it, so no estimate).
    """

    position: int
    for_operator: str | None = None
    estimated_wait: float | None = None


class Assigned(ConversationEvent):
    """A conversation was given to an operator after waiting ``waited`` seconds."""

    operator_id: str
    waited: float


class Requeued(ConversationEvent):
    """An operator went OFFLINE or was removed; their conversation waits again.

    It keeps its original waiting start, so it goes back ahead of later arrivals;
    ``waited`` counts from that start.
    """

    operator_id: str
    position: int
    waited: float


class Relaxed(ConversationEvent):
    """A waiting conversation reached relaxation ``step`` (1-based): it now
    requires only ``requires``."""

    requires: Mapping[str, int]
    step: int


class Escalated(ConversationEvent):
    """A waiting conversation overflowed from ``from_group`` to ``group``.

    ``reason`` is ``"after"``, ``"queue_over"`` or ``"nobody_online"``. It keeps
    its original waiting start; ``position`` is its place in its new line.
    """

    from_group: str
    reason: str
    position: int


class Offered(ConversationEvent):
    """The conversation was offered to an operator, who holds a slot for it until
    they accept, reject, or the offer expires or is rescinded."""

    operator_id: str
    waited: float


class OfferAccepted(ConversationEvent):
    """The operator accepted the offer; ``Assigned`` follows."""

    starts_call: ClassVar[bool] = True

    operator_id: str


class OfferRejected(ConversationEvent):
    """The operator rejected the offer; the conversation goes to someone else."""

    starts_call: ClassVar[bool] = True

    operator_id: str


class OfferExpired(ConversationEvent):
    """The operator let the offer time out; the conversation goes to someone else."""

    operator_id: str


class OfferRescinded(ConversationEvent):
    """The Router withdrew an offer: ``reason`` is ``"accepted_by_other"``,
    ``"abandoned"`` or ``"operator_left"``."""

    operator_id: str
    reason: str


class HandedOff(ConversationEvent):
    """A bot (``operator_id``) handed the conversation from ``from_group`` to people in
    ``group``; its waiting time for them starts now. ``requires`` and ``priority``
    are the new values the host gave, if any."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    from_group: str
    reason: str
    requires: Mapping[str, int] | None
    priority: int | None


class Transferred(ConversationEvent):
    """The operator holding the conversation (``operator_id``) transferred it: to
    operator ``to_operator``, to group ``to_group``, or to that operator in that
    group. Its slot is free; ``Assigned`` (or ``Offered``) or ``Queued`` follows.
    ``group`` is its group now; ``wait`` is how long it waits for ``to_operator``
    alone (None: as long as they stay ONLINE or AWAY)."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    from_group: str
    to_operator: str | None
    to_group: str | None
    wait: float | None
    reason: str
    priority: int | None


class AffinityFallback(ConversationEvent):
    """The conversation stops waiting for operator ``operator_id`` alone: anyone
    eligible may now take it. ``reason``: ``"timeout"`` (they did not free up in
    time), ``"unavailable"`` (they cannot take it: OFFLINE, unknown, not in its
    group or without the skills — or not free, with no wait allowed),
    ``"operator_left"`` (they went OFFLINE, were removed or changed so they cannot
    take it), ``"escalated"`` (it overflowed to another group). ``position``: its
    place in its group's line, if it waits there now (None: it is routed at once,
    or ``Escalated`` tells its place)."""

    operator_id: str
    reason: str
    position: int | None


class Held(ConversationEvent):
    """The operator (``operator_id``) is waiting on the customer's reply. The
    conversation keeps its slot until ``Released`` or ``Resumed``."""

    starts_call: ClassVar[bool] = True

    operator_id: str


class Released(ConversationEvent):
    """A held conversation freed its operator's slot: ``reason`` is ``"grace"``
    (its group's ``release_held_after`` passed) or ``"operator_left"``."""

    operator_id: str
    reason: str


class Resumed(ConversationEvent):
    """The customer wrote again after ``held`` seconds on hold. If the operator
    (``operator_id``) kept the slot, the conversation is theirs again at once;
    otherwise ``Assigned`` (back to them, if they can take it) or ``Queued``
    follows."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    held: float


class Responded(ConversationEvent):
    """The operator (``operator_id``) replied to the customer for the first time in
    this contact: :meth:`~omniroute.Router.responded`. The statistics count the
    first response time from it."""

    starts_call: ClassVar[bool] = True

    operator_id: str


class PositionChanged(ConversationEvent):
    """A waiting conversation moved up from ``previous_position`` to ``position``, with a
    new ``estimated_wait`` (None: no estimate). Emitted only when the Router is
    configured with :class:`~omniroute.PositionUpdates`."""

    position: int
    previous_position: int
    estimated_wait: float | None


class Finished(ConversationEvent):
    """The operator finished a conversation after handling it ``handle_time`` seconds."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    handle_time: float


class Abandoned(ConversationEvent):
    """The customer left while waiting, after ``waited`` seconds."""

    starts_call: ClassVar[bool] = True

    waited: float


class StatusChanged(Event):
    """An operator's status changed from ``previous`` to ``status``."""

    starts_call: ClassVar[bool] = True

    operator_id: str
    previous: Status
    status: Status


class OperatorAdded(Event):
    """An operator joined the Router (OFFLINE until told otherwise)."""

    starts_call: ClassVar[bool] = True

    operator: Operator


class OperatorUpdated(Event):
    """An operator's groups, skills or capacity were replaced."""

    starts_call: ClassVar[bool] = True

    operator: Operator


class OperatorRemoved(Event):
    """An operator left the Router; ``Requeued`` follows for what they held."""

    starts_call: ClassVar[bool] = True

    operator_id: str


class GroupAdded(Event):
    """A group was added, with the name of its strategy and its policies as plain
    data (``discipline``, ``aging``, ``overflow``, ``offers``, ``keep_on_leave``)."""

    starts_call: ClassVar[bool] = True

    group: str
    strategy: str
    settings: Mapping[str, Any]


class RulesChanged(Event):
    """The group selection rules were replaced (None: removed)."""

    starts_call: ClassVar[bool] = True

    rules: Rules | None


class Configured(Event):
    """:meth:`~omniroute.Router.configure` set the Router-wide settings, given here
    in full as plain data (``history``, ``position_updates``, ``wait_estimates``)."""

    starts_call: ClassVar[bool] = True

    config: Mapping[str, Any]


class Ticked(Event):
    """:meth:`~omniroute.Router.tick` found timers due; their events follow."""

    starts_call: ClassVar[bool] = True


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
        Relaxed,
        Escalated,
        Offered,
        OfferAccepted,
        OfferRejected,
        OfferExpired,
        OfferRescinded,
        HandedOff,
        Transferred,
        AffinityFallback,
        Held,
        Released,
        Resumed,
        Responded,
        PositionChanged,
        Configured,
        Requeued,
        Finished,
        Abandoned,
        StatusChanged,
        OperatorAdded,
        OperatorUpdated,
        OperatorRemoved,
        GroupAdded,
        GroupRemoved,
        RulesChanged,
        Ticked,
    )
}
"""Every concrete event type, by name."""

# Fields added after the first release: journals written before them still read.
_FIELD_DEFAULTS: dict[str, Any] = {
    "settings": DEFAULT_SETTINGS,
    "for_operator": None,
    "estimated_wait": None,
}

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
    "settings": Decoder.group_settings,
    "requires": lambda d, v, p: None if v is None else d.levels(v, p),
    "step": Decoder.integer,
    "from_group": Decoder.text,
    "reason": Decoder.text,
    "priority": lambda d, v, p: d.optional(d.integer, v, p),
    "rules": lambda d, v, p: None if v is None else decode_rules(d, v, p),
    "for_operator": lambda d, v, p: d.optional(d.text, v, p),
    "to_operator": lambda d, v, p: d.optional(d.text, v, p),
    "to_group": lambda d, v, p: d.optional(d.text, v, p),
    "estimated_wait": lambda d, v, p: d.optional(d.number, v, p),
    "wait": lambda d, v, p: d.optional(d.number, v, p),
    "held": Decoder.number,
    "previous_position": Decoder.integer,
    "config": lambda d, v, p: (d.config(v, p), dict(v))[1],
}

# Where one kind of event reads a field differently from the others.
_KIND_READERS: dict[type[Event], dict[str, Any]] = {
    AffinityFallback: {"position": lambda d, v, p: d.optional(d.integer, v, p)},
}
