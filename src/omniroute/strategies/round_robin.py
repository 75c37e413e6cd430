"""Round-robin with memory: each new conversation goes to the next free operator.

Like Asterisk's ``rrmemory`` and Rocket.Chat's *Auto Selection*: operators form a
ring in the order they were added; the search starts just after the operator who
received the group's last conversation, so work is spread evenly whatever the load.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from omniroute.strategies._ranked import Rank, RankedIndex, RankedStrategy, merge_ids

if TYPE_CHECKING:
    from omniroute.model import Conversation
    from omniroute.strategies.base import OperatorView

__all__ = ["RoundRobin"]


class RoundRobin(RankedStrategy):
    """Next free operator in the ring after the last one served.

    Each index change costs ``O(log n)``; finding the first candidate costs
    ``O(b log n)`` for the ``b`` skill profiles that meet the requirement.
    """

    name = "round_robin"

    def __init__(self) -> None:
        super().__init__()
        self._last: Rank | None = None

    def rank(self, operator: OperatorView) -> Rank:
        return (operator.joined, operator.id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        self._last = (operator.joined, operator.id)

    def _ordered(self, tier: list[RankedIndex]) -> Iterator[str]:
        last = self._last
        if last is None:
            return super()._ordered(tier)
        # the ring: everyone after the last served, then from the start up to them
        after = merge_ids(bucket.ranks_after(last) for bucket in tier)
        before = merge_ids(bucket.ranks_up_to(last) for bucket in tier)
        return itertools.chain(after, before)
