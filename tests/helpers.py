"""Small test helpers: a state fingerprint, event filters, a ready team."""

from __future__ import annotations

from typing import Any

from omniroute import Capacity, Conversation, Event, Group, Operator, Router, Status
from omniroute.seam import core_of
from omniroute.strategies import Strategy
from omniroute.testing import FakeClock

__all__ = ["FakeClock", "chat", "fingerprint", "kinds", "team"]


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def fingerprint(router: Router) -> Any:
    """Everything a snapshot holds, plus the strategy indexes and the line cache
    version, so a test can tell that a failed call changed nothing at all."""
    views = []
    for group in router.groups():
        s: Any = group.strategy
        if hasattr(s, "_views"):
            views.append({r: view.ranks() for r, view in s._views.items()})
    return router.snapshot(), views, core_of(router).room.version


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
