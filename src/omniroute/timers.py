"""Timers: one row per kind, and the heaps that hold them.

A timer never gets cancelled. It is a tuple ``(due, kind, ticket seq, operator
joined, push count, ticket, subject, stamp)`` that fires only if its row's ``live``
finds the ticket still where it was when the timer was set (``subject`` and
``stamp`` tell). The key before the push count derives from state alone, so a
restored Router fires the same timers in the same order as the original.

Each kind of timer is one :class:`TimerRow`: when it is still live, what firing
it does, and how to set it again for a ticket rebuilt from a snapshot. The Router's
``tick()``, ``next_due()``, ``snapshot()`` and ``restore()`` read the rows
(``omniroute.plan.TIMERS``); a new timer-driven policy is one row, its handler and a
kind number below, and nothing else.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from omniroute.state import OperatorState, Ticket

if TYPE_CHECKING:
    from omniroute.events import Event

__all__ = [
    "AFFINITY",
    "LEAVE",
    "NOTIFY",
    "OFFER",
    "OVERFLOW",
    "RELAX",
    "RELEASE",
    "Timer",
    "TimerRow",
    "Timers",
]

# Timer kinds, in the order timers due at the same moment fire.
RELAX, OVERFLOW, OFFER, LEAVE, AFFINITY, RELEASE, NOTIFY = range(7)

Timer = tuple[float, int, int, int, int, Ticket, Any, float]

C = TypeVar("C")


class TimerRow(Generic[C]):
    """One kind of timer, as the policy that sets it defines it.

    ``live(core, timer, now)``: whether it still applies to its ticket as it is now.
    ``fire(core, timer, now, events)``: what it does when due and live.
    ``rearm(core, ticket)``: set it again, if the ticket's state says it is pending,
    for a ticket rebuilt from a snapshot.
    """

    __slots__ = ("fire", "kind", "live", "name", "rearm")

    def __init__(
        self,
        kind: int,
        name: str,
        *,
        live: Callable[[C, Timer, float], bool],
        fire: Callable[[C, Timer, float, list[Event]], None],
        rearm: Callable[[C, Ticket], None],
    ) -> None:
        self.kind = kind
        self.name = name
        self.live = live
        self.fire = fire
        self.rearm = rearm

    def __repr__(self) -> str:
        return f"TimerRow({self.kind}, {self.name!r})"


class Timers:
    """The pending timers: relaxation steps in a heap of their own, because every
    call that may route work applies those due (``tick()`` fires the rest).

    ``schedule`` and popping cost ``O(log t)`` for ``t`` pending timers.
    """

    __slots__ = ("count", "others", "relax")

    def __init__(self) -> None:
        self.relax: list[Timer] = []
        self.others: list[Timer] = []
        self.count = 0  # timers pushed so far: the tie-break of equal keys

    def schedule(
        self, due: float, kind: int, ticket: Ticket, subject: Any = None, stamp: float = 0.0
    ) -> None:
        self.count += 1
        joined = subject.joined if isinstance(subject, OperatorState) else 0
        timer = (due, kind, ticket.seq, joined, self.count, ticket, subject, stamp)
        heapq.heappush(self.relax if kind == RELAX else self.others, timer)

    def due(self, now: float) -> Iterator[Timer]:
        """Pop the timers due by ``now``, earliest first across both heaps; timers
        pushed while iterating that are due too come out in their turn."""
        relax, others = self.relax, self.others
        while True:
            due_relax = bool(relax) and relax[0][0] <= now
            due_other = bool(others) and others[0][0] <= now
            if not (due_relax or due_other):
                return
            heap = relax if due_relax and (not due_other or relax[0] < others[0]) else others
            yield heapq.heappop(heap)

    def next_due(self) -> float | None:
        """When the earliest timer falls due (None: none is set). ``O(1)``."""
        relax, others = self.relax, self.others
        if relax and others:
            return min(relax[0][0], others[0][0])
        if relax or others:
            return (relax or others)[0][0]
        return None

    def __len__(self) -> int:
        return len(self.relax) + len(self.others)
