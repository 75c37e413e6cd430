"""Round-robin with memory: each new conversation goes to the next free operator.

Like Asterisk's ``rrmemory`` and Rocket.Chat's *Auto Selection*: operators form a
ring in the order they were added; the search starts just after the operator who
received the group's last conversation, so work is spread evenly whatever the load.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from omniroute.skills import Requirement
from omniroute.strategies._ranked import Rank, RankedStrategy, RankedView, SortedView

if TYPE_CHECKING:
    from omniroute.conversation import Conversation
    from omniroute.strategies.base import OperatorView

__all__ = ["RoundRobin"]


class RoundRobin(RankedStrategy):
    """Next free operator in the ring after the last one served.

    Each index change costs ``O(log n)`` per requirement list the operator is in;
    finding the first candidate ``O(log n)`` (a bisection, however many of the ring
    are busy).
    """

    name = "round_robin"
    view_type = SortedView

    def __init__(self) -> None:
        super().__init__()
        self._last: Rank | None = None

    def rank(self, operator: OperatorView, requirement: Requirement) -> Rank:
        return (operator.joined, operator.id)

    def update(self, operator: OperatorView) -> None:
        """Nothing to do: the ring order does not follow the load (and the channel
        views follow each load change through :meth:`refit`)."""

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        self._last = (operator.joined, operator.id)

    def _walk(self, view: RankedView) -> Iterator[str]:
        assert isinstance(view, SortedView)
        return view.ids() if self._last is None else view.ids_after(self._last)

    def _first(self, view: RankedView) -> str | None:
        assert isinstance(view, SortedView)
        return view.first() if self._last is None else view.first_after(self._last)

    def _order(self, rank: Rank) -> Any:
        # The ring: those after the last served first, then from the start.
        last = self._last
        return rank if last is None else (rank <= last, rank)

    def dump_state(self) -> list[Any] | None:
        """The ring position: ``[joined, id]`` of the operator served last."""
        return None if self._last is None else list(self._last)

    def load_state(self, state: Any) -> None:
        """Take back what :meth:`dump_state` gave; ``ValueError`` if malformed."""
        if not (
            isinstance(state, list)
            and len(state) == 2
            and isinstance(state[0], int)
            and not isinstance(state[0], bool)
            and isinstance(state[1], str)
        ):
            raise ValueError(f"expected [joined, operator id], got {state!r}")
        self._last = (state[0], state[1])
