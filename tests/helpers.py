"""Small test helpers: a state fingerprint and the check that a refused call changed
nothing, event filters, a staffed Router, a ready team."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omniroute import Capacity, Conversation, Event, Group, Operator, Router, Status
from omniroute.seam import core_of
from omniroute.strategies import Strategy
from omniroute.testing import FakeClock

__all__ = [
    "FakeClock",
    "Staff",
    "chat",
    "fingerprint",
    "kinds",
    "of",
    "only",
    "staffed",
    "team",
    "unchanged",
]

# The ``staff`` fixture (tests/conftest.py): ``staffed`` on the test's clock.
Staff = Callable[..., Router]


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def of(events: list[Event], kind: type[Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def only(events: list[Event], kind: type[Event]) -> Any:
    found = of(events, kind)
    assert len(found) == 1, events
    return found[0]


def fingerprint(router: Router) -> Any:
    """Everything a snapshot holds, plus the strategy indexes and the line cache
    version, so a test can tell that a failed call changed nothing at all."""
    views = []
    for group in router.groups():
        s: Any = group.strategy
        if hasattr(s, "_views"):
            views.append({r: view.ranks() for r, view in s._views.items()})
            views.append({k: view.ranks() for k, view in s._channel_views.items()})
    return router.snapshot(), views, core_of(router).room.version


def unchanged(router: Router, call: Callable[[], Any], error: type[Exception], match: str) -> None:
    """``call`` raises ``error`` and leaves the Router exactly as it was."""
    before = fingerprint(router)
    with pytest.raises(error, match=match):
        call()
    assert fingerprint(router) == before


def staffed(
    clock: FakeClock,
    *groups: Group,
    on_event: Callable[[Event], Any] | None = None,
    **operators: Any,
) -> Router:
    """A Router with ``groups`` and ONLINE operators ``name=(groups, skills)`` or
    ``name=Operator(...)``, added in the order given."""
    router = Router(clock=clock, on_event=on_event)
    for group in groups:
        router.add_group(group)
    for name, spec in operators.items():
        operator = spec if isinstance(spec, Operator) else Operator(name, *spec)
        router.add_operator(operator)
        router.set_status(name, Status.ONLINE)
    return router


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
