"""The lifecycle of a conversation, in one table.

Every legal move of a live conversation is a row of ``MOVES``; the Router asks
:func:`require` before it changes anything, so an illegal call fails cleanly.
Ended conversations (finished, abandoned) leave the Router and are forgotten.

::

    submit ──► QUEUED ──assign──► ASSIGNED ──finish──► (ended)
                 │  ▲                 │
         abandon │  └─────requeue─────┘  (operator OFFLINE or removed)
                 ▼
              (ended)
"""

from __future__ import annotations

import enum

from omniroute.errors import InvalidTransition

__all__ = ["MOVES", "ConversationState", "require"]


class ConversationState(enum.Enum):
    """Where a live conversation is."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    ENDED = "ended"


QUEUED, ASSIGNED, ENDED = ConversationState

MOVES: dict[tuple[ConversationState, str], ConversationState] = {
    (QUEUED, "assign"): ASSIGNED,
    (QUEUED, "abandon"): ENDED,
    (ASSIGNED, "finish"): ENDED,
    (ASSIGNED, "requeue"): QUEUED,
}

# The calls a host makes, for error messages ("assign" and "requeue" are the Router's).
_HOST_CALLS = {"abandon": "abandon()", "finish": "finish()"}


def require(state: ConversationState, action: str, conversation_id: str) -> ConversationState:
    """The state after ``action``; raises :class:`InvalidTransition` if it is illegal."""
    after = MOVES.get((state, action))
    if after is None:
        legal = [_HOST_CALLS[a] for (s, a) in MOVES if s is state and a in _HOST_CALLS]
        raise InvalidTransition(
            f"cannot {action} conversation {conversation_id!r}: it is {state.value}; "
            f"legal now: {', '.join(legal) or 'nothing'}"
        )
    return after
