"""Relaxation: a waiting conversation's required skills loosen as it waits.

Each :class:`~omniroute.Relaxation` step of a conversation is a RELAX timer, kept in
a heap of its own (:class:`~omniroute.timers.Timers`): every call that may route work
applies the steps due first (:func:`catch_up`), so a freed operator sees them, and
``tick()`` applies them too. A step moves the ticket to the line of its new
requirement and routes it if it now heads a line someone free may take.
"""

from __future__ import annotations

import heapq

from omniroute.continuity import unreserve
from omniroute.core import Core
from omniroute.events import Event, Relaxed
from omniroute.lifecycle import ConversationState
from omniroute.skills import meets
from omniroute.state import Ticket
from omniroute.timers import RELAX, Timer, TimerRow

__all__ = ["STEP", "catch_up", "schedule"]

QUEUED = ConversationState.QUEUED


def schedule(core: Core, ticket: Ticket) -> None:
    """The timer of the ticket's next relaxation step, if it has one left."""
    steps = ticket.submitted.relax
    if ticket.step < len(steps):
        core.timers.schedule(ticket.enqueued_at + steps[ticket.step].after, RELAX, ticket)


def catch_up(core: Core, now: float, events: list[Event]) -> None:
    """Apply the relaxation steps that are due."""
    timers = core.timers.relax
    while timers and timers[0][0] <= now:
        ticket = heapq.heappop(timers)[5]
        if ticket.state is QUEUED:
            step = ticket.due_step(now)
            if step > ticket.step:
                _relax(core, ticket, step, now, events)


def _relax(core: Core, ticket: Ticket, step: int, now: float, events: list[Event]) -> None:
    """Move a waiting ticket to the line of relaxation ``step``, now due."""
    ticket.moved(step=step)
    target = ticket.reserved_for
    if target is None:  # a personal line holds any requirement its operator meets
        # Same groups and channel: only the line changes, not the counts.
        core.move_line(ticket, core.line_of(ticket))
        if core.watch_hook is not None:
            core.watch_hook(core, ticket, None)
    requires = ticket.requirement_at(step)
    core.record(events, Relaxed, ticket, now, requires=requires, step=step)
    if target is not None and not meets(target.operator.skills, ticket.requirement):
        # A step may ask for another skill, one its operator lacks.
        unreserve(core, ticket, "unavailable", now, events)
    schedule(core, ticket)
    core.route_waiting(ticket, now, events)


def _live(core: Core, timer: Timer, now: float) -> bool:
    ticket = timer[5]
    return ticket.state is QUEUED and ticket.due_step(now) > ticket.step


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    ticket = timer[5]
    _relax(core, ticket, ticket.due_step(now), now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    if ticket.state is QUEUED:
        schedule(core, ticket)


STEP: TimerRow[Core] = TimerRow(RELAX, "relaxation step", live=_live, fire=_fire, rearm=_rearm)
"""The next relaxation step of a waiting conversation."""
