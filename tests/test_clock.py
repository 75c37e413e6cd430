"""The host's clock at the boundary: a reading that is not a finite number of
seconds raises ClockError / ClockTypeError before the call changes anything, and a
clock that goes back holds time still."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from omniroute import (
    Capacity,
    ClockError,
    ClockTypeError,
    Conversation,
    Group,
    Offers,
    OmnirouteError,
    Operator,
    Router,
    Rules,
    Status,
)
from omniroute.testing import check_invariants
from tests.helpers import fingerprint


class Clock:
    """A clock the test sets to anything, good or bad."""

    def __init__(self, now: Any = 100.0) -> None:
        self.now = now

    def __call__(self) -> Any:
        return self.now


def issue_example() -> tuple[Clock, Router]:
    clock = Clock()
    router = Router(clock=clock)
    router.add_group(Group("g"))
    router.add_operator(Operator("a", groups={"g"}, capacity=Capacity(total=2)))
    router.set_status("a", "online")
    for cid in ("c1", "c2", "c3"):
        router.submit(Conversation(cid, channel="chat", group="g"))
    return clock, router


def test_a_nan_reading_in_finish_changes_nothing() -> None:
    """The example of the hardening issue: before, the failed finish left c1
    assigned to nobody and c3 waiting beside a free slot."""
    clock, router = issue_example()
    before = fingerprint(router)
    clock.now = math.nan
    with pytest.raises(ClockError, match=r"the clock returned nan; readings must be finite"):
        router.finish("c1")
    assert fingerprint(router) == before
    clock.now = 200.0
    events = router.finish("c1")
    assert [type(e).__name__ for e in events] == ["Finished", "Assigned"]
    assert router.conversation("c3").operator_id == "a"
    check_invariants(router)


def test_a_submit_at_a_nan_clock_is_refused_so_the_snapshot_restores() -> None:
    clock, router = issue_example()
    clock.now = math.nan
    with pytest.raises(ClockError):
        router.submit(Conversation("c4", channel="chat", group="g"))
    clock.now = 150.0
    restored = Router.restore(router.snapshot(), clock=clock)
    assert restored.snapshot() == router.snapshot()


BAD_READINGS: list[tuple[Any, type[Exception], str]] = [
    (math.nan, ClockError, "finite"),
    (math.inf, ClockError, "finite"),
    (-math.inf, ClockError, "finite"),
    (10**400, ClockError, "too large"),
    ("150", ClockTypeError, r"returned '150' \(str\); it must return seconds"),
    (None, ClockTypeError, r"returned None \(NoneType\)"),
    (True, ClockTypeError, r"\(bool\)"),
    ([150.0], ClockTypeError, r"\(list\)"),
]


def rich() -> tuple[Clock, Router]:
    """Work assigned, waiting, offered, held, with a bot; an empty group; rules."""
    clock = Clock()
    router = Router(clock=clock)
    router.add_group(Group("g"))
    router.add_group(Group("o", offers=Offers(timeout=30)))
    router.add_group(Group("empty"))
    router.set_rules(Rules([], default="g"))
    router.add_operator(Operator("a", groups={"g"}, capacity=Capacity(total=2)))
    router.add_operator(Operator("b", groups={"g"}))
    router.add_operator(Operator("c", groups={"o"}))
    router.add_group(Group("bots"))
    router.add_operator(Operator("bot", groups={"bots"}, capacity=Capacity(total=5), bot=True))
    for name in ("a", "b", "c", "bot"):
        router.set_status(name, Status.ONLINE)
    router.submit(Conversation("b1", channel="chat", group="bots"))
    for cid in ("c1", "c2", "c3", "c4"):
        router.submit(Conversation(cid, channel="chat", group="g"))  # c4 waits
    router.submit(Conversation("o1", channel="chat", group="o"))  # offered to c
    router.hold("c2")
    return clock, router


CALLS: list[tuple[str, Callable[[Router], object]]] = [
    ("add_group", lambda r: r.add_group(Group("new"))),
    ("remove_group", lambda r: r.remove_group("empty")),
    ("set_rules", lambda r: r.set_rules(None)),
    ("configure", lambda r: r.configure(metrics=None)),
    ("add_operator", lambda r: r.add_operator(Operator("z", groups={"g"}))),
    (
        "update_operator",
        lambda r: r.update_operator(Operator("a", groups={"g"}, capacity=Capacity(total=3))),
    ),
    ("remove_operator", lambda r: r.remove_operator("b")),
    ("set_status", lambda r: r.set_status("a", Status.AWAY)),
    ("submit", lambda r: r.submit(Conversation("new", channel="chat", group="g"))),
    ("finish", lambda r: r.finish("c1")),
    ("abandon", lambda r: r.abandon("c4")),
    ("accept", lambda r: r.accept("o1", "c")),
    ("reject", lambda r: r.reject("o1", "c")),
    ("handoff", lambda r: r.handoff("b1", "g")),
    ("transfer", lambda r: r.transfer("c1", to_operator="b")),
    ("hold", lambda r: r.hold("c1")),
    ("resume", lambda r: r.resume("c2")),
    ("responded", lambda r: r.responded("c1")),
    ("tick", lambda r: r.tick()),
]


@pytest.mark.parametrize(("reading", "error", "match"), BAD_READINGS)
@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
def test_every_call_refuses_a_bad_reading_and_changes_nothing(
    name: str, call: Callable[[Router], object], reading: Any, error: type[Exception], match: str
) -> None:
    clock, router = rich()
    before = fingerprint(router)
    clock.now = reading
    with pytest.raises(error, match=match) as caught:
        call(router)
    assert isinstance(caught.value, OmnirouteError)
    assert fingerprint(router) == before
    clock.now = 200.0
    call(router)  # the same call goes through once the clock is sound
    check_invariants(router)


def test_the_errors_are_the_built_in_ones_too() -> None:
    assert issubclass(ClockError, ValueError)
    assert issubclass(ClockTypeError, TypeError)
    assert issubclass(ClockTypeError, ClockError)


@pytest.mark.parametrize(("reading", "error", "match"), BAD_READINGS)
def test_a_router_is_not_built_on_a_bad_reading(
    reading: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Router(clock=Clock(reading))


@pytest.mark.parametrize(("reading", "error", "match"), BAD_READINGS)
def test_reads_that_take_the_clock_refuse_a_bad_reading(
    reading: Any, error: type[Exception], match: str
) -> None:
    clock, router = rich()
    before = fingerprint(router)
    clock.now = reading
    with pytest.raises(error, match=match):
        router.metrics.stats()
    assert fingerprint(router) == before


class Seconds(float):
    """A float subclass, as numpy's float64 is."""


@pytest.mark.parametrize("reading", [150, Seconds(150.0)], ids=["int", "float subclass"])
def test_ints_and_float_subclasses_are_seconds(reading: Any) -> None:
    clock, router = issue_example()
    clock.now = reading
    (finished, _) = router.finish("c1")
    assert finished.time == 150.0
    assert type(finished.time) is float
    assert router.now == 150.0


def test_a_clock_that_goes_back_holds_time_still() -> None:
    """(The warning it logs: tests/test_logging.py.)"""
    clock, router = issue_example()
    clock.now = 90.0  # ten seconds before the last reading
    (finished, assigned) = router.finish("c1")
    assert finished.time == assigned.time == 100.0
    assert finished.handle_time == 0.0
    clock.now = 130.0  # past it again: time moves on
    (finished,) = router.finish("c2")
    assert finished.time == 130.0
    check_invariants(router)
