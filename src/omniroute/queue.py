"""Waiting conversations, kept in ordered lines.

A *line* holds the conversations of one group (or, after an overflow that keeps the
first group, of a tuple of groups), one channel and one set of required skills:
everything in a line is eligible for exactly the same operators, so only its head
can be next. An operator with a free slot compares the heads of the lines it may
take — a handful — instead of scanning the queue. Within a line, order is higher
priority first, then earlier waiting start (FIFO), then submission order — or the
order the group's discipline and priority aging give (:meth:`Group.order`).
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedList

from omniroute.skills import Requirement
from omniroute.state import LineKey, Ticket

__all__ = ["Line", "WaitingRoom"]


class Line:
    """Conversations with identical eligibility, best first.

    ``push``, ``remove``, ``pop`` and ``position`` cost ``O(log n)``; ``head`` ``O(1)``.
    """

    __slots__ = ("_entries", "channel", "first", "group", "groups", "requirement", "size")

    def __init__(self, groups: tuple[str, ...], channel: str, requirement: Requirement) -> None:
        self.groups = groups  # whose operators may take it
        self.group = groups[-1]  # the group it waits in now: its counts go there
        self.channel = channel
        self.requirement = requirement
        self._entries: SortedList = SortedList()
        self.size = 0  # read on every decision: cheaper than len() through SortedList
        # The head's key, kept up to date: operators compare heads on every decision,
        # and indexing a SortedList costs more than keeping it.
        self.first: LineKey | None = None

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Ticket]:
        for entry in self._entries:
            yield entry[-1]

    def add(self, ticket: Ticket) -> int:
        """Insert ``ticket``; return its 1-based position."""
        entries = self._entries
        key = ticket.key
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

    def add_all(self, keys: list[LineKey]) -> None:
        """Insert many tickets' keys at once."""
        self._entries.update(keys)
        self.size += len(keys)
        self.first = self._entries[0] if self.size else None

    def remove(self, ticket: Ticket) -> None:
        key = ticket.key
        self._entries.remove(key)
        self.size -= 1
        if key is self.first:
            self.first = self._entries[0] if self.size else None

    def pop(self) -> Ticket:
        entries = self._entries
        ticket: Ticket = entries.pop(0)[-1]
        self.size -= 1
        self.first = entries[0] if self.size else None
        return ticket

    def head(self) -> Ticket:
        first = self.first
        assert first is not None, "head() of an empty line"
        return first[-1]

    def position(self, ticket: Ticket) -> int:
        """1-based place of ``ticket`` in this line."""
        return int(self._entries.bisect_left(ticket.key)) + 1

    def _check(self) -> None:
        self._entries._check()
        assert self.size == len(self._entries)
        assert self.first is (self._entries[0] if self.size else None)
        for entry in self._entries:
            assert entry[-1].key is entry
            assert entry[-1].line is self


class WaitingRoom:
    """Every line of every group, with counts per group and channel."""

    __slots__ = ("_by_group", "_counts", "_group_counts", "_lines", "version")

    def __init__(self) -> None:
        self._lines: dict[tuple[tuple[str, ...], str, Requirement], Line] = {}
        self._by_group: dict[str, list[Line]] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._group_counts: dict[str, int] = {}
        # bumped whenever a line appears or disappears, to refresh cached line lists
        self.version = 0

    def find(self, groups: tuple[str, ...], channel: str, requirement: Requirement) -> Line | None:
        """The line for these keys, if it exists."""
        return self._lines.get((groups, channel, requirement))

    def line_for(self, groups: tuple[str, ...], channel: str, requirement: Requirement) -> Line:
        """The line a conversation belongs in, created on first use."""
        key = (groups, channel, requirement)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = Line(*key)
            for group in groups:
                self._by_group.setdefault(group, []).append(line)
            self.version += 1
        return line

    def lines_of(self, group: str) -> list[Line]:
        """Every line whose conversations the group's operators may take."""
        return self._by_group.get(group, [])

    def _counted(self, line: Line, n: int) -> None:
        key = (line.group, line.channel)
        self._counts[key] = self._counts.get(key, 0) + n
        self._group_counts[line.group] = self._group_counts.get(line.group, 0) + n

    def push(self, ticket: Ticket) -> int:
        """Put ``ticket`` in its line; return its 1-based position there."""
        line = ticket.line
        self._counted(line, 1)
        return line.add(ticket)

    def push_all(self, tickets: list[Ticket]) -> None:
        """Put many tickets in their lines at once: one sort per line, not one
        insertion per ticket."""
        by_line: dict[int, tuple[Line, list[LineKey]]] = {}
        for ticket in tickets:
            line = ticket.line
            by_line.setdefault(id(line), (line, []))[1].append(ticket.key)
        for line, keys in by_line.values():
            line.add_all(keys)
            self._counted(line, len(keys))

    def move(self, ticket: Ticket, line: Line) -> None:
        """Move a waiting ticket to ``line``, of the same group and channel."""
        ticket.line.remove(ticket)
        ticket.line = line
        line.add(ticket)

    def remove(self, ticket: Ticket) -> None:
        line = ticket.line
        line.remove(ticket)
        self._counted(line, -1)

    def pop_head(self, line: Line) -> Ticket:
        ticket = line.pop()
        self._counted(line, -1)
        return ticket

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
            del self._lines[line.groups, line.channel, line.requirement]
            for other in line.groups:
                if other != group:
                    self._by_group[other].remove(line)
        self._counts = {key: n for key, n in self._counts.items() if key[0] != group}
        self._group_counts.pop(group, None)
        self.version += 1

    def __len__(self) -> int:
        return sum(self._counts.values())

    def _check(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        by_group: dict[str, int] = {}
        for line in self._lines.values():
            line._check()
            counts[line.group, line.channel] = counts.get((line.group, line.channel), 0) + len(line)
            by_group[line.group] = by_group.get(line.group, 0) + len(line)
            for group in line.groups:
                assert line in self._by_group[group]
        assert {k: n for k, n in counts.items() if n} == self.counts()
        assert {k: n for k, n in by_group.items() if n} == {
            k: n for k, n in self._group_counts.items() if n
        }
