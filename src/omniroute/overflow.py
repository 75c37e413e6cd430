"""Overflow: a group hands waiting work on to another group.

Three triggers, any of which fires (:class:`~omniroute.Overflow`): ``after`` seconds
waiting in the group (the OVERFLOW timer), a queue longer than ``queue_over`` when the
conversation arrives, or nobody of the group ONLINE (when it arrives or waits
again, and when the group's last ONLINE operator leaves). The conversation keeps
its waiting start; with ``keep`` it stays eligible for the first group too.

Only the groups with an overflow get these hooks (:mod:`omniroute.plan`).
"""

from __future__ import annotations

from omniroute.continuity import fall_back
from omniroute.core import Core, Desk
from omniroute.events import Escalated, Event
from omniroute.lifecycle import ConversationState
from omniroute.state import Ticket
from omniroute.timers import OVERFLOW, Timer, TimerRow

__all__ = ["AFTER", "arrival", "deserted", "escalate", "schedule"]

QUEUED = ConversationState.QUEUED


def schedule(core: Core, ticket: Ticket) -> None:
    """The timer of the ticket's group's overflow after a wait (``Overflow.after``)."""
    overflow = core.desks[ticket.group].overflow
    if overflow is not None and overflow.after is not None:
        due = ticket.entered_at + overflow.after
        core.timers.schedule(due, OVERFLOW, ticket, ticket.group, ticket.entered_at)


def arrival(core: Core, ticket: Ticket, now: float, events: list[Event], arriving: bool) -> None:
    """A conversation just queued in its group (``arriving``) or waits there again:
    overflow at once if the queue is too long (for new arrivals) or nobody of the
    group is ONLINE."""
    desk = core.desks[ticket.group]
    overflow = desk.overflow
    if overflow is None or ticket.state is not QUEUED:
        return
    if (
        arriving
        and overflow.queue_over is not None
        and core.room.count(desk.id) > overflow.queue_over
    ):
        escalate(core, ticket, "queue_over", now, events)
    elif overflow.when_nobody_online and not desk.online:
        escalate(core, ticket, "nobody_online", now, events)


def deserted(core: Core, desk: Desk, now: float, events: list[Event]) -> None:
    """The group's last ONLINE operator left: what waits in it overflows, best first."""
    waiting = [
        ticket
        for line in core.room.all_lines_of(desk.id)
        if line.group == desk.id
        for ticket in line
    ]
    for ticket in sorted(waiting, key=_order):
        if ticket.state is QUEUED and ticket.group == desk.id:
            escalate(core, ticket, "nobody_online", now, events)


def _order(ticket: Ticket) -> tuple[int, float, int]:
    return ticket.order


def escalate(core: Core, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
    """Move a waiting ticket to its group's overflow group, keeping its waiting
    start; then route it there, and let that group's own triggers act."""
    source = core.desks[ticket.group]
    overflow = source.overflow
    assert overflow is not None
    target = core.desks[overflow.to]
    if ticket.reserved_for is not None:
        operator_id = ticket.reserved_for.id
        ticket.reserved_for = None
        # No place here: Escalated tells it.
        fall_back(core, ticket, operator_id, "escalated", None, now, events)
    core.room.remove(ticket.line, ticket.key)
    core.count_live(ticket, -1)
    ticket.groups = (*ticket.groups, target.id) if overflow.keep else (target.id,)
    ticket.moved(group=target.id)
    if ticket.record is not None:
        ticket.record.moved(target.id)
    ticket.entered_at = now
    core.count_live(ticket, 1)
    priority = ticket.submitted.priority
    ticket.key = (*target.group.order(priority, ticket.enqueued_at, ticket.seq), ticket)
    position = core.place(ticket)
    core.record(
        events, Escalated, ticket, now, from_group=source.id, reason=reason, position=position
    )
    core.told(ticket, position, now)
    core.start_waiting(ticket, relax=False)
    core.route_waiting(ticket, now, events)
    if target.arrival is not None:
        target.arrival(core, ticket, now, events, True)


def _live(core: Core, timer: Timer, now: float) -> bool:
    _, _, _, _, _, ticket, subject, stamp = timer
    return ticket.state is QUEUED and ticket.group == subject and ticket.entered_at == stamp


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    escalate(core, timer[5], "after", now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    if ticket.state is QUEUED:
        schedule(core, ticket)


AFTER: TimerRow[Core] = TimerRow(
    OVERFLOW, "overflow after a wait", live=_live, fire=_fire, rearm=_rearm
)
"""A waiting conversation's overflow after ``Overflow.after`` seconds in its group."""
