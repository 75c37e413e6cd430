"""Small test helpers: a virtual clock, a state fingerprint, event filters."""

from __future__ import annotations

from typing import Any

from omniroute import Capacity, Conversation, Event, Group, Operator, Router, Status
from omniroute.strategies import Strategy


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def fingerprint(router: Router) -> Any:
    """Everything observable about a Router, plus the private counters and strategy
    indexes, so a test can tell that a failed call changed nothing."""
    strategies = []
    for group in router.groups():
        s: Any = group.strategy
        state = {k: repr(getattr(s, k)) for k in ("_last",) if hasattr(s, k)}
        if hasattr(s, "_views"):
            state["views"] = {r: view.ranks() for r, view in s._views.items()}
        strategies.append((group.id, state))
    return (
        [g.id for g in router.groups()],
        list(router.operators()),
        list(router.conversations()),
        router.queue_lengths(),
        router.now,
        router._event_seq,
        router._ticket_seq,
        router._joined,
        router._room.version,
        strategies,
    )


def team(
    strategy: Strategy | None = None,
    operators: int = 2,
    total: int = 1,
    clock: FakeClock | None = None,
    group: str = "g",
) -> Router:
    """A Router with one group and ``operators`` ONLINE operators o0, o1…"""
    router = Router(clock=clock or FakeClock())
    router.add_group(Group(group, strategy=strategy) if strategy else Group(group))
    for i in range(operators):
        router.add_operator(Operator(f"o{i}", groups={group}, capacity=Capacity(total=total)))
        router.set_status(f"o{i}", Status.ONLINE)
    return router


def chat(cid: str, group: str = "g", **kwargs: Any) -> Conversation:
    return Conversation(cid, channel="chat", group=group, **kwargs)
