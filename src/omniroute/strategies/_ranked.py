"""The index shared by the built-in strategies.

Free operators are ranked in one *view* per requirement: one for conversations that
require nothing (every free operator), and one for each distinct set of required
skills seen, holding only the operators who meet it. A decision walks one view from
its best end, so operators who lack a required skill are never looked at — without
this, an operator who lacks a skill never gets work, stays the least loaded, and
would be scanned past on every decision. A view is a heap (:class:`HeapView`) for
strategies whose ranks follow the load, or a SortedList (:class:`SortedView`) where
the walk must start mid-order, as round-robin's does.

Requirement sets are few in practice (they come from routing rules), so an operator's
load change updates a handful of views. Beyond :data:`MAX_VIEWS` requirement views
(the no-requirement view is not counted), the least recently used is dropped, and
rebuilt if it comes back.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from omniroute.capacity import channels_differ
from omniroute.skills import Requirement, meets

if TYPE_CHECKING:
    from omniroute.conversation import Conversation
    from omniroute.strategies.base import OperatorView

# A rank ends with the operator's join number and id, so ranks are unique and ties
# are broken deterministically.
Rank = tuple[Any, ...]

MAX_VIEWS = 64
"""How many requirement views a strategy keeps, besides the no-requirement one."""


class SortedView:
    """The free operators who meet one requirement, in a SortedList of ranks.

    Any position in the order is reachable (round-robin needs "after the last
    served"). Each change costs ``O(log n)``.
    """

    __slots__ = ("_index", "_ranks", "requirement")

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement
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
        for rank in self._index:
            yield rank[-1]

    def first(self) -> str | None:
        """The id ranked first, or None. ``O(1)``."""
        return self._index[0][-1] if self._ranks else None

    def first_after(self, bound: Rank) -> str | None:
        """The first id of :meth:`ids_after`, or None. ``O(log n)``: a bisection of
        the SortedList's sublists (its ``_maxes`` and ``_lists``, which
        sortedcontainers has kept since 1.0), not its positional index, which every
        change would invalidate."""
        maxes = self._index._maxes
        if not maxes:
            return None
        lists = self._index._lists
        at = bisect.bisect_right(maxes, bound)
        if at == len(maxes):
            return str(lists[0][0][-1])
        sub = lists[at]
        return str(sub[bisect.bisect_right(sub, bound)][-1])

    def ids_after(self, bound: Rank) -> Iterator[str]:
        """Ids ranked after ``bound``, then from the start up to it: a ring."""
        for rank in self._index.irange(minimum=bound, inclusive=(False, True)):
            yield rank[-1]
        for rank in self._index.irange(maximum=bound, inclusive=(True, True)):
            yield rank[-1]

    def ranks(self) -> list[Rank]:
        return list(self._index)

    def _check(self) -> None:
        self._index._check()
        assert sorted(self._ranks.values()) == list(self._index)


class HeapView:
    """The free operators who meet one requirement, in a binary heap of ranks.

    Ranks change on every assignment, so changes must be cheap: a change pushes the
    new rank (``O(log n)`` in C) and leaves the old one behind, recognised as stale
    because it is not the very object recorded as the operator's current rank, and
    dropped when it surfaces. The heap is rebuilt when stale entries outnumber live
    ones. Finding the first candidate is ``O(1)`` amortised.
    """

    __slots__ = ("_heap", "_ranks", "requirement")

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement
        self._heap: list[Rank] = []
        self._ranks: dict[str, Rank] = {}

    def __len__(self) -> int:
        return len(self._ranks)

    def put(self, operator_id: str, rank: Rank) -> None:
        ranks = self._ranks
        if ranks.get(operator_id) == rank:
            return
        ranks[operator_id] = rank
        heap = self._heap
        heapq.heappush(heap, rank)
        if len(heap) > 2 * len(ranks) + 32:
            self._compact()

    def discard(self, operator_id: str) -> None:
        self._ranks.pop(operator_id, None)

    def _compact(self) -> None:
        self._heap = list(self._ranks.values())
        heapq.heapify(self._heap)

    def ids(self) -> Iterator[str]:
        """Ids, lowest rank first.

        Entries the caller walks past are popped and pushed back when the walk ends,
        so the caller must close the iterator (or drop it) before changing the view.
        """
        heap = self._heap
        ranks = self._ranks
        passed: list[Rank] = []
        try:
            while heap:
                top = heap[0]
                operator_id = top[-1]
                # Identity, not equality: a rank that comes back to an earlier value
                # is a new object, so the old copy stays stale and is never doubled.
                if ranks.get(operator_id) is not top:
                    heapq.heappop(heap)  # stale
                    continue
                yield operator_id
                passed.append(heapq.heappop(heap))
        finally:
            for rank in passed:
                heapq.heappush(heap, rank)

    def first(self) -> str | None:
        """The id of the lowest rank, or None; stale entries on top are dropped.
        ``O(1)`` amortised."""
        heap = self._heap
        ranks = self._ranks
        while heap:
            top = heap[0]
            operator_id: str = top[-1]
            if ranks.get(operator_id) is top:
                return operator_id
            heapq.heappop(heap)  # stale
        return None

    def ranks(self) -> list[Rank]:
        return sorted(self._ranks.values())

    def _check(self) -> None:
        live = [rank for rank in self._heap if self._ranks.get(rank[-1]) is rank]
        assert sorted(live) == sorted(self._ranks.values())


RankedView = SortedView | HeapView


def _owner(kind: type, name: str) -> type:
    """The class of ``kind``'s MRO that defines ``name``."""
    return next(base for base in kind.__mro__ if name in vars(base))


class RankedStrategy:
    """A strategy whose order is a sort key of the operator (and the requirement).

    Subclasses define :meth:`rank`, and may override :meth:`_walk` and
    :meth:`_first` to read a view other than lowest rank first (then also
    :meth:`_order`, the order those give).

    Operators whose capacity makes channels differ (:func:`omniroute.capacity.channels_differ`) are
    kept apart, in one view per (requirement, channel) of those it fits now, so
    that a channel most of them cannot take costs no walk past them. A decision
    merges that view with the requirement's; with no such operator free, it reads
    the requirement's view only.
    """

    name = "ranked"
    # A heap unless a subclass needs to start the walk mid-order.
    view_type: type[SortedView] | type[HeapView] = HeapView
    # False when the rank ignores the requirement: then one rank serves every view.
    rank_uses_requirement = False

    def __init__(self) -> None:
        self._free: dict[str, OperatorView] = {}
        # requirement → view of the free operators any channel fits, least recently
        # used first; () is kept always
        self._views: dict[Requirement, RankedView] = {(): self.view_type(())}
        # operator id → the views it is in
        self._member_of: dict[str, list[RankedView]] = {}
        # The free operators whose channels differ, and their views: (requirement,
        # channel) → those who meet it and fit the channel now; least recently used first.
        self._by_channel: dict[str, OperatorView] = {}
        self._channel_views: dict[tuple[Requirement, str], RankedView] = {}

    def rank(self, operator: OperatorView, requirement: Requirement) -> Rank:
        """The sort key; lower goes first. Must end with ``(joined, id)``."""
        raise NotImplementedError

    def add(self, operator: OperatorView) -> None:
        self._free[operator.id] = operator
        if channels_differ(operator.capacity):
            self._by_channel[operator.id] = operator
            self._place(operator)
            return
        views = [view for view in self._views.values() if meets(operator.skills, view.requirement)]
        self._member_of[operator.id] = views
        for view in views:
            view.put(operator.id, self.rank(operator, view.requirement))

    def _place(self, operator: OperatorView) -> None:
        """Put an operator whose channels differ in the channel views it meets and
        fits now, and out of the others. ``O(v log n)`` for ``v`` channel views."""
        operator_id = operator.id
        skills = operator.skills
        for (requirement, channel), view in self._channel_views.items():
            if meets(skills, requirement) and operator.fits(channel):
                view.put(operator_id, self.rank(operator, requirement))
            else:
                view.discard(operator_id)

    def refit(self, operator: OperatorView) -> None:
        """An operator's load changed: their channel views follow at once, since what
        fits decides who is in them (the other views wait for :meth:`update`)."""
        if operator.id in self._by_channel:
            self._place(operator)

    def update(self, operator: OperatorView) -> None:
        views = self._member_of.get(operator.id)
        if views is None:
            if operator.id not in self._by_channel:  # (refit keeps theirs up to date)
                self.add(operator)
            return
        if self.rank_uses_requirement:
            for view in views:
                view.put(operator.id, self.rank(operator, view.requirement))
        else:
            rank = self.rank(operator, ())
            for view in views:
                view.put(operator.id, rank)

    def discard(self, operator_id: str) -> None:
        self._free.pop(operator_id, None)
        for view in self._member_of.pop(operator_id, ()):
            view.discard(operator_id)
        if self._by_channel.pop(operator_id, None) is not None:
            for view in self._channel_views.values():
                view.discard(operator_id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        """Nothing to remember by default: ranks already follow the operator's load."""

    def candidates(self, conversation: Conversation) -> Iterator[str]:
        requirement = conversation.requirement
        view = self._view_for(requirement)
        if not self._by_channel:
            return self._walk(view)
        other = self._channel_view(requirement, conversation.channel)
        return self._merged(view, other)

    def first(self, conversation: Conversation) -> str | None:
        """The first of :meth:`candidates` at once, without walking: what a routing
        decision asks first (the Router uses it when
        :meth:`first_is_candidates_first`). ``O(1)`` amortised for a heap view,
        ``O(log n)`` for round-robin's."""
        requirement = conversation.requirement
        # The no-requirement view always exists and is not in the LRU order.
        view = self._views[()] if not requirement else self._view_for(requirement)
        best = self._first(view)
        if not self._by_channel:
            return best
        other = self._channel_view(requirement, conversation.channel)
        theirs = self._first(other)
        if theirs is None:
            return best
        if best is None or self._order(other._ranks[theirs]) < self._order(view._ranks[best]):
            return theirs
        return best

    def first_is_candidates_first(self) -> bool:
        """Whether :meth:`first` gives what :meth:`candidates` gives first: true for
        the built-in strategies, and for subclasses that change only the rank."""
        kind = type(self)
        return kind.candidates is RankedStrategy.candidates and _owner(kind, "_walk") is _owner(
            kind, "_first"
        )

    def _view_for(self, requirement: Requirement) -> RankedView:
        view = self._views.get(requirement)
        if view is None:
            view = self._open_view(requirement)
        elif requirement:
            # keep the dict in least-recently-used order
            del self._views[requirement]
            self._views[requirement] = view
        return view

    def _channel_view(self, requirement: Requirement, channel: str) -> RankedView:
        key = (requirement, channel)
        views = self._channel_views
        view = views.get(key)
        if view is None:
            if len(views) >= MAX_VIEWS:
                del views[next(iter(views))]
            view = views[key] = self.view_type(requirement)
            for operator_id, operator in self._by_channel.items():
                if meets(operator.skills, requirement) and operator.fits(channel):
                    view.put(operator_id, self.rank(operator, requirement))
        else:
            del views[key]  # least-recently-used order
            views[key] = view
        return view

    def _walk(self, view: RankedView) -> Iterator[str]:
        return view.ids()

    def _first(self, view: RankedView) -> str | None:
        return view.first()

    def _order(self, rank: Rank) -> Any:
        """The sort key of the order :meth:`_walk` gives ranks in."""
        return rank

    def _merged(self, view: RankedView, other: RankedView) -> Iterator[str]:
        """The walks of two views as one, in :meth:`_order`; both are closed at the end."""
        order = self._order
        mine, theirs = self._walk(view), self._walk(other)
        try:
            a, b = next(mine, None), next(theirs, None)
            while a is not None:
                if b is None or order(view._ranks[a]) < order(other._ranks[b]):
                    yield a
                    a = next(mine, None)
                else:
                    yield b
                    b = next(theirs, None)
            while b is not None:
                yield b
                b = next(theirs, None)
        finally:
            for walk in (mine, theirs):
                close = getattr(walk, "close", None)
                if close is not None:
                    close()

    def _open_view(self, requirement: Requirement) -> RankedView:
        """Build the view of a requirement seen for the first time: ``O(n log n)``."""
        if len(self._views) > MAX_VIEWS:
            oldest = next(r for r in self._views if r)
            self._close_view(self._views.pop(oldest))
        view = self._views[requirement] = self.view_type(requirement)
        for operator_id, views in self._member_of.items():
            operator = self._free[operator_id]
            if meets(operator.skills, requirement):
                view.put(operator_id, self.rank(operator, requirement))
                views.append(view)
        return view

    def _close_view(self, view: RankedView) -> None:
        for operator_id in view._ranks:
            self._member_of[operator_id].remove(view)

    def __len__(self) -> int:
        return len(self._free)

    def _check(self) -> None:
        free = self._free
        for requirement, view in self._views.items():
            assert view.requirement == requirement
            expected = {o for o in self._member_of if meets(free[o].skills, requirement)}
            self._check_view(view, expected)
        for (requirement, channel), view in self._channel_views.items():
            assert view.requirement == requirement
            expected = {
                o
                for o, op in self._by_channel.items()
                if meets(op.skills, requirement) and op.fits(channel)
            }
            self._check_view(view, expected)
        for operator_id, views in self._member_of.items():
            assert all(operator_id in view._ranks for view in views)
        assert not self._member_of.keys() & self._by_channel.keys()
        assert set(self._member_of) | set(self._by_channel) == set(free)
        for operator_id, operator in free.items():
            assert channels_differ(operator.capacity) == (operator_id in self._by_channel)

    def _check_view(self, view: RankedView, expected: set[str]) -> None:
        view._check()
        assert set(view._ranks) == expected, (sorted(view._ranks), sorted(expected))
        for operator_id, rank in view._ranks.items():
            assert rank == self.rank(self._free[operator_id], view.requirement)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
