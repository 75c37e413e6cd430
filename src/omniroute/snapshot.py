"""Snapshots: a Router's whole state as plain, JSON-ready data, and back.

A snapshot holds what cannot be derived: the groups with their policies and their
strategies' own memory (round-robin's pointer), every operator's definition, status,
timestamps, missed offers and the conversations they hold (offers included) in the
order they took them, every live conversation with its waiting start, submission
number, current group, relaxation step, the operators who declined it, hold and
reservation, and the place it was last told; the Router-wide settings, the
customer history, the wait estimator's memory, the statistics, the clock's last
reading and the counters. Strategy indexes, waiting lines and timers are rebuilt from those, so a
restored Router makes exactly the decisions the original would have.

Version 1 (before routing policies), version 2 (before continuity), version 3
(before statistics: counting starts afresh) and version 4 (before the statistics
carried what was live when they began) snapshots still restore.

Restoring checks everything before it builds anything: a malformed or
self-contradictory snapshot raises :class:`~omniroute.SnapshotError` naming the
path of the first bad field, and no Router is returned.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from omniroute import seam
from omniroute._reading import is_int
from omniroute.codec import (
    DEFAULT_SETTINGS,
    Decoder,
    RouterConfig,
    encode_config,
    encode_conversation,
    encode_group_settings,
    encode_operator,
)
from omniroute.conversation import Conversation
from omniroute.core import Core
from omniroute.errors import SnapshotError
from omniroute.estimate import WaitEstimator
from omniroute.history import History, HistoryLimits
from omniroute.invariants import metrics_problems
from omniroute.lifecycle import ConversationState
from omniroute.metrics import Metrics
from omniroute.model import Group, Status
from omniroute.rules import decode_rules, encode_rules
from omniroute.state import OperatorState, Ticket
from omniroute.strategies import BUILT_IN_STRATEGIES, StrategyFactories
from omniroute.strategies.base import strategy_name, unknown_strategy

__all__ = ["SCHEMA", "VERSION", "factories", "restore", "take"]

SCHEMA = "omniroute.snapshot"
VERSION = 5
"""The newest snapshot format this omniroute writes and reads."""


def factories(strategies: StrategyFactories | None) -> StrategyFactories:
    """The built-in strategies, plus (and overridden by) the host's."""
    return {**BUILT_IN_STRATEGIES, **(strategies or {})}


_TOP = (
    "schema",
    "version",
    "now",
    "counters",
    "config",
    "groups",
    "rules",
    "operators",
    "conversations",
    "history",
    "estimates",
    "metrics",
)
# What a snapshot from before continuity means: the defaults, nothing remembered;
# statistics from before metrics start from what is live (null).
_TOP_DEFAULTS = {
    "config": encode_config(RouterConfig()),
    "history": History(HistoryLimits()).encode(),
    "estimates": WaitEstimator(RouterConfig().wait_estimates).encode(),
    "metrics": None,
}
_COUNTERS = ("event_seq", "ticket_seq", "joined")
_GROUP = ("id", "strategy", "strategy_state", "settings")
_OPERATOR = (
    "operator",
    "joined",
    "status",
    "status_since",
    "idle_since",
    "conversations",
    "missed",
)
_CONVERSATION = (
    "conversation",
    "seq",
    "state",
    "enqueued_at",
    "assigned_at",
    "group",
    "groups",
    "step",
    "entered_at",
    "offered_at",
    "declined",
    "held_at",
    "held_by",
    "held_for",
    "reserved_for",
    "reserved_until",
    "told",
    "told_at",
    "responded",
)
_CONVERSATION_DEFAULTS = {
    "responded": False,
    "held_at": None,
    "held_by": None,
    "held_for": 0.0,
    "reserved_for": None,
    "reserved_until": None,
    "told": 0,
    "told_at": 0.0,
}
QUEUED, OFFERED, ASSIGNED, HELD, RELEASED = (
    ConversationState.QUEUED,
    ConversationState.OFFERED,
    ConversationState.ASSIGNED,
    ConversationState.HELD,
    ConversationState.RELEASED,
)
_STATES = {state.value: state for state in (QUEUED, OFFERED, ASSIGNED, HELD, RELEASED)}
_SERVED = (ASSIGNED, HELD, RELEASED)  # the states with an assignment time


def take(core: Core) -> dict[str, Any]:
    """The Router's state as plain data. Cost ``O(n + q + h)`` for ``h`` history entries."""
    history = core.history
    if history is not None:
        # What has expired is never seen again: leave it out, whenever tick() ran.
        history.expire(core.last_time)
    groups = []
    for desk in core.desks.values():
        dump = getattr(desk.strategy, "dump_state", None)
        groups.append(
            {
                "id": desk.id,
                "strategy": strategy_name(desk.strategy),
                "strategy_state": dump() if dump is not None else None,
                "settings": encode_group_settings(desk.group),
            }
        )
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "now": core.last_time,
        "counters": seam.counters(core),
        "config": encode_config(core.config),
        "groups": groups,
        "rules": None if core.rules is None else encode_rules(core.rules),
        "operators": [
            {
                "operator": encode_operator(op.operator),
                "joined": op.joined,
                "status": op.status.value,
                "status_since": op.status_since,
                "idle_since": op.idle_since,
                "conversations": list(op.conversations),
                "missed": op.missed,
            }
            for op in core.operators.values()
        ],
        "conversations": [_encode_ticket(ticket) for ticket in core.tickets.values()],
        "history": None if history is None else history.encode(),
        "estimates": core.estimator.encode(),
        "metrics": None if core.books is None else _books(core).encode(),
    }


def _encode_ticket(ticket: Ticket) -> dict[str, Any]:
    return {
        "conversation": encode_conversation(ticket.submitted),
        "seq": ticket.seq,
        "state": ticket.state.value,
        "enqueued_at": ticket.enqueued_at,
        "assigned_at": ticket.assigned_at,
        "group": ticket.group,
        "groups": list(ticket.groups),
        "step": ticket.step,
        "entered_at": ticket.entered_at,
        "offered_at": ticket.offered_at if ticket.state is OFFERED else None,
        "declined": sorted(ticket.declined),
        "held_at": ticket.held_at,
        "held_by": ticket.held_by,
        "held_for": ticket.held_for,
        "reserved_for": None if ticket.reserved_for is None else ticket.reserved_for.id,
        # JSON has no infinity: "as long as they stay" is null.
        "reserved_until": ticket.reserved_until
        if ticket.reserved_for is not None and math.isfinite(ticket.reserved_until)
        else None,
        "told": ticket.told,
        "told_at": ticket.told_at,
        "responded": ticket.responded,
    }


def _books(core: Core) -> Metrics:
    books = core.books
    assert isinstance(books, Metrics)
    return books


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
    return _from_v1(data) if version == 1 else data


def _from_v1(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A version 1 snapshot in version 2's shape: no policies, no offers."""

    def each(key: str, extra: Callable[[Any], dict[str, Any]]) -> Any:
        items = data.get(key)
        if not isinstance(items, list):
            return items  # the reader will say what is wrong
        return [{**extra(item), **item} if isinstance(item, Mapping) else item for item in items]

    def conversation_defaults(item: Any) -> dict[str, Any]:
        conversation = item.get("conversation")
        group = conversation.get("group") if isinstance(conversation, Mapping) else None
        return {
            "group": group,
            "groups": [group],
            "step": 0,
            "entered_at": item.get("enqueued_at"),
            "offered_at": None,
            "declined": [],
        }

    return {
        **data,
        "rules": None,
        "groups": each("groups", lambda _: {"settings": DEFAULT_SETTINGS}),
        "operators": each("operators", lambda _: {"missed": 0}),
        "conversations": each("conversations", conversation_defaults),
    }


class _Reader:
    """Decodes and cross-checks a whole snapshot before anything is built."""

    def __init__(self, data: Mapping[str, Any], factories: StrategyFactories) -> None:
        self.d = d = Decoder(SnapshotError, "snapshot", upgrade=data["version"] < VERSION)
        self.factories = factories
        top = d.record(data, "$", _TOP, _TOP_DEFAULTS)
        self.now = d.number(top["now"], "$.now")
        self.config = d.config(top["config"], "$.config")
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
        self.by_id = {group.id: group for group in self.groups}
        seen: set[str] = set()
        for i, group in enumerate(self.groups):
            # Groups are listed in the order they were added; an overflow names an
            # earlier group, so chains have no cycles.
            if group.overflow is not None and group.overflow.to not in seen:
                raise d.fail(
                    f"$.groups[{i}].settings.overflow.to",
                    f"group {group.id!r} overflows to {group.overflow.to!r}, "
                    "which is not a group added before it",
                )
            seen.add(group.id)
        self.rules = d.optional(lambda v, p: decode_rules(d, v, p), top["rules"], "$.rules")
        if self.rules is not None:
            unknown = sorted(self.rules.groups() - self.group_ids)
            if unknown:
                raise d.fail("$.rules", f"route to unknown group(s) {unknown}")
        self.conversations = self.unique(
            "conversations", top["conversations"], self.conversation, "conversation"
        )
        self.operators = self.unique("operators", top["operators"], self.operator, "operator")
        self.check_times()
        self.check_holders()
        self.check_continuity()
        fail = self.fail_at("$.")
        self.history: tuple[History, dict[str, Any]] | None = None
        if self.config.history is not None:
            if top["history"] is None:
                raise d.fail("$.history", "missing while the config keeps history")
            self.history = History.decode(self.config.history, top["history"], fail)
            latest = self.history[0].latest()
            if latest is not None and latest > self.now:
                raise d.fail("$.history", f"a visit at {latest!r}, after the snapshot's now")
        elif top["history"] is not None:
            raise d.fail("$.history", "must be null while the config keeps no history")
        self.estimator = WaitEstimator.decode(
            self.config.wait_estimates,
            top["estimates"],
            d.fail,
            path="$.estimates",
            line_problem=_line_problem,
        )
        self.metrics = top["metrics"]

    def fail_at(self, prefix: str) -> Callable[[str, str], Exception]:
        return lambda path, reason: self.d.fail(prefix + path, reason)

    def check_continuity(self) -> None:
        """Holds and reservations name operators that exist and may have them."""
        for i, (cid, record) in enumerate(self.conversations.items()):
            path = f"$.conversations[{i}]"
            target = record["reserved_for"]
            if target is None:
                continue
            op = self.operators.get(target)
            if op is None or op["status"] is Status.OFFLINE:
                raise self.d.fail(
                    f"{path}.reserved_for", f"{cid!r} waits for {target!r}, who is not here"
                )
            if not set(record["groups"]) & op["operator"].groups:
                raise self.d.fail(
                    f"{path}.reserved_for", f"{cid!r} waits for {target!r}, who does not serve it"
                )

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
        policies = d.group_policies(data["settings"], f"{path}.settings")
        return d.build(Group, path, id=group_id, strategy=strategy, **policies)

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
        return {
            "operator": operator,
            "number": joined,
            "status": status,
            "status_since": d.number(data["status_since"], f"{path}.status_since"),
            "idle_since": d.number(data["idle_since"], f"{path}.idle_since"),
            "held": held,
            "missed": self._count(data["missed"], f"{path}.missed"),
        }

    def numbered(self, value: Any, path: str, counter: str) -> int:
        """A 1-based number no greater than the counter that hands them out."""
        n = self.d.integer(value, path)
        if not 1 <= n <= self.counters[counter]:
            raise self.d.fail(path, f"must be in 1..{self.counters[counter]}, got {n}")
        return n

    def conversation(self, value: Any, path: str) -> dict[str, Any]:
        d = self.d
        data = d.record(value, path, _CONVERSATION, _CONVERSATION_DEFAULTS)
        # Its group as submitted may be gone since it overflowed: "group" is where it is.
        conversation = d.conversation(data["conversation"], f"{path}.conversation")
        state = _STATES.get(d.text(data["state"], f"{path}.state"))
        if state is None:
            raise d.fail(f"{path}.state", f"expected one of {sorted(_STATES)}")
        assigned_at = d.optional(d.number, data["assigned_at"], f"{path}.assigned_at")
        if (assigned_at is None) != (state not in _SERVED):
            raise d.fail(f"{path}.assigned_at", "must be set exactly when assigned or held")
        held_at = d.optional(d.number, data["held_at"], f"{path}.held_at")
        if (held_at is None) != (state is not HELD and state is not RELEASED):
            raise d.fail(f"{path}.held_at", "must be set exactly when held")
        held_by = d.optional(d.text, data["held_by"], f"{path}.held_by")
        if (held_by is None) != (state is not RELEASED):
            raise d.fail(f"{path}.held_by", "must be set exactly when released")
        reserved_for = d.optional(d.text, data["reserved_for"], f"{path}.reserved_for")
        if reserved_for is not None and state is not QUEUED:
            raise d.fail(f"{path}.reserved_for", "only a waiting conversation waits for someone")
        until = d.optional(d.number, data["reserved_until"], f"{path}.reserved_until")
        if until is not None and reserved_for is None:
            raise d.fail(f"{path}.reserved_until", "set, but it waits for nobody")
        told = self._count(data["told"], f"{path}.told")
        offered_at = d.optional(d.number, data["offered_at"], f"{path}.offered_at")
        if (offered_at is None) != (state is not OFFERED):
            raise d.fail(f"{path}.offered_at", "must be set exactly when offered")
        groups = d.texts(data["groups"], f"{path}.groups")
        group = d.text(data["group"], f"{path}.group")
        if group not in self.group_ids:
            raise d.fail(f"{path}.group", f"unknown group {group!r}")
        unknown = sorted(set(groups) - self.group_ids)
        if unknown:
            raise d.fail(f"{path}.groups", f"unknown group(s) {unknown}")
        if not groups or groups[-1] != group or len(set(groups)) != len(groups):
            raise d.fail(f"{path}.groups", f"must be distinct groups ending with {group!r}")
        if state is OFFERED and self.by_id[group].offers is None:
            raise d.fail(f"{path}.state", f"offered, but group {group!r} makes no offers")
        step = d.integer(data["step"], f"{path}.step")
        if not 0 <= step <= len(conversation.relax):
            raise d.fail(f"{path}.step", f"must be in 0..{len(conversation.relax)}, got {step}")
        return {
            "conversation": conversation,
            "number": self.numbered(data["seq"], f"{path}.seq", "ticket_seq"),
            "state": state,
            "enqueued_at": d.number(data["enqueued_at"], f"{path}.enqueued_at"),
            "assigned_at": assigned_at,
            "offered_at": offered_at,
            "group": group,
            "groups": tuple(groups),
            "step": step,
            "entered_at": d.number(data["entered_at"], f"{path}.entered_at"),
            "declined": frozenset(d.texts(data["declined"], f"{path}.declined")),
            "held_at": held_at,
            "held_by": held_by,
            "held_for": d.number(data["held_for"], f"{path}.held_for"),
            "reserved_for": reserved_for,
            "reserved_until": math.inf if until is None else until,
            "told": told,
            "told_at": d.number(data["told_at"], f"{path}.told_at"),
            "responded": d.boolean(data["responded"], f"{path}.responded"),
        }

    def check_times(self) -> None:
        """Nothing happened after the snapshot's ``now``, and a conversation's times
        come in the order its life gives them."""
        now = self.now
        for kind, records, fields in (
            ("conversations", self.conversations, _CONVERSATION_TIMES),
            ("operators", self.operators, ("status_since", "idle_since")),
        ):
            for i, record in enumerate(records.values()):
                for field in fields:
                    at = record[field]
                    if at is not None and at > now:
                        raise self.d.fail(
                            f"$.{kind}[{i}].{field}",
                            f"{at!r} is after the snapshot's now ({now!r})",
                        )
        for i, record in enumerate(self.conversations.values()):
            self._check_order(record, f"$.conversations[{i}]")

    def _check_order(self, record: dict[str, Any], path: str) -> None:
        earlier = None
        for field in ("enqueued_at", "offered_at", "assigned_at", "held_at"):
            at = record[field]
            if at is None:
                continue
            if earlier is not None and at < record[earlier]:
                raise self.d.fail(
                    f"{path}.{field}", f"{at!r} is before {earlier} ({record[earlier]!r})"
                )
            earlier = field
        if record["held_for"] < 0:
            raise self.d.fail(f"{path}.held_for", f"must be >= 0, got {record['held_for']!r}")

    def check_holders(self) -> None:
        """Every assigned conversation is held by exactly one operator, every offered
        one by at least one, within limits; OFFLINE operators hold only what their
        groups keep for them."""
        holders: dict[str, list[str]] = {}
        for i, (operator_id, record) in enumerate(self.operators.items()):
            path = f"$.operators[{i}].conversations"
            by_channel: dict[str, int] = {}
            offline = record["status"] is Status.OFFLINE
            for cid in record["held"]:
                conversation = self.conversations.get(cid)
                if conversation is None or conversation["state"] in (QUEUED, RELEASED):
                    raise self.d.fail(
                        path, f"{cid!r} is not an assigned, held or offered conversation"
                    )
                if cid in holders and conversation["state"] is not OFFERED:
                    raise self.d.fail(path, f"{cid!r} is also held by {holders[cid][0]!r}")
                if operator_id in holders.get(cid, ()):
                    raise self.d.fail(path, f"{cid!r} appears twice")
                if offline and (
                    conversation["state"] is not ASSIGNED
                    or not self.by_id[conversation["group"]].keep_on_leave
                ):
                    raise self.d.fail(
                        path,
                        f"operator {operator_id!r} is OFFLINE and its group does not keep "
                        f"{cid!r} for it",
                    )
                holders.setdefault(cid, []).append(operator_id)
                channel = conversation["conversation"].channel
                by_channel[channel] = by_channel.get(channel, 0) + 1
            problems = record["operator"].capacity.violations(by_channel)
            if problems:
                raise self.d.fail(path, f"operator {operator_id!r} " + "; ".join(problems))
        for cid, conversation in self.conversations.items():
            if conversation["state"] not in (QUEUED, RELEASED) and cid not in holders:
                raise self.d.fail(
                    "$.conversations",
                    f"{cid!r} is {conversation['state'].value} but nobody holds it",
                )


def restore(
    data: Mapping[str, Any] | str | bytes, core: Core, factories: StrategyFactories
) -> None:
    """Fill the empty ``core`` from a snapshot. Cost ``O(n l + q log q)``."""
    reader = _Reader(parse(data), factories)
    core.last_time = reader.now
    core.event_seq = reader.counters["event_seq"]
    core.ticket_seq = reader.counters["ticket_seq"]
    core.joined = reader.counters["joined"]
    for group in reader.groups:
        seam.install_group(core, group)
    core.rules = reader.rules
    core.config = reader.config
    seam.settle(core)
    core.estimator = reader.estimator
    records: dict[str, Any] = {}
    if reader.history is not None:
        core.history, records = reader.history
    else:
        core.history = None
    tickets = core.tickets
    for record in reader.conversations.values():
        ticket = _ticket(core, record)
        ticket.record = records.get(ticket.id)
        seam.install_ticket(core, ticket)
    for record in reader.operators.values():
        op = seam.install_operator(core, record["operator"], record["number"], record["idle_since"])
        op.status = record["status"]
        op.status_since = record["status_since"]
        op.missed = record["missed"]
        if op.status is Status.ONLINE:
            seam.count_online(core, op.operator.groups, 1)
        for cid in record["held"]:
            ticket = tickets[cid]
            if ticket.state is OFFERED:
                ticket.offers = {**ticket.offers, op.id: op}
            else:
                ticket.operator = op
            op.take(ticket)
    waiting = []
    for record in reader.conversations.values():
        if record["state"] is QUEUED:
            ticket = tickets[record["conversation"].id]
            target = record["reserved_for"]
            if target is not None:
                ticket.reserved_for = core.operators[target]
                ticket.reserved_until = record["reserved_until"]
            ticket.line = core.line_of(ticket)
            waiting.append((ticket.line, ticket.key))
    core.room.push_all(waiting)
    for op in core.operators.values():
        core.reindex(op)
        _check_idle_is_justified(core, op)
    seam.rearm(core)
    _restore_books(core, reader)


def _line_problem(key: Any) -> str | None:
    """Why ``key`` is not a queue line's id: (groups, channel, requirement, operator)."""
    if isinstance(key, tuple) and len(key) == 4:
        groups, channel, requirement, operator = key
        if (
            isinstance(groups, tuple)
            and all(isinstance(group, str) for group in groups)
            and isinstance(channel, str)
            and isinstance(requirement, tuple)
            and all(_is_skill_level(pair) for pair in requirement)
            and (operator is None or isinstance(operator, str))
        ):
            return None
    return "expected [[group, ...], channel, [[skill, level], ...], operator or null]"


def _is_skill_level(pair: Any) -> bool:
    return (
        isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) and is_int(pair[1])
    )


def _restore_books(core: Core, reader: _Reader) -> None:
    """The statistics the snapshot kept; from an older snapshot, fresh counts that
    know what is live; none if its settings keep none."""
    fail = reader.fail_at("$.")
    settings = core.config.metrics
    if settings is None:
        if reader.metrics is not None:
            raise fail("metrics", "must be null while the config keeps no statistics")
        core.books = None
        return
    if reader.metrics is None:
        seam.start_counting(core, settings)
    else:
        books = core.books = Metrics.decode(
            settings,
            reader.metrics,
            fail,
            "metrics",
            clock=core.reading,
            contacts=core.tickets,
            upgrade=reader.d.upgrade,
        )
        if books._last > core.last_time:
            raise fail(
                "metrics.last", f"{books._last!r} is after the snapshot's now ({core.last_time!r})"
            )
    problems = metrics_problems(core)
    if problems:
        raise fail("metrics", problems[0])


_CONVERSATION_TIMES = (
    "entered_at",
    "enqueued_at",
    "offered_at",
    "assigned_at",
    "held_at",
    "told_at",
)


def _ticket(core: Core, record: dict[str, Any]) -> Ticket:
    """A live conversation as the snapshot describes it."""
    submitted: Conversation = record["conversation"]
    group = core.desks[record["group"]].group
    enqueued_at = record["enqueued_at"]
    seq = record["number"]
    order = group.order(submitted.priority, enqueued_at, seq)
    ticket = Ticket(submitted, seq, enqueued_at, None, order, state=record["state"])  # type: ignore[arg-type]
    ticket.groups = record["groups"]
    ticket.moved(group=group.id, step=record["step"])
    ticket.entered_at = record["entered_at"]
    ticket.declined = record["declined"]
    ticket.line = core.room.line_for(ticket.groups, ticket.channel, ticket.requirement)
    ticket.assigned_at = record["assigned_at"]
    if ticket.state is OFFERED:
        ticket.offered_at = record["offered_at"]
    ticket.held_at = record["held_at"]
    ticket.held_by = record["held_by"]
    ticket.held_for = record["held_for"]
    ticket.told = record["told"]
    ticket.told_at = record["told_at"]
    ticket.responded = record["responded"]
    return ticket


def _check_idle_is_justified(core: Core, op: OperatorState) -> None:
    """A free operator beside work they may take: no Router ever stops like that."""
    if not op.free:
        return
    for line in core.lines_for(op) + core.room.personal_of(op.id):
        if line.size and op.fits(line.channel):
            raise SnapshotError(
                f"snapshot $.operators: operator {op.id!r} is free to take "
                f"{line.head().id!r}, waiting in group {line.group!r}; "
                "a snapshot never looks like this"
            )
