"""A conversation waits afresh: a hand-off, a transfer or a resume.

Its ticket starts over (:func:`restart`: new groups, new place in line, no
operator), then is routed (:func:`route_restarted`), first to the operator it
should go back to when there is one (:func:`reach`; continuity keeps it for them
when they are busy).
"""

from __future__ import annotations

from omniroute.conversation import Conversation
from omniroute.core import LATER, NEVER, NOW, OFFLINE, Core, Desk
from omniroute.events import Event
from omniroute.state import NOBODY, OperatorState, Ticket

__all__ = ["reach", "restart", "route_restarted"]


def restart(
    core: Core,
    ticket: Ticket,
    conversation: Conversation,
    desk: Desk,
    groups: tuple[str, ...],
    step: int,
    now: float,
    action: str,
) -> None:
    """The ticket waits afresh, from ``now``, in ``groups`` (``desk`` last) as
    ``conversation`` at relaxation ``step``: a hand-off, a transfer or a resume
    (``action``). The caller freed its operator's slot and routes it."""
    ticket.move(action)
    core.count_live(ticket, -1)
    ticket.submitted = conversation
    ticket.groups = groups
    ticket.moved(group=desk.id, step=step)
    core.count_live(ticket, 1)
    ticket.enqueued_at = ticket.entered_at = now
    ticket.declined = NOBODY
    ticket.operator = None
    ticket.assigned_at = None
    ticket.held_for = 0.0
    ticket.key = (*desk.group.order(conversation.priority, now, ticket.seq), ticket)
    if ticket.record is not None:
        ticket.record.moved(desk.id)


def route_restarted(
    core: Core,
    ticket: Ticket,
    now: float,
    events: list[Event],
    target_id: str | None = None,
    wait: float = 0.0,
) -> None:
    """Route a restarted ticket: to ``target_id`` if they may take it now, else
    wait for them alone up to ``wait``, else to anyone eligible."""
    conversation = ticket.conversation
    can, target, via = NEVER, None, None
    if target_id is not None:
        can, target, via = reach(core, target_id, ticket.groups, conversation, wait)
    if can == NOW:
        assert target is not None
        assert via is not None
        picks = [(target, via)]
    elif can == LATER:
        picks = []
    else:
        want = core.desks[ticket.group].want
        picks = core.pick(ticket.groups, conversation, ticket.declined, want)
    if target_id is not None:
        core.keep_hook(core, ticket, can, target, target_id, wait, now, events)
    ticket.line = core.line_of(ticket)
    core.arrive(ticket, picks, now, events)


def reach(
    core: Core, operator_id: str, groups: tuple[str, ...], conversation: Conversation, wait: float
) -> tuple[int, OperatorState | None, str | None]:
    """Whether the operator may take the conversation NOW, LATER (it waits for
    them) or NEVER (anyone may take it), and through which group."""
    op = core.operators.get(operator_id)
    if op is None or op.status is OFFLINE:
        return NEVER, None, None
    via = op.serves(groups, conversation.requirement)
    if via is None:
        return NEVER, None, None
    if op.free and op.fits(conversation.channel):
        return NOW, op, via
    return (LATER if wait > 0 else NEVER), op, via
