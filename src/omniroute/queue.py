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

from sortedcontainers import SortedList

from omniroute.skills import Requirement
from omniroute.state import LineKey, Ticket

__all__ = ["Line", "WaitingRoom"]

# A line's identity: its groups, channel, requirement and (personal lines) operator.
LineId = tuple[tuple[str, ...], str, Requirement, str | None]
_NO_LINES: list[Line] = []


class Line:
    """Conversations with identical eligibility, best first.

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
        self.first: LineKey | None = None
        # Conversations that left the line so far, and a heap of (departures, seq,
        # stamp, ticket): when that many have left, the ticket may have moved up
        # enough to be told (PositionUpdates). A departure moves a ticket up one
        # place at most, so none is told late.
        self.departures = 0
        self.watch: list[tuple[int, int, int, Ticket]] = []

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
        self.departures += 1
        if key is self.first:
            self.first = self._entries[0] if self.size else None

    def pop(self) -> Ticket:
        entries = self._entries
        ticket: Ticket = entries.pop(0)[-1]
        self.size -= 1
        self.departures += 1
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
        self._lines: dict[LineId, Line] = {}
        self._by_group: dict[str, list[Line]] = {}
        self._personal_of: dict[str, list[Line]] = {}  # operator id → personal lines
        self._personal_by_group: dict[str, list[Line]] = {}
        # Lines whose watch is due: tickets there may be told they moved up.
        self.due: list[Line] = []
        self.ready: list[Ticket] = []  # tickets whose deferred telling is due
        self._counts: dict[tuple[str, str], int] = {}
        self._group_counts: dict[str, int] = {}
        # bumped whenever a line appears or disappears, to refresh cached line lists
        self.version = 0

    def find(self, groups: tuple[str, ...], channel: str, requirement: Requirement) -> Line | None:
        """The line for these keys, if it exists."""
        return self._lines.get((groups, channel, requirement, None))

    def line_for(
        self,
        groups: tuple[str, ...],
        channel: str,
        requirement: Requirement,
        operator: str | None = None,
    ) -> Line:
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

    def lines_of(self, group: str) -> list[Line]:
        """Every line whose conversations the group's operators may take."""
        return self._by_group.get(group, [])

    def personal_of(self, operator: str) -> list[Line]:
        """The personal lines of conversations waiting for ``operator`` alone."""
        return self._personal_of.get(operator, _NO_LINES)

    def all_lines_of(self, group: str) -> list[Line]:
        """Every line conversations of the group wait in, personal lines included."""
        return self.lines_of(group) + self._personal_by_group.get(group, _NO_LINES)

    def forget_operator(self, operator: str) -> None:
        """Forget the (empty) personal lines of a removed operator."""
        for line in self._personal_of.pop(operator, _NO_LINES):
            assert not line, "only empty personal lines are forgotten"
            self._forget(line)
            for group in line.groups:
                self._personal_by_group[group].remove(line)

    def _forget(self, line: Line) -> None:
        del self._lines[line.key]
        if line.watch:
            line.watch.clear()

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

    def move(self, ticket: Ticket, line: Line) -> int:
        """Move a waiting ticket to ``line``, of the same group and channel; return
        its position there."""
        old = ticket.line
        old.remove(ticket)
        if old.watch and old.watch[0][0] <= old.departures:
            self.due.append(old)
        ticket.line = line
        return line.add(ticket)

    def remove(self, ticket: Ticket) -> None:
        line = ticket.line
        line.remove(ticket)
        self._counted(line, -1)
        if line.watch and line.watch[0][0] <= line.departures:
            self.due.append(line)

    def pop_head(self, line: Line) -> Ticket:
        ticket = line.pop()
        self._counted(line, -1)
        if line.watch and line.watch[0][0] <= line.departures:
            self.due.append(line)
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
