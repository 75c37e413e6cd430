"""Waiting conversations, kept in ordered lines.

A *line* holds the conversations of one group (or, after an overflow that keeps the
first group, of a tuple of groups), one channel and one set of required skills:
everything in a line is eligible for exactly the same operators, so only its head
can be next. An operator with a free slot compares the heads of the lines it may
take — a handful — instead of scanning the queue. Within a line, order is higher
priority first, then earlier waiting start (FIFO), then submission order — or the
order the group's discipline and priority aging give (:meth:`Group.order`).

A *personal* line holds the conversations of one group and channel that wait for
one operator alone (affinity, a resume, a transfer). Only that operator looks at
it, so it is kept apart from the group's lines the other operators compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from sortedcontainers import SortedList

from omniroute.skills import Requirement

__all__ = ["Line", "LineId", "LineKey", "WaitingRoom"]

# A line's identity: its groups, channel, requirement and (personal lines) operator.
LineId = tuple[tuple[str, ...], str, Requirement, str | None]

T = TypeVar("T")
LineKey = tuple[int, float, int, T]
"""How a line orders what waits in it: the group's order (by default higher priority
first, then earlier waiting start), then submission order; the waiting item (the
Router's ticket) rides along. The order is unique, so comparison never reaches it."""

_NO_LINES: list[Any] = []


class Line(Generic[T]):
    """Conversations with identical eligibility, best first. Lines hold the keys of
    what waits (:data:`LineKey`); the item is the key's last element.

    ``push``, ``remove``, ``pop`` and ``position`` cost ``O(log n)``; ``head`` ``O(1)``.
    """

    __slots__ = (
        "_entries",
        "channel",
        "departures",
        "first",
        "group",
        "groups",
        "key",
        "operator",
        "requirement",
        "size",
        "watch",
    )

    def __init__(
        self,
        groups: tuple[str, ...],
        channel: str,
        requirement: Requirement,
        operator: str | None = None,
    ) -> None:
        self.groups = groups  # whose operators may take it
        self.group = groups[-1]  # the group it waits in now: its counts go there
        self.channel = channel
        self.requirement = requirement
        self.operator = operator  # a personal line's operator, the only one who may take it
        self.key: LineId = (groups, channel, requirement, operator)
        self._entries: SortedList = SortedList()
        self.size = 0  # read on every decision: cheaper than len() through SortedList
        # The head's key, kept up to date: operators compare heads on every decision,
        # and indexing a SortedList costs more than keeping it.
        self.first: LineKey[T] | None = None
        # Conversations that left the line so far, and a heap of (departures, seq,
        # stamp, ticket): when that many have left, the ticket may have moved up
        # enough to be told (PositionUpdates). A departure moves a ticket up one
        # place at most, so none is told late.
        self.departures = 0
        self.watch: list[tuple[int, int, int, T]] = []

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[T]:
        for entry in self._entries:
            yield entry[-1]

    def add(self, key: LineKey[T]) -> int:
        """Insert the item of ``key``; return its 1-based position."""
        entries = self._entries
        # Most arrivals join the tail: their place is the length, and skipping
        # positional lookups spares SortedList its positional index on the hot path.
        at_tail = not self.size or entries[-1] < key
        entries.add(key)
        self.size += 1
        if at_tail:
            if self.size == 1:
                self.first = key
            return self.size
        if key < self.first:  # type: ignore[operator]  # not at the tail: not empty
            self.first = key
        return int(entries.bisect_left(key)) + 1

    def add_all(self, keys: list[LineKey[T]]) -> None:
        """Insert many tickets' keys at once."""
        self._entries.update(keys)
        self.size += len(keys)
        self.first = self._entries[0] if self.size else None

    def remove(self, key: LineKey[T]) -> None:
        self._entries.remove(key)
        self.size -= 1
        self.departures += 1
        if key is self.first:
            self.first = self._entries[0] if self.size else None

    def pop(self) -> T:
        entries = self._entries
        item: T = entries.pop(0)[-1]
        self.size -= 1
        self.departures += 1
        self.first = entries[0] if self.size else None
        return item

    def head(self) -> T:
        first = self.first
        assert first is not None, "head() of an empty line"
        return first[-1]

    def position(self, key: LineKey[T]) -> int:
        """1-based place of the item of ``key`` in this line."""
        return int(self._entries.bisect_left(key)) + 1

    def keys(self) -> Iterator[LineKey[T]]:
        """The keys of what waits, best first."""
        return iter(self._entries)

    def _check(self) -> None:
        self._entries._check()
        assert self.size == len(self._entries)
        assert self.first is (self._entries[0] if self.size else None)


class WaitingRoom(Generic[T]):
    """Every line of every group, with counts per group and channel."""

    __slots__ = (
        "_by_group",
        "_counts",
        "_group_counts",
        "_lines",
        "_personal_by_group",
        "_personal_of",
        "due",
        "ready",
        "version",
    )

    def __init__(self) -> None:
        self._lines: dict[LineId, Line[T]] = {}
        self._by_group: dict[str, list[Line[T]]] = {}
        self._personal_of: dict[str, list[Line[T]]] = {}  # operator id → personal lines
        self._personal_by_group: dict[str, list[Line[T]]] = {}
        # Lines whose watch is due: what waits there may be told it moved up.
        self.due: list[Line[T]] = []
        self.ready: list[T] = []  # waiting items whose deferred telling is due
        self._counts: dict[tuple[str, str], int] = {}
        self._group_counts: dict[str, int] = {}
        # bumped whenever a line appears or disappears, to refresh cached line lists
        self.version = 0

    def find(
        self, groups: tuple[str, ...], channel: str, requirement: Requirement
    ) -> Line[T] | None:
        """The line for these keys, if it exists."""
        return self._lines.get((groups, channel, requirement, None))

    def line_for(
        self,
        groups: tuple[str, ...],
        channel: str,
        requirement: Requirement,
        operator: str | None = None,
    ) -> Line[T]:
        """The line a conversation belongs in, created on first use: the group's
        line, or ``operator``'s personal line if it waits for them alone."""
        key = (groups, channel, requirement, operator)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = Line(*key)
            if operator is None:
                for group in groups:
                    self._by_group.setdefault(group, []).append(line)
                self.version += 1
            else:
                # Nobody else looks at it: the others' cached line lists stay valid.
                self._personal_of.setdefault(operator, []).append(line)
                for group in groups:
                    self._personal_by_group.setdefault(group, []).append(line)
        return line

    def lines_of(self, group: str) -> list[Line[T]]:
        """Every line whose conversations the group's operators may take."""
        return self._by_group.get(group, [])

    def personal_of(self, operator: str) -> list[Line[T]]:
        """The personal lines of conversations waiting for ``operator`` alone."""
        return self._personal_of.get(operator, _NO_LINES)

    def all_lines_of(self, group: str) -> list[Line[T]]:
        """Every line conversations of the group wait in, personal lines included."""
        return self.lines_of(group) + self._personal_by_group.get(group, _NO_LINES)

    def forget_operator(self, operator: str) -> None:
        """Forget the (empty) personal lines of a removed operator."""
        for line in self._personal_of.pop(operator, _NO_LINES):
            assert not line, "only empty personal lines are forgotten"
            self._forget(line)
            for group in line.groups:
                self._personal_by_group[group].remove(line)

    def _forget(self, line: Line[T]) -> None:
        del self._lines[line.key]
        if line.watch:
            line.watch.clear()

    def _counted(self, line: Line[T], n: int) -> None:
        key = (line.group, line.channel)
        self._counts[key] = self._counts.get(key, 0) + n
        self._group_counts[line.group] = self._group_counts.get(line.group, 0) + n

    def push(self, line: Line[T], key: LineKey[T]) -> int:
        """Put the item of ``key`` in ``line``; return its 1-based position there."""
        self._counted(line, 1)
        return line.add(key)

    def push_all(self, entries: list[tuple[Line[T], LineKey[T]]]) -> None:
        """Put many items in their lines at once: one sort per line, not one
        insertion per item."""
        by_line: dict[int, tuple[Line[T], list[LineKey[T]]]] = {}
        for line, key in entries:
            by_line.setdefault(id(line), (line, []))[1].append(key)
        for line, keys in by_line.values():
            line.add_all(keys)
            self._counted(line, len(keys))

    def move(self, old: Line[T], line: Line[T], key: LineKey[T]) -> int:
        """Move the item of ``key`` from ``old`` to ``line``, of the same group and
        channel; return its position there."""
        old.remove(key)
        if old.watch and old.watch[0][0] <= old.departures:
            self.due.append(old)
        return line.add(key)

    def remove(self, line: Line[T], key: LineKey[T]) -> None:
        line.remove(key)
        self._counted(line, -1)
        if line.watch and line.watch[0][0] <= line.departures:
            self.due.append(line)

    def pop_head(self, line: Line[T]) -> T:
        item = line.pop()
        self._counted(line, -1)
        if line.watch and line.watch[0][0] <= line.departures:
            self.due.append(line)
        return item

    def count(self, group: str | None = None, channel: str | None = None) -> int:
        """Waiting conversations, optionally of one group and/or one channel."""
        if group is not None and channel is not None:
            return self._counts.get((group, channel), 0)
        if group is not None:
            return self._group_counts.get(group, 0)
        return sum(
            n
            for (g, c), n in self._counts.items()
            if (group is None or g == group) and (channel is None or c == channel)
        )

    def counts(self) -> dict[tuple[str, str], int]:
        """``(group, channel) → waiting``, for the pairs with anyone waiting."""
        return {key: n for key, n in self._counts.items() if n}

    def drop_group(self, group: str) -> None:
        """Forget the (empty) lines of a removed group."""
        for line in self._by_group.pop(group, []):
            assert not line, "only empty groups are dropped"
            self._forget(line)
            for other in line.groups:
                if other != group:
                    self._by_group[other].remove(line)
        for line in self._personal_by_group.pop(group, []):
            assert not line, "only empty groups are dropped"
            self._forget(line)
            for other in line.groups:
                if other != group:
                    self._personal_by_group[other].remove(line)
            assert line.operator is not None
            self._personal_of[line.operator].remove(line)
        self._counts = {key: n for key, n in self._counts.items() if key[0] != group}
        self._group_counts.pop(group, None)
        self.version += 1

    def __len__(self) -> int:
        return sum(self._counts.values())

    def lines(self) -> list[Line[T]]:
        """Every line, personal ones included, in the order they were made."""
        return list(self._lines.values())

    def _check(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        by_group: dict[str, int] = {}
        for line in self._lines.values():
            line._check()
            counts[line.group, line.channel] = counts.get((line.group, line.channel), 0) + len(line)
            by_group[line.group] = by_group.get(line.group, 0) + len(line)
            assert line.key == (line.groups, line.channel, line.requirement, line.operator)
            for group in line.groups:
                if line.operator is None:
                    assert line in self._by_group[group]
                else:
                    assert line in self._personal_by_group[group]
                    assert line in self._personal_of[line.operator]
        assert {k: n for k, n in counts.items() if n} == self.counts()
        assert {k: n for k, n in by_group.items() if n} == {
            k: n for k, n in self._group_counts.items() if n
        }
