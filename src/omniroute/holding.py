"""Waiting on the customer: asynchronous conversations that need not hold a slot.

:func:`hold` marks an assigned conversation as waiting for the customer's reply
(HELD): it keeps its operator's slot, unless its group releases held conversations
of its channel after a grace time (the RELEASE timer; RELEASED frees the slot and
remembers who held it). :func:`resume` brings it back: to the same slot, or, once
released, to the same operator if they can take it, else to anyone after a wait.
"""

from __future__ import annotations

from omniroute import restarts
from omniroute.core import Core
from omniroute.events import Event, Held, Released, Responded, Resumed
from omniroute.lifecycle import ConversationState, require
from omniroute.model import Status
from omniroute.policy import DEFAULT_AFFINITY
from omniroute.state import Ticket
from omniroute.timers import RELEASE, Timer, TimerRow

__all__ = ["GRACE", "hold", "release", "respond", "resume"]

HELD = ConversationState.HELD
OFFLINE = Status.OFFLINE


def hold(core: Core, conversation_id: str) -> list[Event]:
    """``Held``; ``Released`` at once if the grace time is 0 or the operator is OFFLINE."""
    ticket = core.ticket(conversation_id)
    op = ticket.operator
    now = core.now()
    ticket.move("hold")
    assert op is not None
    ticket.held_at = now
    events: list[Event] = []
    core.record(events, Held, ticket, now, operator_id=op.id)
    grace = core.desks[ticket.group].release_held_after.get(ticket.channel)
    if op.status is OFFLINE:
        # Kept for them while away (keep_on_leave): nobody holds for the absent.
        release(core, ticket, "operator_left", now, events)
    elif grace == 0:
        release(core, ticket, "grace", now, events)
        core.refill(op, now, events)
    elif grace is not None:
        core.timers.schedule(now + grace, RELEASE, ticket, None, now)
    return core.emit(events)


def release(core: Core, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
    """A held conversation frees its operator's slot; the caller refills it."""
    op = ticket.operator
    assert op is not None
    op.release(ticket, now)
    ticket.move("release")
    ticket.operator = None
    ticket.held_by = op.id
    core.desks[ticket.group].released += 1
    core.record(events, Released, ticket, now, operator_id=op.id, reason=reason)


def resume(core: Core, conversation_id: str) -> list[Event]:
    """``Resumed``; a released conversation is then routed back to its operator."""
    ticket = core.ticket(conversation_id)
    state = ticket.state
    require(state, "resume", conversation_id)  # the move itself comes below
    now = core.now()
    assert ticket.held_at is not None
    events: list[Event] = []
    op = ticket.operator
    operator_id = op.id if op is not None else ticket.held_by
    assert operator_id is not None
    held = now - ticket.held_at
    core.record(events, Resumed, ticket, now, operator_id=operator_id, held=held)
    ticket.held_at = None
    if state is HELD:
        ticket.move("resume")
        ticket.held_for += held
        return core.emit(events)
    ticket.held_by = None
    desk = core.desks[ticket.group]
    desk.released -= 1
    submitted = ticket.submitted
    conversation = submitted if submitted.group == desk.id else submitted.routed(group=desk.id)
    restarts.restart(core, ticket, conversation, desk, ticket.groups, ticket.step, now, "resume")
    wait = (desk.affinity or DEFAULT_AFFINITY).wait
    restarts.route_restarted(core, ticket, now, events, operator_id, wait)
    return core.emit(events)


def respond(core: Core, conversation_id: str) -> list[Event]:
    """``Responded`` for the first reply of a contact; later ones change nothing."""
    ticket = core.ticket(conversation_id)
    ticket.move("respond")  # the state stays; raises while nobody has it
    if ticket.responded:
        return []
    op = ticket.operator
    operator_id = op.id if op is not None else ticket.held_by
    assert operator_id is not None
    now = core.now()
    ticket.responded = True
    events: list[Event] = []
    core.record(events, Responded, ticket, now, operator_id=operator_id)
    return core.emit(events)


def _live(core: Core, timer: Timer, now: float) -> bool:
    ticket = timer[5]
    return ticket.state is HELD and ticket.held_at == timer[7]


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    ticket = timer[5]
    op = ticket.operator
    assert op is not None
    release(core, ticket, "grace", now, events)
    core.refill(op, now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    if ticket.state is HELD:
        grace = core.desks[ticket.group].release_held_after.get(ticket.channel)
        assert ticket.held_at is not None
        if grace is not None:
            core.timers.schedule(ticket.held_at + grace, RELEASE, ticket, None, ticket.held_at)


GRACE: TimerRow[Core] = TimerRow(
    RELEASE, "release after a grace time", live=_live, fire=_fire, rearm=_rearm
)
"""A held conversation freeing its operator's slot after its group's grace time."""
