"""Snapshots: a Router's whole state as plain, JSON-ready data, and back.

A snapshot holds what cannot be derived: the groups and their strategies' own memory
(round-robin's pointer), every operator's definition, status, timestamps and the
conversations they hold in the order they took them, every live conversation with
its waiting start and submission number, the clock's last reading and the counters.
Strategy indexes and waiting lines are rebuilt from those, so a restored Router
makes exactly the decisions the original would have.

Restoring checks everything before it builds anything: a malformed or
self-contradictory snapshot raises :class:`~omniroute.SnapshotError` naming the
path of the first bad field, and no Router is returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from omniroute.codec import Decoder, encode_conversation, encode_operator
from omniroute.errors import SnapshotError
from omniroute.lifecycle import ConversationState
from omniroute.model import Conversation, Group, Status
from omniroute.state import OperatorState, Ticket
from omniroute.strategies import BUILT_IN_STRATEGIES, StrategyFactories
from omniroute.strategies.base import strategy_name

if TYPE_CHECKING:
    from omniroute.router import Router

__all__ = ["SCHEMA", "VERSION", "factories", "restore", "take"]

SCHEMA = "omniroute.snapshot"
VERSION = 1
"""The newest snapshot format this omniroute writes and reads."""


def factories(strategies: StrategyFactories | None) -> StrategyFactories:
    """The built-in strategies, plus (and overridden by) the host's."""
    return {**BUILT_IN_STRATEGIES, **(strategies or {})}


def unknown_strategy(group_id: str, name: str) -> str:
    """Why a group's strategy cannot be made, and what to do about it."""
    return (
        f"group {group_id!r} uses strategy {name!r}, which is not built in; "
        f"pass strategies={{{name!r}: factory}}"
    )


_TOP = ("schema", "version", "now", "counters", "groups", "operators", "conversations")
_COUNTERS = ("event_seq", "ticket_seq", "joined")
_GROUP = ("id", "strategy", "strategy_state")
_OPERATOR = ("operator", "joined", "status", "status_since", "idle_since", "conversations")
_CONVERSATION = ("conversation", "seq", "state", "enqueued_at", "assigned_at")
_STATES = {state.value: state for state in (ConversationState.QUEUED, ConversationState.ASSIGNED)}


def take(router: Router) -> dict[str, Any]:
    """The Router's state as plain data. Cost ``O(n + q)``."""
    groups = []
    for group in router._groups.values():
        dump = getattr(group.strategy, "dump_state", None)
        groups.append(
            {
                "id": group.id,
                "strategy": strategy_name(group.strategy),
                "strategy_state": dump() if dump is not None else None,
            }
        )
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "now": router._last_time,
        "counters": {
            "event_seq": router._event_seq,
            "ticket_seq": router._ticket_seq,
            "joined": router._joined,
        },
        "groups": groups,
        "operators": [
            {
                "operator": encode_operator(op.operator),
                "joined": op.joined,
                "status": op.status.value,
                "status_since": op.status_since,
                "idle_since": op.idle_since,
                "conversations": list(op.conversations),
            }
            for op in router._operators.values()
        ],
        "conversations": [
            {
                "conversation": encode_conversation(ticket.conversation),
                "seq": ticket.seq,
                "state": ticket.state.value,
                "enqueued_at": ticket.enqueued_at,
                "assigned_at": ticket.assigned_at,
            }
            for ticket in router._tickets.values()
        ],
    }


def parse(data: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    """Accept the data itself or its JSON text."""
    if isinstance(data, (str, bytes, bytearray)):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, nesting
            raise SnapshotError(f"snapshot is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise SnapshotError(f"snapshot must be an object, got {type(data).__name__}")
    if data.get("schema") != SCHEMA:
        raise SnapshotError(
            f"not an omniroute snapshot: schema is {data.get('schema')!r}, expected {SCHEMA!r}"
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(f"snapshot version must be a positive integer, got {version!r}")
    if version > VERSION:
        raise SnapshotError(
            f"snapshot version {version} is newer than this omniroute reads (up to "
            f"{VERSION}); upgrade omniroute to restore it"
        )
    return data


class _Reader:
    """Decodes and cross-checks a whole snapshot before anything is built."""

    def __init__(self, data: Mapping[str, Any], factories: StrategyFactories) -> None:
        self.d = d = Decoder(SnapshotError, "snapshot")
        self.factories = factories
        top = d.record(data, "$", _TOP)
        self.now = d.number(top["now"], "$.now")
        counters = d.record(top["counters"], "$.counters", _COUNTERS)
        self.counters = {
            name: self._count(counters[name], f"$.counters.{name}") for name in _COUNTERS
        }
        self.groups = [
            self.group(value, f"$.groups[{i}]")
            for i, value in enumerate(d.items(top["groups"], "$.groups"))
        ]
        self.group_ids = {group.id for group in self.groups}
        if len(self.group_ids) != len(self.groups):
            raise d.fail("$.groups", "group ids are not unique")
        self.conversations = self.unique(
            "conversations", top["conversations"], self.conversation, "conversation"
        )
        self.operators = self.unique("operators", top["operators"], self.operator, "operator")
        self.check_holders()

    def _count(self, value: Any, path: str) -> int:
        n = self.d.integer(value, path)
        if n < 0:
            raise self.d.fail(path, f"must be >= 0, got {n}")
        return n

    def unique(
        self, name: str, value: Any, read: Callable[[Any, str], dict[str, Any]], key: str
    ) -> dict[str, dict[str, Any]]:
        """Records by id, in order; ids and ``seq``/``joined`` numbers must be unique."""
        records: dict[str, dict[str, Any]] = {}
        numbers: set[int] = set()
        for i, item in enumerate(self.d.items(value, f"$.{name}")):
            path = f"$.{name}[{i}]"
            record = read(item, path)
            ident = record[key].id
            if ident in records:
                raise self.d.fail(path, f"{key} {ident!r} appears twice")
            if record["number"] in numbers:
                raise self.d.fail(path, f"{key} {ident!r} reuses number {record['number']}")
            records[ident] = record
            numbers.add(record["number"])
        return records

    def group(self, value: Any, path: str) -> Group:
        d = self.d
        data = d.record(value, path, _GROUP)
        group_id = d.text(data["id"], f"{path}.id")
        name = d.text(data["strategy"], f"{path}.strategy")
        factory = self.factories.get(name)
        if factory is None:
            raise d.fail(f"{path}.strategy", unknown_strategy(group_id, name))
        strategy = factory()
        state = data["strategy_state"]
        if state is not None:
            load = getattr(strategy, "load_state", None)
            if load is None:
                raise d.fail(f"{path}.strategy_state", f"strategy {name!r} has no load_state()")
            try:
                load(state)
            except (ValueError, TypeError, KeyError) as exc:
                raise d.fail(f"{path}.strategy_state", f"{name!r} refused it: {exc}") from None
        return d.build(Group, path, id=group_id, strategy=strategy)

    def operator(self, value: Any, path: str) -> dict[str, Any]:
        d = self.d
        data = d.record(value, path, _OPERATOR)
        operator = d.operator(data["operator"], f"{path}.operator")
        missing = sorted(operator.groups - self.group_ids)
        if missing:
            raise d.fail(f"{path}.operator.groups", f"unknown group(s) {missing}")
        joined = self.numbered(data["joined"], f"{path}.joined", "joined")
        held = d.texts(data["conversations"], f"{path}.conversations")
        status = d.status(data["status"], f"{path}.status")
        if status is Status.OFFLINE and held:
            raise d.fail(f"{path}.conversations", f"operator {operator.id!r} is OFFLINE")
        return {
            "operator": operator,
            "number": joined,
            "status": status,
            "status_since": d.number(data["status_since"], f"{path}.status_since"),
            "idle_since": d.number(data["idle_since"], f"{path}.idle_since"),
            "held": held,
        }

    def numbered(self, value: Any, path: str, counter: str) -> int:
        """A 1-based number no greater than the counter that hands them out."""
        n = self.d.integer(value, path)
        if not 1 <= n <= self.counters[counter]:
            raise self.d.fail(path, f"must be in 1..{self.counters[counter]}, got {n}")
        return n

    def conversation(self, value: Any, path: str) -> dict[str, Any]:
        d = self.d
        data = d.record(value, path, _CONVERSATION)
        conversation = d.conversation(data["conversation"], f"{path}.conversation")
        if conversation.group not in self.group_ids:
            raise d.fail(f"{path}.conversation.group", f"unknown group {conversation.group!r}")
        state = _STATES.get(d.text(data["state"], f"{path}.state"))
        if state is None:
            raise d.fail(f"{path}.state", f"expected one of {sorted(_STATES)}")
        assigned_at = d.optional(d.number, data["assigned_at"], f"{path}.assigned_at")
        if (assigned_at is None) != (state is ConversationState.QUEUED):
            raise d.fail(f"{path}.assigned_at", f"must be set exactly when {state.value}")
        return {
            "conversation": conversation,
            "number": self.numbered(data["seq"], f"{path}.seq", "ticket_seq"),
            "state": state,
            "enqueued_at": d.number(data["enqueued_at"], f"{path}.enqueued_at"),
            "assigned_at": assigned_at,
        }

    def check_holders(self) -> None:
        """Every assigned conversation is held by exactly one operator, within limits."""
        holder: dict[str, str] = {}
        for i, (operator_id, record) in enumerate(self.operators.items()):
            path = f"$.operators[{i}].conversations"
            by_channel: dict[str, int] = {}
            for cid in record["held"]:
                conversation = self.conversations.get(cid)
                if conversation is None or conversation["state"] is not ConversationState.ASSIGNED:
                    raise self.d.fail(path, f"{cid!r} is not an assigned conversation")
                if cid in holder:
                    raise self.d.fail(path, f"{cid!r} is also held by {holder[cid]!r}")
                holder[cid] = operator_id
                channel = conversation["conversation"].channel
                by_channel[channel] = by_channel.get(channel, 0) + 1
            problems = record["operator"].capacity.violations(by_channel)
            if problems:
                raise self.d.fail(path, f"operator {operator_id!r} " + "; ".join(problems))
        for cid, conversation in self.conversations.items():
            if conversation["state"] is ConversationState.ASSIGNED and cid not in holder:
                raise self.d.fail("$.conversations", f"{cid!r} is assigned but nobody holds it")


def restore(
    data: Mapping[str, Any] | str | bytes,
    router: Router,
    factories: StrategyFactories,
) -> None:
    """Fill the empty ``router`` from a snapshot. Cost ``O(n l + q log q)``."""
    reader = _Reader(parse(data), factories)
    router._last_time = reader.now
    router._event_seq = reader.counters["event_seq"]
    router._ticket_seq = reader.counters["ticket_seq"]
    router._joined = reader.counters["joined"]
    for group in reader.groups:
        router._install_group(group)
    tickets = router._tickets
    waiting: list[Ticket] = []
    for record in reader.conversations.values():
        conversation: Conversation = record["conversation"]
        line = router._room.line_for(
            conversation.group, conversation.channel, conversation.requirement
        )
        ticket = Ticket(conversation, record["number"], record["enqueued_at"], line)
        tickets[ticket.id] = ticket
        router._live_in_group[ticket.group] += 1
        if record["state"] is ConversationState.QUEUED:
            waiting.append(ticket)
        else:
            ticket.state = ConversationState.ASSIGNED
            ticket.assigned_at = record["assigned_at"]
    router._room.push_all(waiting)
    for record in reader.operators.values():
        op = router._install_operator(record["operator"], record["number"], record["idle_since"])
        op.status = record["status"]
        op.status_since = record["status_since"]
        for cid in record["held"]:
            tickets[cid].operator = op
            op.take(tickets[cid])
    for op in router._operators.values():
        router._reindex(op)
        _check_idle_is_justified(router, op)


def _check_idle_is_justified(router: Router, op: OperatorState) -> None:
    """A free operator beside work they may take: no Router ever stops like that."""
    if not op.free:
        return
    for line in router._lines_for(op):
        if line.size and op.fits(line.channel):
            raise SnapshotError(
                f"snapshot $.operators: operator {op.id!r} is free to take "
                f"{line.head().id!r}, waiting in group {line.group!r}; "
                "a snapshot never looks like this"
            )
