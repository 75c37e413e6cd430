"""The index shared by the built-in strategies.

Free operators are kept in *buckets*, one per skill profile (the exact skill → level
map), each a SortedList of ranks. A conversation's required skills select the buckets
that qualify — computed once per requirement and cached — so operators who lack a
required skill are never even looked at. Without buckets, an operator who lacks a
skill never gets work, stays the least loaded, and would be scanned past on every
decision; with them, a decision costs ``O(b log n)`` for ``b`` qualifying profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

if TYPE_CHECKING:
    from omniroute.model import Conversation
    from omniroute.strategies.base import OperatorView

# A rank ends with the operator's join number and id, so ranks are unique and ties
# are broken deterministically.
Rank = tuple[Any, ...]
Profile = tuple[tuple[str, int], ...]
Tiers = list[list["RankedIndex"]]


def profile_of(levels: Mapping[str, int]) -> Profile:
    return tuple(sorted(levels.items()))


def merge_ids(sources: Iterable[Iterator[Rank]]) -> Iterator[str]:
    """Ids from several rank-sorted iterators, lowest rank first.

    ``O(k)`` per id for ``k`` sources: cheaper than :func:`heapq.merge` for the few
    sources and the one or two ids a routing decision usually needs.
    """
    iterators = list(sources)
    heads: list[tuple[Rank, int]] = []
    for i, iterator in enumerate(iterators):
        for rank in iterator:
            heads.append((rank, i))
            break
    while heads:
        best = min(heads)
        yield best[0][-1]
        heads.remove(best)
        for rank in iterators[best[1]]:
            heads.append((rank, best[1]))
            break


class RankedIndex:
    """Operators in a SortedList of ranks; each change is ``O(log n)``."""

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

    def ranks(self) -> Iterator[Rank]:
        return iter(self._index)

    def ranks_after(self, bound: Rank) -> Iterator[Rank]:
        return self._index.irange(minimum=bound, inclusive=(False, True))  # type: ignore[no-any-return]

    def ranks_up_to(self, bound: Rank) -> Iterator[Rank]:
        return self._index.irange(maximum=bound, inclusive=(True, True))  # type: ignore[no-any-return]

    def _check(self) -> None:
        self._index._check()
        assert sorted(self._ranks.values()) == list(self._index)


class RankedStrategy:
    """A strategy whose order is a sort key of the operator, within skill buckets.

    Subclasses define :meth:`rank`; they may override :meth:`_split` (to order
    qualifying profiles in tiers) and :meth:`_ordered` (to walk a tier other than
    lowest rank first).
    """

    name = "ranked"

    def __init__(self) -> None:
        self._buckets: dict[Profile, RankedIndex] = {}
        self._bucket_of: dict[str, Profile] = {}
        # requirement → tiers of qualifying buckets; cleared when a profile appears
        self._tiers: dict[Profile, Tiers] = {}

    def rank(self, operator: OperatorView) -> Rank:
        """The sort key; lower goes first. Must end with ``(joined, id)``."""
        raise NotImplementedError

    def add(self, operator: OperatorView) -> None:
        profile = profile_of(operator.skills)
        bucket = self._buckets.get(profile)
        if bucket is None:
            bucket = self._buckets[profile] = RankedIndex()
            self._tiers.clear()
        self._bucket_of[operator.id] = profile
        bucket.put(operator.id, self.rank(operator))

    def update(self, operator: OperatorView) -> None:
        profile = self._bucket_of.get(operator.id)
        if profile is None:
            self.add(operator)
        else:
            self._buckets[profile].put(operator.id, self.rank(operator))

    def discard(self, operator_id: str) -> None:
        profile = self._bucket_of.pop(operator_id, None)
        if profile is not None:
            self._buckets[profile].discard(operator_id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        """Nothing to remember by default: ranks already follow the operator's load."""

    def candidates(self, conversation: Conversation) -> Iterator[str]:
        requirement = profile_of(conversation.requires) if conversation.requires else ()
        tiers = self._tiers.get(requirement)
        if tiers is None:
            tiers = self._tiers[requirement] = self._split(requirement)
        for tier in tiers:
            yield from self._ordered(tier)

    def _split(self, requirement: Profile) -> Tiers:
        """The buckets whose profile meets ``requirement``, as one tier."""
        return [
            [bucket for profile, bucket in self._buckets.items() if meets(profile, requirement)]
        ]

    def _ordered(self, tier: list[RankedIndex]) -> Iterator[str]:
        if len(tier) == 1:
            return (rank[-1] for rank in tier[0].ranks())
        return merge_ids(bucket.ranks() for bucket in tier)

    def __len__(self) -> int:
        return len(self._bucket_of)

    def _check(self) -> None:
        for profile, bucket in self._buckets.items():
            bucket._check()
            for operator_id in bucket._ranks:
                assert self._bucket_of[operator_id] == profile
        assert sum(len(bucket) for bucket in self._buckets.values()) == len(self._bucket_of)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def meets(profile: Profile, requirement: Profile) -> bool:
    levels = dict(profile)
    return all(levels.get(skill, -1) >= level for skill, level in requirement)
