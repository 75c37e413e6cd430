"""The exceptions omniroute raises.

Every failure is a subclass of :class:`OmnirouteError`, and also of the built-in
exception it resembles, so ``except KeyError`` or ``except ValueError`` in a host keeps
working. A call that raises leaves the Router exactly as it was.
"""

from __future__ import annotations

__all__ = [
    "CapacityError",
    "ClockError",
    "ClockTypeError",
    "ConfigurationError",
    "DuplicateConversation",
    "DuplicateGroup",
    "DuplicateId",
    "DuplicateOperator",
    "FrozenMappingError",
    "GroupInUse",
    "InvalidTransition",
    "JournalError",
    "NoRoute",
    "OmnirouteError",
    "ScenarioError",
    "SnapshotError",
    "StaffingError",
    "StatisticsOff",
    "UnknownConversation",
    "UnknownGroup",
    "UnknownId",
    "UnknownOperator",
    "ValidationError",
    "WrongType",
]


class OmnirouteError(Exception):
    """The root of every error omniroute raises on purpose."""


class ValidationError(OmnirouteError, ValueError):
    """A value given to omniroute is malformed: a negative limit, an empty id…"""


class WrongType(ValidationError, TypeError):
    """A value of the wrong type: a list where a mapping belongs, an id that is not
    a string. The message names the owner, the field and the value as given."""


class ClockError(ValidationError):
    """The Router's clock gave a reading it cannot use: not finite (NaN, infinity).
    The call that read it changes nothing."""


class ClockTypeError(ClockError, TypeError):
    """The Router's clock gave something that is not a number of seconds (a
    string, None, a bool). The call that read it changes nothing."""


class ConfigurationError(ValidationError):
    """A routing policy is malformed: an empty menu, a cycle, a negative duration,
    steps out of order… (A policy naming a group the Router does not know raises
    :class:`UnknownGroup`.)"""


class CapacityError(ValidationError):
    """A capacity is malformed, or a change would put an operator over a limit."""


class UnknownId(OmnirouteError, KeyError):
    """An id names nothing the Router knows."""

    def __str__(self) -> str:
        # KeyError would quote the whole message; show it as written.
        return str(self.args[0]) if self.args else ""


class UnknownOperator(UnknownId):
    """No operator has this id."""


class UnknownGroup(UnknownId):
    """No group has this id."""


class UnknownConversation(UnknownId):
    """No live (queued or assigned) conversation has this id."""


class DuplicateId(OmnirouteError, ValueError):
    """Something with this id already exists."""


class DuplicateOperator(DuplicateId):
    """An operator with this id already exists."""


class DuplicateGroup(DuplicateId):
    """A group with this id already exists."""


class DuplicateConversation(DuplicateId):
    """A live conversation with this id already exists."""


class InvalidTransition(OmnirouteError, ValueError):
    """The call is not legal in the state the conversation or operator is in."""


class FrozenMappingError(OmnirouteError, TypeError):
    """A mapping inside a frozen omniroute value (skills, limits, metadata) was modified."""


class GroupInUse(OmnirouteError, ValueError):
    """The group cannot be removed while operators or conversations refer to it."""


class SnapshotError(OmnirouteError, ValueError):
    """Snapshot data cannot be restored: not JSON, an unknown or newer schema
    version, a missing field, a wrong type, or state that contradicts itself.
    The message names the path of the offending field."""


class JournalError(OmnirouteError, ValueError):
    """A journal of events cannot be replayed: an event is malformed, a sequence
    number is missing, or re-running the calls gives different events."""


class StaffingError(OmnirouteError, ValueError):
    """A staffing calculation was given a value it cannot use (a negative rate, a
    service-level target of 1, a non-integer number of agents…) or would need more
    servers than it searches. The message names the argument and its value."""


class ScenarioError(ValidationError):
    """A simulation scenario cannot be run: a missing or unknown key, a negative
    rate, an operator in a group that does not exist… The message names the file
    (if any), the key's path (``arrivals[2].per_hour``) and the problem."""


class StatisticsOff(OmnirouteError, LookupError):
    """The Router keeps no statistics (``configure(metrics=None)``), so there are
    none to read."""


class NoRoute(OmnirouteError, LookupError):
    """No rule matches a conversation and no default group is configured."""


def unhashable(kind: str, key: object) -> WrongType:
    """The error for a lookup by a ``kind`` id that cannot be one (a list, a dict)."""
    return WrongType(f"{kind} ids are strings, got {key!r} ({type(key).__name__})")


def refused(right_type: bool, message: str) -> ValidationError:
    """The error for a value that is refused: :class:`WrongType` unless at least
    its type was right (then out of range: :class:`ValidationError`)."""
    return (ValidationError if right_type else WrongType)(message)
