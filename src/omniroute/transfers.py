"""Hand-offs and transfers: an assigned conversation starts a new wait, keeping
its id, customer, metadata and history.

A bot hands what it holds to people (:func:`handoff`); an operator transfers what
they hold to another operator, to another group's queue, or to that operator in
that group (:func:`transfer`). Either frees the slot, which is refilled at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from omniroute import restarts
from omniroute.core import Core
from omniroute.errors import InvalidTransition, ValidationError
from omniroute.events import Event, HandedOff, Transferred
from omniroute.lifecycle import ConversationState, require
from omniroute.model import Status

__all__ = ["handoff", "transfer"]

ASSIGNED = ConversationState.ASSIGNED
OFFLINE = Status.OFFLINE


def handoff(
    core: Core,
    conversation_id: str,
    to_group: str,
    *,
    reason: str = "",
    requires: Mapping[str, int] | None = None,
    priority: int | None = None,
) -> list[Event]:
    """``HandedOff``, then ``Assigned`` (or ``Offered``) or ``Queued``."""
    ticket = core.ticket(conversation_id)
    if ticket.state is not ASSIGNED:
        require(ticket.state, "handoff", conversation_id)
    bot = ticket.operator
    assert bot is not None
    if not bot.operator.bot:
        raise InvalidTransition(
            f"cannot hand off conversation {conversation_id!r}: operator {bot.id!r} "
            "holding it is not a bot (Operator(bot=True))"
        )
    desk = core.desk(to_group)
    if to_group in bot.operator.groups:
        raise InvalidTransition(
            f"cannot hand off conversation {conversation_id!r} to group {to_group!r}: "
            f"bot {bot.id!r} serves it and would take it back; hand off to people"
        )
    if not isinstance(reason, str):
        raise ValidationError(f"handoff of {conversation_id!r}: reason must be a string")
    changes: dict[str, Any] = {"group": to_group}
    if requires is not None:
        # New requirements replace the old steps too: they were written for the old ones.
        changes["requires"] = requires
        changes["relax"] = ()
    if priority is not None:
        changes["priority"] = priority
    try:
        conversation = attrs.evolve(ticket.submitted, **changes)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"handoff of {conversation_id!r}: {exc}") from None
    now = core.now()
    events: list[Event] = []
    from_group = ticket.group
    bot.release(ticket, now)
    # New requirements come with new steps: counted from the first.
    restarts.restart(core, ticket, conversation, desk, (to_group,), 0, now, "handoff")
    ticket.responded = False  # a new contact, for new people
    core.record(
        events,
        HandedOff,
        ticket,
        now,
        operator_id=bot.id,
        from_group=from_group,
        reason=reason,
        requires=None if requires is None else conversation.requires,
        priority=priority,
    )
    restarts.route_restarted(core, ticket, now, events)
    core.refill(bot, now, events)
    return core.emit(events)


def transfer(
    core: Core,
    conversation_id: str,
    *,
    to_operator: str | None = None,
    to_group: str | None = None,
    wait: float = math.inf,
    reason: str = "",
    priority: int | None = None,
) -> list[Event]:
    """``Transferred``, then ``Assigned`` (or ``Offered``) or ``Queued``."""
    ticket = core.ticket(conversation_id)
    if ticket.state is not ASSIGNED:
        require(ticket.state, "transfer", conversation_id)
    holder = ticket.operator
    assert holder is not None
    where = f"transfer of {conversation_id!r}"
    if to_operator is None and to_group is None:
        raise ValidationError(f"{where}: give to_operator=, to_group= or both")
    if not isinstance(reason, str):
        raise ValidationError(f"{where}: reason must be a string")
    if not (
        isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait >= 0
    ):  # NaN fails the comparison
        raise ValidationError(f"{where}: wait must be seconds >= 0 (math.inf: forever)")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise ValidationError(f"{where}: priority must be an int, got {priority!r}")
    desk = core.desks[ticket.group] if to_group is None else core.desk(to_group)
    groups = ticket.groups if to_group is None else (desk.id,)
    if to_operator is not None:
        target = core.operator(to_operator)
        problem = None
        if target is holder:
            problem = "they hold it already"
        elif target.status is OFFLINE:
            problem = "they are OFFLINE"
        elif target.serves(groups) is None:
            problem = f"they serve none of group(s) {list(groups)}"
        elif target.serves(groups, ticket.requirement) is None:
            problem = f"they lack the required skills {dict(ticket.requirement)}"
        if problem is not None:
            raise InvalidTransition(
                f"cannot transfer {conversation_id!r} to {to_operator!r}: {problem}"
            )
    now = core.now()
    events: list[Event] = []
    from_group = ticket.group
    holder.release(ticket, now)
    conversation = ticket.submitted.routed(group=desk.id, priority=priority)
    restarts.restart(core, ticket, conversation, desk, groups, ticket.step, now, "transfer")
    ticket.responded = False  # a new contact, for new people
    if to_operator is None:
        ticket.declined = frozenset([holder.id])
    core.record(
        events,
        Transferred,
        ticket,
        now,
        operator_id=holder.id,
        from_group=from_group,
        to_operator=to_operator,
        to_group=to_group,
        wait=wait if math.isfinite(wait) else None,
        reason=reason,
        priority=priority,
    )
    restarts.route_restarted(core, ticket, now, events, to_operator, wait)
    core.refill(holder, now, events)
    return core.emit(events)
