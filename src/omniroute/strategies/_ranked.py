"""The index shared by strategies that rank free operators by a sort key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

if TYPE_CHECKING:
    from omniroute.model import Conversation
    from omniroute.strategies.base import OperatorView

# A rank ends with the operator's join number and id, so ranks are unique and ties
# are broken deterministically.
Rank = tuple[Any, ...]


class RankedIndex:
    """Free operators in a SortedList of ranks; each change is ``O(log n)``."""

    __slots__ = ("_index", "_ranks")

    def __init__(self) -> None:
        self._index: SortedList = SortedList()
        self._ranks: dict[str, Rank] = {}

    def __len__(self) -> int:
        return len(self._ranks)

    def put(self, operator_id: str, rank: Rank) -> None:
        old = self._ranks.get(operator_id)
        if old == rank:
            return
        if old is not None:
            self._index.remove(old)
        self._ranks[operator_id] = rank
        self._index.add(rank)

    def discard(self, operator_id: str) -> None:
        old = self._ranks.pop(operator_id, None)
        if old is not None:
            self._index.remove(old)

    def ids(self) -> Iterator[str]:
        """Operator ids, lowest rank first."""
        for rank in self._index:
            yield rank[-1]

    def ranks(self) -> Iterator[Rank]:
        return iter(self._index)

    def ids_after(self, bound: Rank) -> Iterator[str]:
        """Ids ranked strictly after ``bound``, then from the start up to it: a ring."""
        for rank in self._index.irange(minimum=bound, inclusive=(False, True)):
            yield rank[-1]
        for rank in self._index.irange(maximum=bound, inclusive=(True, True)):
            yield rank[-1]

    def _check(self) -> None:
        self._index._check()
        assert sorted(self._ranks.values()) == list(self._index)


class RankedStrategy:
    """A strategy whose order is a sort key of the operator alone.

    Subclasses define :meth:`rank`; the index and the protocol are here.
    """

    name = "ranked"

    def __init__(self) -> None:
        self._free = RankedIndex()

    def rank(self, operator: OperatorView) -> Rank:
        """The sort key; lower goes first. Must end with ``(joined, id)``."""
        raise NotImplementedError

    def add(self, operator: OperatorView) -> None:
        self._free.put(operator.id, self.rank(operator))

    def update(self, operator: OperatorView) -> None:
        self._free.put(operator.id, self.rank(operator))

    def discard(self, operator_id: str) -> None:
        self._free.discard(operator_id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        """Nothing to remember: the rank already follows the operator's load."""

    def candidates(self, conversation: Conversation) -> Iterator[str]:
        return self._free.ids()

    def __len__(self) -> int:
        return len(self._free)

    def _check(self) -> None:
        self._free._check()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
