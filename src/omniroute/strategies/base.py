"""The plug-in point for distribution algorithms.

A strategy answers one question: *of the operators free to receive work in this
group, in which order should we try them for this conversation?* It keeps its own
index of those operators, updated incrementally by the Router, so that answering
never scans the whole team.

The Router owns every limit. It tries the candidates in the order the strategy gives
and takes the first one that is ONLINE, serves the group, meets the conversation's
required skills and has room for its channel. A strategy therefore cannot flood an
operator, even a buggy one written by a host.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from omniroute.capacity import Capacity
    from omniroute.conversation import Conversation

__all__ = ["OperatorView", "Strategy", "strategy_name", "unknown_strategy"]


class OperatorView(Protocol):
    """A read-only, live view of an operator, as strategies see it.

    The object stays the same for the operator's life; its values change as the
    operator works. Strategies must not modify it.
    """

    @property
    def id(self) -> str:
        """The operator's id."""

    @property
    def skills(self) -> Mapping[str, int]:
        """Skill name → proficiency level."""

    @property
    def capacity(self) -> Capacity:
        """The operator's limits."""

    @property
    def active(self) -> int:
        """How many conversations the operator holds now."""

    @property
    def utilisation(self) -> float:
        """Share of the operator's tightest overall limit (total or units) in use;
        1.0 while they hold an exclusive conversation."""

    @property
    def idle_since(self) -> float:
        """When the operator's last conversation ended, or they came ONLINE if later."""

    @property
    def joined(self) -> int:
        """A number that orders operators by when they were added; unique."""

    def fits(self, channel: str) -> bool:
        """Whether one more conversation on ``channel`` fits their limits now."""


@runtime_checkable
class Strategy(Protocol):
    """A distribution algorithm for one group. Give every group its own instance.

    The Router calls ``add`` when an operator of the group becomes free to receive
    work (ONLINE with room left), ``update`` when a free operator's load or idle time
    changes, ``discard`` when it stops being free (full, AWAY, OFFLINE, removed),
    and ``assigned`` after each assignment in the group. ``candidates`` is called
    once per routing decision and consumed lazily: the Router stops at the first
    operator that can take the conversation, closes the iterator if it has a
    ``close`` method (so a generator may restore what it moved), and never changes
    state while iterating. Only ``candidates`` may raise without harm, and only
    from :meth:`~omniroute.Router.submit`.

    A strategy that remembers something its operators' state does not tell (as
    round-robin remembers who was served last) should also define two optional
    methods, so that snapshots carry that memory: ``dump_state()`` returning
    JSON-ready data (or None for nothing to keep), and ``load_state(data)``, called
    on a fresh instance before any operator is added, raising ``ValueError`` if the
    data is malformed.
    """

    name: str

    def add(self, operator: OperatorView) -> None:
        """The operator became free to receive work in this group."""

    def update(self, operator: OperatorView) -> None:
        """A free operator's load or idle time changed; it is still free."""

    def discard(self, operator_id: str) -> None:
        """The operator is no longer free to receive work in this group."""

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        """The Router gave ``conversation`` (of this group) to ``operator``."""

    def candidates(self, conversation: Conversation) -> Iterable[str]:
        """Ids of free operators, best first, for this conversation."""


def strategy_name(strategy: Strategy) -> str:
    """The name events and snapshots give a strategy."""
    return getattr(strategy, "name", type(strategy).__name__)


def unknown_strategy(group_id: str, name: str) -> str:
    """Why a group's strategy cannot be made, and what to do about it."""
    return (
        f"group {group_id!r} uses strategy {name!r}, which is not built in; "
        f"pass strategies={{{name!r}: factory}}"
    )
