"""Telling waiting customers that they moved up (``PositionChanged``).

Only with :class:`~omniroute.PositionUpdates` configured. A waiting ticket is
*watched* in its line: an entry says after how many departures from the line it may
have reached its goal (``places`` better than it was last told, or the head). A
departure moves a ticket up one place at most, so none is told late; lines that lost
someone are checked at the end of the call. A ticket told too recently is told when
``PositionUpdates.seconds`` have passed (the NOTIFY timer), with the place it has then.
"""

from __future__ import annotations

import heapq

from omniroute.core import Core
from omniroute.events import Event, PositionChanged
from omniroute.lifecycle import ConversationState
from omniroute.state import Ticket
from omniroute.timers import NOTIFY, Timer, TimerRow

__all__ = ["NOTIFICATION", "rewatch", "tell", "watch"]

QUEUED = ConversationState.QUEUED


def _goal(core: Core, ticket: Ticket) -> int:
    """The place a waiting ticket must reach to be told again: ``places`` better
    than it was told, or the head of its line."""
    assert core.updates is not None
    return max(1, ticket.told - core.updates.places)


def watch(core: Core, ticket: Ticket, position: int | None = None) -> None:
    """Watch a waiting ticket (at ``position``, if the caller knows it) until
    enough have left its line for it to have reached its goal."""
    if ticket.told <= 1:
        return
    line = ticket.line
    goal = _goal(core, ticket)
    if position is None:
        position = line.position(ticket.key)
    core.watch_count += 1
    ticket.watch_stamp = stamp = core.watch_count
    heapq.heappush(line.watch, (line.departures + position - goal, ticket.seq, stamp, ticket))
    if position <= goal:
        core.room.due.append(line)


def tell(core: Core, now: float, events: list[Event]) -> None:
    """Check the watched tickets of lines that lost someone; tell those that
    moved up enough, in submission order (the order does not depend on when
    they were last checked, so a restored Router tells the same)."""
    room = core.room
    ready, room.ready = room.ready, []
    while room.due:
        lines, room.due = room.due, []
        for line in lines:
            entries = line.watch
            while entries and entries[0][0] <= line.departures:
                _, _, stamp, ticket = heapq.heappop(entries)
                if ticket.state is QUEUED and ticket.line is line and ticket.watch_stamp == stamp:
                    ticket.watch_stamp = 0
                    ready.append(ticket)
    ready.sort(key=_seq)
    for ticket in ready:
        _check(core, ticket, now, events)


def _seq(ticket: Ticket) -> int:
    return ticket.seq


def _check(core: Core, ticket: Ticket, now: float, events: list[Event]) -> None:
    """Tell a ticket its new place if it moved up enough and was not told too
    recently; else wait for more departures, or for the time to pass."""
    updates = core.updates
    assert updates is not None
    if ticket.told <= 1:
        return  # at the head already: nothing better to tell
    position = ticket.line.position(ticket.key)
    if position > _goal(core, ticket):
        watch(core, ticket, position)
        return
    due = ticket.told_at + updates.seconds
    if due > now:
        _defer(core, ticket, due)
        return
    core.record(
        events,
        PositionChanged,
        ticket,
        now,
        position=position,
        previous_position=ticket.told,
        estimated_wait=core.estimate(ticket, position, now),
    )
    core.told(ticket, position, now)


def _defer(core: Core, ticket: Ticket, due: float) -> None:
    """Tell the ticket its place at ``due``, not before (``PositionUpdates.seconds``)."""
    core.watch_count += 1
    ticket.watch_stamp = stamp = core.watch_count
    core.timers.schedule(due, NOTIFY, ticket, ticket.line, stamp)


def rewatch(core: Core) -> None:
    """Start watching every waiting ticket afresh (the settings changed)."""
    for line in core.room.lines():
        line.watch.clear()
    core.room.due = []
    core.room.ready = []
    if core.updates is None:
        return
    for ticket in core.tickets.values():
        if ticket.state is QUEUED:
            watch(core, ticket)


def _live(core: Core, timer: Timer, now: float) -> bool:
    _, _, _, _, _, ticket, subject, stamp = timer
    return (
        ticket.state is QUEUED
        and ticket.line is subject
        and ticket.watch_stamp == stamp
        and core.updates is not None
    )


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    # Told at the end of the call, with the place it has then.
    ticket = timer[5]
    ticket.watch_stamp = 0
    core.room.ready.append(ticket)


def _rearm(core: Core, ticket: Ticket) -> None:
    updates = core.updates
    if updates is None or ticket.state is not QUEUED or ticket.told <= 1:
        return
    # Moved up enough but told too recently: the original waits on a timer.
    if ticket.line.position(ticket.key) <= _goal(core, ticket):
        _defer(core, ticket, ticket.told_at + updates.seconds)
    else:
        watch(core, ticket)


NOTIFICATION: TimerRow[Core] = TimerRow(
    NOTIFY, "notification", live=_live, fire=_fire, rearm=_rearm
)
"""A place told late: its ticket moved up enough but was told too recently."""
