"""The roster: groups, operators and the group selection rules, added, changed and
removed. Each group's policy hooks are chosen here, once, when it is added
(:func:`omniroute.plan.desk_for`)."""

from __future__ import annotations

from omniroute.capacity import channels_differ
from omniroute.codec import encode_group_settings
from omniroute.continuity import unreserve
from omniroute.core import Core, Desk
from omniroute.errors import (
    CapacityError,
    DuplicateGroup,
    DuplicateOperator,
    GroupInUse,
    UnknownGroup,
    ValidationError,
    WrongType,
)
from omniroute.events import (
    Event,
    GroupAdded,
    GroupRemoved,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    RulesChanged,
)
from omniroute.model import Group, Operator, Status
from omniroute.plan import desk_for
from omniroute.presence import count_online, vacate
from omniroute.rules import Rules
from omniroute.state import OperatorState
from omniroute.strategies._ranked import RankedStrategy
from omniroute.strategies.base import strategy_name

__all__ = [
    "add_group",
    "add_operator",
    "install_group",
    "install_operator",
    "remove_group",
    "remove_operator",
    "set_rules",
    "update_operator",
]

ONLINE = Status.ONLINE
OFFLINE = Status.OFFLINE


# -- groups ----------------------------------------------------------------------


def add_group(core: Core, group: Group) -> list[Event]:
    """``GroupAdded``. Cost ``O(1)``."""
    if not isinstance(group, Group):
        raise WrongType(f"add_group() takes a Group, got {group!r}")
    if group.id in core.desks:
        raise DuplicateGroup(f"group {group.id!r} already exists")
    other = core.strategy_owner.get(id(group.strategy))
    if other is not None:
        raise ValidationError(
            f"group {group.id!r} reuses the strategy instance of group {other!r}; "
            "strategies keep per-group indexes, so give each group its own"
        )
    if group.overflow is not None and group.overflow.to not in core.desks:
        raise UnknownGroup(
            f"group {group.id!r} overflows to unknown group {group.overflow.to!r}; "
            f"add it first (known: {sorted(core.desks)})"
        )
    now = core.now()
    install_group(core, group)
    event = GroupAdded(
        seq=core.seq(),
        time=now,
        group=group.id,
        strategy=strategy_name(group.strategy),
        settings=encode_group_settings(group),
    )
    return core.emit([core.note(event)])


def install_group(core: Core, group: Group) -> Desk:
    """Make the group's desk, with the hooks of its policies."""
    desk = core.desks[group.id] = desk_for(group)
    core.strategy_owner[id(group.strategy)] = group.id
    if group.overflow is not None:
        core.desks[group.overflow.to].overflow_from.add(group.id)
    return desk


def remove_group(core: Core, group_id: str) -> list[Event]:
    """``GroupRemoved``. Cost ``O(1)``."""
    desk = core.desk(group_id)
    if desk.members:
        raise GroupInUse(
            f"group {group_id!r} is still served by operator(s) {sorted(desk.members)[:10]}; "
            "update or remove them first"
        )
    if desk.live:
        raise GroupInUse(
            f"group {group_id!r} still has {desk.live} live conversation(s); "
            "finish or abandon them first"
        )
    if core.rules is not None and group_id in core.rules.groups():
        raise GroupInUse(f"group {group_id!r} is a target of the rules; set rules without it first")
    if desk.overflow_from:
        raise GroupInUse(
            f"group {group_id!r} is the overflow of group(s) {sorted(desk.overflow_from)}; "
            "remove them first"
        )
    now = core.now()
    del core.desks[group_id]
    del core.strategy_owner[id(desk.strategy)]
    if desk.overflow is not None:
        core.desks[desk.overflow.to].overflow_from.discard(group_id)
    core.room.drop_group(group_id)
    event = GroupRemoved(seq=core.seq(), time=now, group=group_id)
    return core.emit([core.note(event)])


def set_rules(core: Core, rules: Rules | None) -> list[Event]:
    """``RulesChanged``. Cost ``O(rules)``."""
    if rules is not None:
        if not isinstance(rules, Rules):
            raise WrongType(f"set_rules() takes Rules or None, got {rules!r}")
        rules.check_groups(core.desks)
    now = core.now()
    core.rules = rules
    event = RulesChanged(seq=core.seq(), time=now, rules=rules)
    return core.emit([core.note(event)])


# -- operators -------------------------------------------------------------------


def _check_groups_exist(core: Core, operator: Operator) -> None:
    missing = sorted(operator.groups - core.desks.keys())
    if missing:
        raise UnknownGroup(
            f"operator {operator.id!r} serves unknown group(s) {missing}; add them first"
        )


def add_operator(core: Core, operator: Operator) -> list[Event]:
    """``OperatorAdded``; OFFLINE until a status change. Cost ``O(g)``."""
    if not isinstance(operator, Operator):
        raise WrongType(f"add_operator() takes an Operator, got {operator!r}")
    if operator.id in core.operators:
        raise DuplicateOperator(f"operator {operator.id!r} already exists")
    _check_groups_exist(core, operator)
    now = core.now()
    core.joined += 1
    install_operator(core, operator, core.joined, now)
    if core.debug:
        core.log.debug("operator_added", operator_id=operator.id)
    event = OperatorAdded(seq=core.seq(), time=now, operator=operator)
    return core.emit([core.note(event)])


def install_operator(core: Core, operator: Operator, joined: int, now: float) -> OperatorState:
    """The operator's record, a member of its groups."""
    op = OperatorState(operator, joined, now)
    _set_definition(core, op, operator)
    core.operators[operator.id] = op
    return op


def _set_definition(core: Core, op: OperatorState, operator: Operator) -> None:
    desks = core.desks
    for group_id in operator.groups:
        desks[group_id].members.add(operator.id)
    # Sorted, so that the order strategies hear of changes is deterministic.
    op.strategies = [desks[g].strategy for g in sorted(operator.groups)]
    by_channel = channels_differ(operator.capacity)
    op.watchers = [s for s in op.strategies if by_channel and isinstance(s, RankedStrategy)]


def update_operator(core: Core, operator: Operator) -> list[Event]:
    """``OperatorUpdated``; what they may no longer take goes to anyone, and room
    the change gives them is filled. Cost ``O(g log n + l)``."""
    if not isinstance(operator, Operator):
        raise WrongType(f"update_operator() takes an Operator, got {operator!r}")
    op = core.operator(operator.id)
    _check_groups_exist(core, operator)
    problems = operator.capacity.violations(op.active_by_channel)
    if problems:
        raise CapacityError(
            f"operator {operator.id!r} cannot take the new capacity: it "
            + "; ".join(problems)
            + "; finish some conversations first"
        )
    now = core.now()
    if op.free:
        for strategy in op.strategies:
            strategy.discard(op.id)
        op.free = False
    old_groups = op.operator.groups
    for group_id in old_groups:
        core.desks[group_id].members.discard(op.id)
    online = op.status is ONLINE
    if online:
        count_online(core, operator.groups - old_groups, 1)
    op.replace(operator)
    _set_definition(core, op, operator)
    event = OperatorUpdated(seq=core.seq(), time=now, operator=operator)
    events: list[Event] = [core.note(event)]
    # Work waiting for them alone that they may no longer take goes to anyone.
    gone = [
        ticket
        for line in core.room.personal_of(op.id)
        for ticket in list(line)
        if op.serves(ticket.groups, ticket.requirement) is None
    ]
    for ticket in gone:
        unreserve(core, ticket, "operator_left", now, events)
    core.refill(op, now, events)
    core.route_requeued(gone, now, events)
    if online:
        count_online(core, old_groups - operator.groups, -1, now, events)
    return core.emit(events)


def remove_operator(core: Core, operator_id: str) -> list[Event]:
    """``OperatorRemoved``; offers rescinded and what they held requeued at once.
    Cost ``O(k log q)`` for the ``k`` they held, plus routing those."""
    op = core.operator(operator_id)
    now = core.now()
    event = OperatorRemoved(seq=core.seq(), time=now, operator_id=operator_id)
    events: list[Event] = [core.note(event)]
    online = op.status is ONLINE
    back = vacate(core, op, now, events, removing=True)
    op.status = OFFLINE
    core.reindex(op)
    for group_id in op.operator.groups:
        core.desks[group_id].members.discard(operator_id)
    del core.operators[operator_id]
    core.room.forget_operator(operator_id)
    if online:
        count_online(core, op.operator.groups, -1, now, events)
    core.route_requeued(back, now, events)
    if core.debug:
        core.log.debug("operator_removed", operator_id=operator_id)
    return core.emit(events)
