"""Presence: an operator comes ONLINE, goes AWAY or OFFLINE, or leaves.

ONLINE fills their slots from the lines they may serve. OFFLINE rescinds their
offers, releases what they hold for a customer's reply, and requeues what they
handle with its original waiting start — unless its group keeps it for them
(``Group.keep_on_leave``: the LEAVE timer requeues it when that time runs out).
"""

from __future__ import annotations

import math
from collections.abc import Collection

from omniroute.continuity import unreserve
from omniroute.core import Core
from omniroute.errors import ValidationError
from omniroute.events import Event, OfferRescinded, Requeued, StatusChanged, build
from omniroute.holding import release
from omniroute.lifecycle import ConversationState
from omniroute.model import Status
from omniroute.state import OperatorState, Ticket
from omniroute.timers import LEAVE, Timer, TimerRow

__all__ = ["KEPT", "change_status", "count_online", "requeue", "set_status", "vacate"]

OFFERED = ConversationState.OFFERED
ASSIGNED = ConversationState.ASSIGNED
HELD = ConversationState.HELD
ONLINE = Status.ONLINE
OFFLINE = Status.OFFLINE


def set_status(core: Core, operator_id: str, status: Status | str) -> list[Event]:
    """Change an operator's presence; setting the current status does nothing."""
    op = core.operator(operator_id)
    try:
        status = Status(status)
    except ValueError:
        raise ValidationError(
            f"unknown status {status!r} for operator {operator_id!r}; "
            f"use one of {[s.value for s in Status]}"
        ) from None
    if status is op.status:
        return []
    events: list[Event] = []
    change_status(core, op, status, core.now(), events)
    return core.emit(events)


def change_status(
    core: Core, op: OperatorState, status: Status, now: float, events: list[Event]
) -> None:
    previous = op.status
    op.status = status
    op.status_since = now
    core.event_seq += 1
    event = build(StatusChanged, (core.event_seq, now, op.id, previous, status))
    events.append(core.note(event))
    if core.debug:
        core.log.debug("status_changed", operator_id=op.id, status=status.value)
    back: list[Ticket] = []
    if status is ONLINE:
        op.came_online(now)
        count_online(core, op.operator.groups, 1)
        core.fill(op, now, events)
    elif status is OFFLINE:
        back = vacate(core, op, now, events, removing=False)
    core.reindex(op)
    if previous is ONLINE:
        count_online(core, op.operator.groups, -1, now, events)
    core.route_requeued(back, now, events)


def vacate(
    core: Core, op: OperatorState, now: float, events: list[Event], *, removing: bool
) -> list[Ticket]:
    """``op`` leaves: rescind its offers and requeue what it holds, with the
    original waiting start, except what its groups keep for it. Returns the
    conversations that wait again."""
    back: list[Ticket] = []
    for ticket in [t for t in op.conversations.values() if t.state is OFFERED]:
        op.release(ticket, now)
        del ticket.offers[op.id]
        core.record(events, OfferRescinded, ticket, now, operator_id=op.id, reason="operator_left")
        if not ticket.offers:
            ticket.move("rescind")
            core.place(ticket)
            core.start_waiting(ticket)
            back.append(ticket)
    for line in list(core.room.personal_of(op.id)):
        for ticket in list(line):
            unreserve(core, ticket, "operator_left", now, events)
            back.append(ticket)
    requeued: list[Ticket] = []
    for ticket in list(op.conversations.values()):
        if ticket.state is HELD:
            # The customer is not waiting: free the slot, remember who held it.
            release(core, ticket, "operator_left", now, events)
            continue
        keep = core.desks[ticket.group].keep_on_leave
        if keep and not removing:
            if math.isfinite(keep):
                core.timers.schedule(now + keep, LEAVE, ticket, op, now)
            continue
        requeue(core, ticket, op, now)
        requeued.append(ticket)
    # Positions are read once all are back, so none is stale.
    for ticket in requeued:
        _told_requeued(core, ticket, op, now, events)
    return back + requeued


def requeue(core: Core, ticket: Ticket, op: OperatorState, now: float) -> None:
    """An assigned conversation goes back to its line; its operator left."""
    ticket.move("requeue")
    op.release(ticket, now)
    ticket.operator = None
    ticket.assigned_at = None
    ticket.held_for = 0.0
    # Time with an operator is not time waiting: its group's overflow timer restarts.
    ticket.entered_at = now
    core.place(ticket)
    core.start_waiting(ticket)


def _told_requeued(
    core: Core, ticket: Ticket, op: OperatorState, now: float, events: list[Event]
) -> None:
    position = ticket.line.position(ticket.key)
    waited = now - ticket.enqueued_at
    core.record(events, Requeued, ticket, now, operator_id=op.id, position=position, waited=waited)
    core.told(ticket, position, now)


def _live(core: Core, timer: Timer, now: float) -> bool:
    ticket = timer[5]
    op: OperatorState = timer[6]
    return (
        ticket.state is ASSIGNED
        and ticket.operator is op
        and op.status is OFFLINE
        and op.status_since == timer[7]
        and core.operators.get(op.id) is op
    )


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    ticket, op = timer[5], timer[6]
    requeue(core, ticket, op, now)
    _told_requeued(core, ticket, op, now, events)
    core.back_in_line(ticket, now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    op = ticket.operator
    if ticket.state is not ASSIGNED or op is None or op.status is not OFFLINE:
        return
    keep = core.desks[ticket.group].keep_on_leave
    if math.isfinite(keep):
        core.timers.schedule(op.status_since + keep, LEAVE, ticket, op, op.status_since)


KEPT: TimerRow[Core] = TimerRow(
    LEAVE, "kept for an operator who left", live=_live, fire=_fire, rearm=_rearm
)
"""The end of ``Group.keep_on_leave`` for a conversation an OFFLINE operator holds."""


def count_online(
    core: Core,
    groups: Collection[str],
    delta: int,
    now: float = 0.0,
    events: list[Event] | None = None,
) -> None:
    """Count operators coming ONLINE in (or leaving) ``groups``; when a group's
    last one leaves, its policies act (``Desk.deserted``: overflow)."""
    desks = core.desks
    for group_id in sorted(groups):
        desk = desks[group_id]
        desk.online += delta
        if desk.online or events is None:
            continue
        if desk.deserted is not None:
            desk.deserted(core, desk, now, events)
