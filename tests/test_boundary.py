"""Wrong types at the boundary: constructors and lookups raise ``WrongType`` (a
``ValidationError`` and a ``TypeError``) naming the owner, the field and the value,
never a raw ``TypeError`` or ``ValueError`` from inside; a Router call that raises
changes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from omniroute import (
    Capacity,
    CapacityError,
    Conversation,
    Group,
    JournalError,
    OmnirouteError,
    Operator,
    Router,
    ValidationError,
    WrongType,
)
from tests.helpers import FakeClock, unchanged

VALUES: list[tuple[Callable[[], object], type[Exception], str]] = [
    (
        lambda: Operator("a", groups=None),
        WrongType,
        r"'a': groups must be a set of group ids, got None",
    ),
    (lambda: Operator("a", groups=[["g"]]), WrongType, r"Operator 'a': groups must be a set"),
    (
        lambda: Operator("a", groups={1}),
        ValidationError,
        r"Operator 'a': group ids must be non-empty strings, got 1",
    ),
    (
        lambda: Operator("a", groups={"g"}, skills=["x"]),
        WrongType,
        r"'a': skills must be a mapping of skill to level",
    ),
    (
        lambda: Conversation("c", "chat", "g", requires=["x"]),
        WrongType,
        r"Conversation 'c': requires must be a mapping",
    ),
    (
        lambda: Conversation("c", "chat", "g", metadata=5),
        WrongType,
        r"'c': metadata must be a mapping, got 5",
    ),
    (
        lambda: Conversation("c", "chat", "g", created_at=math.nan),
        ValidationError,
        r"'c': created_at must be a finite",
    ),
    (
        lambda: Conversation("c", "chat", "g", created_at=True),
        ValidationError,
        r"created_at must be a finite number",
    ),
    (
        lambda: Capacity(total=3, per_channel=["chat"]),
        WrongType,
        r"Capacity per_channel must be a mapping of channel",
    ),
    (lambda: Capacity(units=10, cost=5), WrongType, r"Capacity cost must be a mapping"),
    (
        lambda: Capacity(total=3, exclusive=5),
        WrongType,
        r"exclusive must be a set of channel names, got 5",
    ),
    (
        lambda: Capacity(total=3, exclusive={""}),
        CapacityError,
        r"channel names must be non-empty strings",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), VALUES)
def test_a_value_of_the_wrong_shape_is_named(
    make: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match) as caught:
        make()
    assert isinstance(caught.value, OmnirouteError)


TYPE_OR_VALUE: list[tuple[Callable[[], object], bool]] = [
    (lambda: Operator(5, groups={"g"}), True),
    (lambda: Operator("", groups={"g"}), False),
    (lambda: Operator("a", capacity={"total": 1}), True),
    (lambda: Operator("a", bot="yes"), True),
    (lambda: Operator("a", skills={"x": "1"}), True),
    (lambda: Operator("a", skills={"x": -1}), False),
    (lambda: Operator("a", skills={5: 1}), True),
    (lambda: Conversation("c", 5, "g"), True),
    (lambda: Conversation("c", "", "g"), False),
    (lambda: Conversation("c", "chat", None), True),
    (lambda: Conversation("c", "chat", "g", priority="1"), True),
    (lambda: Conversation("c", "chat", "g", customer_id=5), True),
    (lambda: Conversation("c", "chat", "g", prefer_operator=5), True),
    (lambda: Conversation("c", "chat", "g", prefer_operator=""), False),
    (lambda: Conversation("c", "chat", "g", prefer_wait="5"), True),
    (lambda: Conversation("c", "chat", "g", prefer_wait=-5), False),
    (lambda: Conversation("c", "chat", "g", created_at="now"), True),
    (lambda: Group("g", strategy="least_loaded"), True),
    (lambda: Router().submit("c1"), True),
    (lambda: Router().add_group("g"), True),
    (lambda: Router().add_operator("a"), True),
    (lambda: Router().set_rules("rules"), True),
    (lambda: Router().configure(history="x"), True),
    (lambda: Router().history(5), True),
]


@pytest.mark.parametrize(("make", "wrong_type"), TYPE_OR_VALUE)
def test_a_wrong_type_is_a_type_error_and_a_wrong_value_is_not(
    make: Callable[[], object], wrong_type: bool
) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert isinstance(caught.value, TypeError) == wrong_type, caught.value


def test_wrong_type_is_both_kinds() -> None:
    assert issubclass(WrongType, ValidationError)
    assert issubclass(WrongType, TypeError)


def busy() -> Router:
    router = Router(clock=FakeClock())
    router.add_group(Group("g"))
    router.add_operator(Operator("a", groups={"g"}))
    router.set_status("a", "online")
    router.submit(Conversation("c1", "chat", "g"))
    return router


LOOKUPS: list[tuple[str, Callable[[Router], object], str]] = [
    ("finish", lambda r: r.finish(["c1"]), r"conversation ids are strings, got \['c1'\] \(list\)"),
    ("abandon", lambda r: r.abandon({"c1"}), r"conversation ids are strings, got \{'c1'\} \(set\)"),
    ("accept", lambda r: r.accept(["c1"], "a"), "conversation ids are strings"),
    ("hold", lambda r: r.hold(["c1"]), "conversation ids are strings"),
    (
        "set_status",
        lambda r: r.set_status(["a"], "online"),
        r"operator ids are strings, got \['a'\]",
    ),
    (
        "remove_operator",
        lambda r: r.remove_operator({}),
        r"operator ids are strings, got \{\} \(dict\)",
    ),
    ("remove_group", lambda r: r.remove_group({}), r"group ids are strings, got \{\} \(dict\)"),
    ("position", lambda r: r.position(["c1"]), "conversation ids are strings"),
    ("conversation", lambda r: r.conversation(["c1"]), "conversation ids are strings"),
    ("operator", lambda r: r.operator(["a"]), "operator ids are strings"),
    ("queue_length", lambda r: r.queue_length(["g"]), "group ids are strings"),
]


@pytest.mark.parametrize(("name", "call", "match"), LOOKUPS, ids=[n for n, _, _ in LOOKUPS])
def test_a_lookup_by_an_id_that_cannot_be_one_changes_nothing(
    name: str, call: Callable[[Router], object], match: str
) -> None:
    router = busy()
    unchanged(router, lambda: call(router), WrongType, match)


@pytest.mark.parametrize("journal", [5, "events", {"seq": 1}, None])
def test_a_journal_that_is_not_a_list_is_refused(journal: Any) -> None:
    with pytest.raises(JournalError, match="a journal is a list of events, got"):
        Router.replay(None, journal)
