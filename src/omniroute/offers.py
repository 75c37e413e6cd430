"""Offers: a group that offers work for the operator to accept, instead of assigning it.

With :class:`~omniroute.Offers` set on a group, a decision offers the conversation
to up to ``ring`` free operators at once (``Offered``); each offer holds a slot. The
first to :func:`accept` gets it (``Assigned``), the others' offers are rescinded.
A :func:`reject` passes it to the next operator; an offer unanswered for
``timeout`` seconds expires on ``tick()`` (the OFFER timer), and after ``away_after``
misses in a row the operator is set AWAY.
"""

from __future__ import annotations

from omniroute.core import NO_OFFERS, Core, Pick
from omniroute.errors import InvalidTransition
from omniroute.events import (
    Assigned,
    Event,
    OfferAccepted,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
)
from omniroute.lifecycle import ConversationState, require
from omniroute.model import Status
from omniroute.presence import change_status
from omniroute.state import OperatorState, Ticket
from omniroute.timers import OFFER, Timer, TimerRow

__all__ = ["EXPIRY", "accept", "give", "reject"]

OFFERED = ConversationState.OFFERED
ONLINE = Status.ONLINE
AWAY = Status.AWAY


def give(core: Core, ticket: Ticket, picks: list[Pick], now: float, events: list[Event]) -> None:
    """Offer ``ticket`` to every pick (``Desk.give`` of a group with offers)."""
    offers = core.desks[ticket.group].offers
    assert offers is not None
    ticket.reserved_for = None
    ticket.move("offer")
    ticket.offered_at = now
    ticket.offers = {op.id: op for op, _ in picks}
    waited = now - ticket.enqueued_at
    for op, _ in picks:
        op.take(ticket)
        core.record(events, Offered, ticket, now, operator_id=op.id, waited=waited)
        core.reindex(op)
    core.timers.schedule(now + offers.timeout, OFFER, ticket, None, now)


def _offered(
    core: Core, conversation_id: str, operator_id: str, action: str
) -> tuple[Ticket, OperatorState]:
    ticket = core.ticket(conversation_id)
    op = core.operator(operator_id)
    if ticket.state is not OFFERED:
        require(ticket.state, action, conversation_id)
    if operator_id not in ticket.offers:
        raise InvalidTransition(
            f"cannot {action} conversation {conversation_id!r} for operator "
            f"{operator_id!r}: it is offered to {sorted(ticket.offers)}"
        )
    return ticket, op


def accept(core: Core, conversation_id: str, operator_id: str) -> list[Event]:
    """``OfferAccepted``, ``Assigned``, and ``OfferRescinded`` for the others."""
    ticket, op = _offered(core, conversation_id, operator_id, "accept")
    now = core.now()
    events: list[Event] = []
    core.record(events, OfferAccepted, ticket, now, operator_id=op.id)
    others = [o for o in ticket.offered_in_order() if o is not op]
    ticket.offers = NO_OFFERS
    op.missed = 0
    ticket.move("accept")
    ticket.operator = op
    ticket.assigned_at = now
    if ticket.record is not None:
        ticket.record.served_by(op.id, now)
    via = op.serves(ticket.groups)
    if via is not None:  # None: they left its groups since the offer
        assigned = core.desks[via].assigned
        if assigned is not None:
            assigned(op, ticket.conversation)
    waited = now - ticket.enqueued_at
    core.record(events, Assigned, ticket, now, operator_id=op.id, waited=waited)
    for other in others:
        other.release(ticket, now)
        core.record(
            events, OfferRescinded, ticket, now, operator_id=other.id, reason="accepted_by_other"
        )
    for other in others:
        core.refill(other, now, events)
    return core.emit(events)


def reject(core: Core, conversation_id: str, operator_id: str) -> list[Event]:
    """``OfferRejected``; the conversation goes to another operator if none else
    holds an offer of it."""
    ticket, op = _offered(core, conversation_id, operator_id, "reject")
    now = core.now()
    events: list[Event] = []
    core.record(events, OfferRejected, ticket, now, operator_id=op.id)
    op.missed = 0
    op.release(ticket, now)
    del ticket.offers[op.id]
    ticket.declined |= {op.id}
    if not ticket.offers:
        _withdraw(core, ticket, "reject", now, events)
    core.refill(op, now, events)
    return core.emit(events)


def _withdraw(core: Core, ticket: Ticket, action: str, now: float, events: list[Event]) -> None:
    """An offered conversation nobody holds an offer for any more waits again,
    in its old place, and goes to the next operator."""
    ticket.move(action)
    core.place(ticket)
    core.start_waiting(ticket)
    core.back_in_line(ticket, now, events)


def _expire(core: Core, ticket: Ticket, now: float, events: list[Event]) -> None:
    """Nobody answered the offers in time: they expire, the operators may be set
    AWAY, and the conversation goes to the next operator."""
    ops = ticket.offered_in_order()
    ticket.offers = NO_OFFERS
    ticket.declined |= {op.id for op in ops}
    for op in ops:
        op.release(ticket, now)
        op.missed += 1
        core.record(events, OfferExpired, ticket, now, operator_id=op.id)
    policy = core.desks[ticket.group].offers
    assert policy is not None
    away_after = policy.away_after
    for op in ops:
        if away_after is not None and op.missed >= away_after and op.status is ONLINE:
            change_status(core, op, AWAY, now, events)
    _withdraw(core, ticket, "expire", now, events)
    for op in ops:
        core.refill(op, now, events)


def _live(core: Core, timer: Timer, now: float) -> bool:
    ticket = timer[5]
    return ticket.state is OFFERED and ticket.offered_at == timer[7]


def _fire(core: Core, timer: Timer, now: float, events: list[Event]) -> None:
    _expire(core, timer[5], now, events)


def _rearm(core: Core, ticket: Ticket) -> None:
    if ticket.state is OFFERED:
        offers = core.desks[ticket.group].offers
        assert offers is not None
        due = ticket.offered_at + offers.timeout
        core.timers.schedule(due, OFFER, ticket, None, ticket.offered_at)


EXPIRY: TimerRow[Core] = TimerRow(OFFER, "offer expiry", live=_live, fire=_fire, rearm=_rearm)
"""The end of the time an operator has to answer an offer."""
