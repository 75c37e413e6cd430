"""Continuity: a conversation that should go to one operator waits for them alone.

A conversation names an operator (``prefer_operator``), or its group's
:class:`~omniroute.Affinity` finds the operator who last served a returning
customer in the customer history; a resumed or transferred conversation names one
too. If that operator may take it now, they get it; if they are busy or AWAY it
waits for them alone, in their *personal* line, until a deadline (the AFFINITY
timer), then falls back to anyone eligible (``AffinityFallback``).
"""

from __future__ import annotations

import math

from omniroute import restarts
from omniroute.conversation import Conversation
from omniroute.core import LATER, NEVER, Core, Desk
from omniroute.events import AffinityFallback, Event
from omniroute.lifecycle import ConversationState
from omniroute.policy import DEFAULT_AFFINITY
from omniroute.state import OperatorState, Ticket
from omniroute.timers import AFFINITY, Timer, TimerRow

__all__ = ["RESERVATION", "fall_back", "keep", "prefer", "reserve", "unreserve"]

QUEUED = ConversationState.QUEUED


def prefer(
    core: Core, conversation: Conversation, desk: Desk, now: float
) -> tuple[int, OperatorState | None, str | None, str | None, float]:
    """The operator a new conversation should go to, and what they can do for it:
    ``(reach, target, via, wanted, wait)`` (:meth:`Core.reach`)."""
    wanted, wait = _target(core, conversation, desk, now)
    if wanted is None:
        return NEVER, None, None, None, wait
    reach, target, via = restarts.reach(core, wanted, (desk.id,), conversation, wait)
    return reach, target, via, wanted, wait


def _target(
    core: Core, conversation: Conversation, desk: Desk, now: float
) -> tuple[str | None, float]:
    """The operator a conversation should go to — the one it names, or, by its
    group's affinity, the one who last served its customer — and how long it may
    wait for them."""
    affinity = desk.affinity
    if conversation.prefer_operator is not None:
        wait = conversation.prefer_wait
        default = (affinity or DEFAULT_AFFINITY).wait
        return conversation.prefer_operator, default if wait is None else wait
    history = core.history
    customer = conversation.customer_id
    if affinity is None or history is None or customer is None:
        return None, 0.0
    members = desk.members
    operators = core.operators
    history.expire(now)
    target = history.last_operator(
        customer,
        now - affinity.within,
        lambda o: o in members and not operators[o].operator.bot,
    )
    return target, affinity.wait


def keep(
    core: Core,
    ticket: Ticket,
    reach: int,
    target: OperatorState | None,
    wanted: str | None,
    wait: float,
    now: float,
    events: list[Event],
) -> None:
    """Once it is known whether the ``wanted`` operator may take a new or
    restarted ticket: it waits for them alone (LATER), or, if they may not take it
    at all, the fallback is told."""
    if reach == LATER:
        assert target is not None
        ticket.reserved_for = target
        ticket.reserved_until = now + wait
    elif reach == NEVER and wanted is not None:
        fall_back(core, ticket, wanted, "unavailable", None, now, events)


def fall_back(
    core: Core,
    ticket: Ticket,
    operator_id: str,
    reason: str,
    position: int | None,
    now: float,
    events: list[Event],
) -> None:
    """Tell that ``ticket`` no longer waits for ``operator_id`` alone."""
    core.record(
        events,
        AffinityFallback,
        ticket,
        now,
        operator_id=operator_id,
        reason=reason,
        position=position,
    )


def reserve(core: Core, ticket: Ticket, target: OperatorState) -> None:
    """A ticket waits for ``target`` alone until its deadline: set the timer."""
    until = ticket.reserved_until
    core.timers.schedule(until, AFFINITY, ticket, target, until)


def unreserve(core: Core, ticket: Ticket, reason: str, now: float, events: list[Event]) -> None:
    """A ticket waiting for one operator alone joins its group's line, where
    anyone eligible may take it; the caller routes it."""
    target = ticket.reserved_for
    assert target is not None
    ticket.reserved_for = None
    # Same groups and channel: only the line changes, not the counts.
    position = core.move_line(ticket, core.line_of(ticket))
    fall_back(core, ticket, target.id, reason, position, now, events)
    core.told(ticket, position, now)


def _live(core: Core, timer: Timer, now: float) -> bool:
    _, _, _, _, _, ticket, subject, stamp = timer
    return (
        ticket.state is QUEUED and ticket.reserved_for is subject and ticket.reserved_until == stamp
    )


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    ticket = timer[5]
    unreserve(core, ticket, "timeout", now, events)
    core.back_in_line(ticket, now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    target = ticket.reserved_for
    if ticket.state is QUEUED and target is not None and math.isfinite(ticket.reserved_until):
        reserve(core, ticket, target)


RESERVATION: TimerRow[Core] = TimerRow(
    AFFINITY, "reservation", live=_live, fire=_fire, rearm=_rearm
)
"""The deadline of a conversation waiting for one operator alone."""
