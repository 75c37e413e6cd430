"""Plain data for the value types: what snapshots and journals are made of.

Encoding turns a value into dicts, lists, strings and numbers that ``json.dumps``
accepts (``metadata`` values are copied as they are, so keep them JSON-friendly).
Decoding is strict and names the path of the first bad field: a missing or unknown
key, a wrong type, a non-finite number, or a value the model itself refuses. It
raises the error class its caller chose (snapshot or journal), and nothing else.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from omniroute.capacity import Capacity
from omniroute.errors import OmnirouteError, ValidationError
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.policy import Discipline, Offers, Overflow, Relaxation

__all__ = [
    "Decoder",
    "encode_capacity",
    "encode_conversation",
    "encode_group_settings",
    "encode_operator",
]

T = TypeVar("T")


def encode_capacity(capacity: Capacity) -> dict[str, Any]:
    return {
        "total": capacity.total,
        "per_channel": dict(capacity.per_channel),
        "exclusive": sorted(capacity.exclusive),
        "units": capacity.units,
        "cost": dict(capacity.cost),
    }


def encode_operator(operator: Operator) -> dict[str, Any]:
    return {
        "id": operator.id,
        "groups": sorted(operator.groups),
        "skills": dict(operator.skills),
        "capacity": encode_capacity(operator.capacity),
        "bot": operator.bot,
    }


def encode_conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "group": conversation.group,
        "customer_id": conversation.customer_id,
        "priority": conversation.priority,
        "requires": dict(conversation.requires),
        "relax": [{"after": r.after, "requires": dict(r.requires)} for r in conversation.relax],
        "created_at": conversation.created_at,
        "metadata": dict(conversation.metadata),
    }


DEFAULT_SETTINGS: dict[str, Any] = {
    "discipline": "fifo",
    "aging": None,
    "overflow": None,
    "offers": None,
    "keep_on_leave": 0.0,
}
"""The settings of a group without policies: what data older than them means."""


def encode_group_settings(group: Group) -> dict[str, Any]:
    """A group's policies (everything but its id and strategy)."""
    overflow = group.overflow
    offers = group.offers
    return {
        "discipline": group.discipline.value,
        "aging": group.aging,
        "overflow": None
        if overflow is None
        else {
            "to": overflow.to,
            "after": overflow.after,
            "queue_over": overflow.queue_over,
            "when_nobody_online": overflow.when_nobody_online,
            "keep": overflow.keep,
        },
        "offers": None
        if offers is None
        else {"timeout": offers.timeout, "ring": offers.ring, "away_after": offers.away_after},
        # JSON has no infinity: "forever" is null.
        "keep_on_leave": group.keep_on_leave if math.isfinite(group.keep_on_leave) else None,
    }


class Decoder:
    """Strict readers of plain data that raise ``error`` with the field's path."""

    def __init__(self, error: type[OmnirouteError], what: str, *, upgrade: bool = False) -> None:
        self.error = error
        self.what = what  # "snapshot", "event"…: the start of every message
        # Data older than its newest format may lack fields added since: default them.
        self.upgrade = upgrade

    def fail(self, path: str, reason: str) -> OmnirouteError:
        return self.error(f"{self.what} {path}: {reason}")

    def record(
        self, value: Any, path: str, keys: tuple[str, ...], defaults: Mapping[str, Any] = {}
    ) -> Mapping[str, Any]:
        """A mapping with exactly these keys; those in ``defaults`` (fields newer
        than the oldest data we read) may be absent and take their default."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        if value.keys() == _key_set(keys):  # the usual case, checked in one step
            return value
        if self.upgrade and any(key not in value for key in defaults):
            value = {**defaults, **value}
        assert isinstance(value, Mapping)
        missing = [key for key in keys if key not in value]
        if missing:
            raise self.fail(path, f"missing field(s) {missing}")
        extra = sorted(str(key) for key in value if key not in keys)
        if extra:
            raise self.fail(path, f"unexpected field(s) {extra}")
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_kind(value)}")
        return value

    def integer(self, value: Any, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"expected an integer, got {_kind(value)}")
        return value

    def number(self, value: Any, path: str) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise self.fail(path, f"expected a finite number, got {value!r}")
        return float(value)

    def optional(self, read: Callable[[Any, str], T], value: Any, path: str) -> T | None:
        return None if value is None else read(value, path)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value

    def texts(self, value: Any, path: str) -> list[str]:
        return [self.text(item, f"{path}[{i}]") for i, item in enumerate(self.items(value, path))]

    def levels(self, value: Any, path: str) -> dict[str, int]:
        """A mapping of names to integers: skills, limits, costs."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        return {self.text(k, path): self.integer(v, f"{path}.{k}") for k, v in value.items()}

    def status(self, value: Any, path: str) -> Status:
        try:
            return Status(self.text(value, path))
        except ValueError:
            raise self.fail(
                path, f"unknown status {value!r}; expected one of {[s.value for s in Status]}"
            ) from None

    def build(self, make: Callable[..., T], path: str, **fields: Any) -> T:
        """Build a model value; its own validation error becomes ours."""
        try:
            return make(**fields)
        except ValidationError as exc:
            raise self.fail(path, str(exc)) from None

    def capacity(self, value: Any, path: str) -> Capacity:
        data = self.record(value, path, ("total", "per_channel", "exclusive", "units", "cost"))
        return self.build(
            Capacity,
            path,
            total=self.optional(self.integer, data["total"], f"{path}.total"),
            per_channel=self.levels(data["per_channel"], f"{path}.per_channel"),
            exclusive=self.texts(data["exclusive"], f"{path}.exclusive"),
            units=self.optional(self.integer, data["units"], f"{path}.units"),
            cost=self.levels(data["cost"], f"{path}.cost"),
        )

    def operator(self, value: Any, path: str) -> Operator:
        data = self.record(
            value, path, ("id", "groups", "skills", "capacity", "bot"), {"bot": False}
        )
        if not isinstance(data["bot"], bool):
            raise self.fail(f"{path}.bot", f"expected a boolean, got {_kind(data['bot'])}")
        return self.build(
            Operator,
            path,
            id=self.text(data["id"], f"{path}.id"),
            groups=self.texts(data["groups"], f"{path}.groups"),
            skills=self.levels(data["skills"], f"{path}.skills"),
            capacity=self.capacity(data["capacity"], f"{path}.capacity"),
            bot=data["bot"],
        )

    def conversation(self, value: Any, path: str) -> Conversation:
        data = self.record(value, path, _CONVERSATION_FIELDS, {"relax": []})
        metadata = data["metadata"]
        if not isinstance(metadata, Mapping) or not all(isinstance(k, str) for k in metadata):
            raise self.fail(f"{path}.metadata", "expected an object with string keys")
        return self.build(
            Conversation,
            path,
            id=self.text(data["id"], f"{path}.id"),
            channel=self.text(data["channel"], f"{path}.channel"),
            group=self.text(data["group"], f"{path}.group"),
            customer_id=self.optional(self.text, data["customer_id"], f"{path}.customer_id"),
            priority=self.integer(data["priority"], f"{path}.priority"),
            requires=self.levels(data["requires"], f"{path}.requires"),
            relax=[
                self.relaxation(step, f"{path}.relax[{i}]")
                for i, step in enumerate(self.items(data["relax"], f"{path}.relax"))
            ],
            created_at=self.optional(self.number, data["created_at"], f"{path}.created_at"),
            metadata=metadata,
        )

    def relaxation(self, value: Any, path: str) -> Relaxation:
        data = self.record(value, path, ("after", "requires"))
        return self.build(
            Relaxation,
            path,
            after=self.number(data["after"], f"{path}.after"),
            requires=self.levels(data["requires"], f"{path}.requires"),
        )

    def group_settings(self, value: Any, path: str) -> dict[str, Any]:
        """Checked group policies, as :func:`encode_group_settings` wrote them."""
        self.group_policies(value, path)
        return dict(value)

    def group_policies(self, value: Any, path: str) -> dict[str, Any]:
        """Keyword arguments for :class:`~omniroute.Group` from its settings."""
        data = self.record(value, path, _SETTINGS)
        try:
            discipline = Discipline(data["discipline"])
        except ValueError:
            raise self.fail(
                f"{path}.discipline", f"expected one of {[d.value for d in Discipline]}"
            ) from None
        overflow = offers = None
        if data["overflow"] is not None:
            at = f"{path}.overflow"
            o = self.record(data["overflow"], at, _OVERFLOW)
            flags = {name: o[name] for name in ("when_nobody_online", "keep")}
            for name, flag in flags.items():
                if not isinstance(flag, bool):
                    raise self.fail(f"{at}.{name}", f"expected a boolean, got {_kind(flag)}")
            overflow = self.build(
                Overflow,
                at,
                to=self.text(o["to"], f"{at}.to"),
                after=self.optional(self.number, o["after"], f"{at}.after"),
                queue_over=self.optional(self.integer, o["queue_over"], f"{at}.queue_over"),
                **flags,
            )
        if data["offers"] is not None:
            at = f"{path}.offers"
            o = self.record(data["offers"], at, ("timeout", "ring", "away_after"))
            offers = self.build(
                Offers,
                at,
                timeout=self.number(o["timeout"], f"{at}.timeout"),
                ring=self.integer(o["ring"], f"{at}.ring"),
                away_after=self.optional(self.integer, o["away_after"], f"{at}.away_after"),
            )
        keep = self.optional(self.number, data["keep_on_leave"], f"{path}.keep_on_leave")
        return {
            "discipline": discipline,
            "aging": self.optional(self.number, data["aging"], f"{path}.aging"),
            "overflow": overflow,
            "offers": offers,
            "keep_on_leave": math.inf if keep is None else keep,
        }


_SETTINGS = ("discipline", "aging", "overflow", "offers", "keep_on_leave")
_OVERFLOW = ("to", "after", "queue_over", "when_nobody_online", "keep")
_CONVERSATION_FIELDS = (
    "id",
    "channel",
    "group",
    "customer_id",
    "priority",
    "requires",
    "relax",
    "created_at",
    "metadata",
)


@functools.cache
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


def _kind(value: Any) -> str:
    """How a JSON reader would name this value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return f"{type(value).__name__} {value!r}"[:80]
