"""The lifecycle of a conversation, in one table.

Every legal move of a live conversation is a row of ``MOVES``, and the table is the
code that runs: every change of a conversation's state goes through
:meth:`~omniroute.state.Ticket.move`, which applies the row or raises
:class:`~omniroute.InvalidTransition`. A call that must fail before it changes
anything asks :func:`require` first. Ended conversations (finished, abandoned) leave
the Router and are forgotten.

::

    submit ──► QUEUED
    QUEUED   ── assign ──────────────────► ASSIGNED
    QUEUED   ── offer ───────────────────► OFFERED   (the group makes offers)
    OFFERED  ── accept ──────────────────► ASSIGNED
    OFFERED  ── reject, expire, rescind ─► QUEUED    (when no offer is left)
    ASSIGNED ── requeue ─────────────────► QUEUED    (its operator left)
    ASSIGNED ── handoff ─────────────────► QUEUED    (a bot hands it to people)
    ASSIGNED ── transfer ────────────────► QUEUED    (then maybe straight to its target)
    ASSIGNED ── hold ────────────────────► HELD      (waiting on the customer's reply)
    HELD     ── resume ──────────────────► ASSIGNED
    HELD     ── release ─────────────────► RELEASED  (the operator's slot is freed)
    RELEASED ── resume ──────────────────► QUEUED    (then maybe straight back to them)
    ASSIGNED, HELD, RELEASED ── respond ─► (the same: the operator replied)
    ASSIGNED, HELD, RELEASED ── finish ──► (ended)
    QUEUED, OFFERED ── abandon ──────────► (ended)
"""

from __future__ import annotations

import enum

from omniroute.errors import InvalidTransition

__all__ = ["AFTER", "MOVES", "ConversationState", "illegal", "require"]


class ConversationState(enum.Enum):
    """Where a live conversation is."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    HELD = "held"
    """Waiting on the customer's reply; the operator keeps the slot."""
    RELEASED = "released"
    """Waiting on the customer's reply; the operator's slot was freed."""
    ENDED = "ended"

    # Members are singletons compared by identity: hash them in C, not by name in
    # Python (enum's default), since every move looks one up.
    __hash__ = object.__hash__


QUEUED, OFFERED, ASSIGNED, HELD, RELEASED, ENDED = ConversationState

MOVES: dict[tuple[ConversationState, str], ConversationState] = {
    (QUEUED, "assign"): ASSIGNED,
    (QUEUED, "offer"): OFFERED,
    (QUEUED, "abandon"): ENDED,
    (OFFERED, "accept"): ASSIGNED,
    (OFFERED, "reject"): QUEUED,
    (OFFERED, "expire"): QUEUED,
    (OFFERED, "rescind"): QUEUED,
    (OFFERED, "abandon"): ENDED,
    (ASSIGNED, "finish"): ENDED,
    (ASSIGNED, "requeue"): QUEUED,
    (ASSIGNED, "handoff"): QUEUED,
    (ASSIGNED, "transfer"): QUEUED,
    (ASSIGNED, "hold"): HELD,
    (HELD, "resume"): ASSIGNED,
    (HELD, "release"): RELEASED,
    (HELD, "finish"): ENDED,
    (RELEASED, "resume"): QUEUED,
    (RELEASED, "finish"): ENDED,
    (ASSIGNED, "respond"): ASSIGNED,
    (HELD, "respond"): HELD,
    (RELEASED, "respond"): RELEASED,
}

# The calls a host makes, for error messages (the others are the Router's own).
_HOST_CALLS = {
    "abandon": "abandon()",
    "accept": "accept()",
    "reject": "reject()",
    "finish": "finish()",
    "handoff": "handoff()",
    "transfer": "transfer()",
    "hold": "hold()",
    "resume": "resume()",
    "respond": "responded()",
}


AFTER: dict[str, dict[ConversationState, ConversationState]] = {}
"""``MOVES`` by action: ``AFTER[action][state]`` is the state after it, one lookup."""
for (_state, _action), _after in MOVES.items():
    AFTER.setdefault(_action, {})[_state] = _after


def illegal(state: ConversationState, action: str, conversation_id: str) -> InvalidTransition:
    """The error for ``action`` on a conversation in ``state``, naming what is legal."""
    legal = [_HOST_CALLS[a] for (s, a) in MOVES if s is state and a in _HOST_CALLS]
    return InvalidTransition(
        f"cannot {action} conversation {conversation_id!r}: it is {state.value}; "
        f"legal now: {', '.join(legal) or 'nothing'}"
    )


def require(state: ConversationState, action: str, conversation_id: str) -> ConversationState:
    """The state after ``action``; raises :class:`InvalidTransition` if it is illegal."""
    after = AFTER[action].get(state)
    if after is None:
        raise illegal(state, action, conversation_id)
    return after
