"""Every bad call raises a specific error that names the id and the reason, and
leaves the Router exactly as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omniroute import (
    Capacity,
    CapacityError,
    Conversation,
    DuplicateConversation,
    DuplicateGroup,
    DuplicateOperator,
    Group,
    GroupInUse,
    InvalidTransition,
    OmnirouteError,
    Operator,
    Router,
    Status,
    UnknownConversation,
    UnknownGroup,
    UnknownOperator,
    ValidationError,
)
from omniroute.strategies import RoundRobin
from omniroute.testing import check_invariants
from tests.helpers import FakeClock, chat, fingerprint


def busy_router() -> Router:
    """Two groups, three operators in several states, work assigned and waiting."""
    router = Router(clock=FakeClock())
    router.add_group(Group("sales", strategy=RoundRobin()))
    router.add_group(Group("support"))
    router.add_group(Group("empty"))
    router.add_operator(Operator("ann", groups={"sales", "support"}, capacity=Capacity(total=2)))
    router.add_operator(Operator("bob", groups={"support"}, skills={"de": 2}))
    router.add_operator(Operator("cid", groups={"sales"}))
    router.set_status("ann", Status.ONLINE)
    router.set_status("bob", Status.AWAY)
    for i in range(4):
        router.submit(chat(f"s{i}", group="sales"))
    router.submit(chat("d1", group="support", requires={"de": 1}))
    return router


BAD_CALLS: list[tuple[str, Callable[[Router], object], type[OmnirouteError], str]] = [
    ("duplicate group", lambda r: r.add_group(Group("sales")), DuplicateGroup, "'sales'"),
    ("not a group", lambda r: r.add_group("sales"), ValidationError, "takes a Group"),
    ("unknown group", lambda r: r.remove_group("nope"), UnknownGroup, "'nope'"),
    ("group served", lambda r: r.remove_group("support"), GroupInUse, "'support'"),
    (
        "duplicate operator",
        lambda r: r.add_operator(Operator("ann")),
        DuplicateOperator,
        "'ann'",
    ),
    (
        "operator in unknown group",
        lambda r: r.add_operator(Operator("dan", groups={"sales", "nope"})),
        UnknownGroup,
        "'dan' serves unknown group(s) ['nope']",
    ),
    ("unknown operator", lambda r: r.set_status("zed", Status.ONLINE), UnknownOperator, "'zed'"),
    ("bad status", lambda r: r.set_status("ann", "lunch"), ValidationError, "'lunch'"),
    ("remove unknown", lambda r: r.remove_operator("zed"), UnknownOperator, "'zed'"),
    (
        "update unknown",
        lambda r: r.update_operator(Operator("zed")),
        UnknownOperator,
        "'zed'",
    ),
    (
        "update into unknown group",
        lambda r: r.update_operator(Operator("ann", groups={"nope"})),
        UnknownGroup,
        "'ann'",
    ),
    (
        "update below load",
        lambda r: r.update_operator(Operator("ann", groups={"sales"}, capacity=Capacity(total=1))),
        CapacityError,
        "'ann' cannot take the new capacity",
    ),
    (
        "duplicate conversation",
        lambda r: r.submit(chat("s3", group="support")),
        DuplicateConversation,
        "'s3'",
    ),
    (
        "conversation to unknown group",
        lambda r: r.submit(chat("x", group="nope")),
        UnknownGroup,
        "'nope'",
    ),
    ("not a conversation", lambda r: r.submit("x"), ValidationError, "takes a Conversation"),
    ("finish queued", lambda r: r.finish("s2"), InvalidTransition, "'s2': it is queued"),
    ("abandon assigned", lambda r: r.abandon("s0"), InvalidTransition, "'s0': it is assigned"),
    ("finish unknown", lambda r: r.finish("ghost"), UnknownConversation, "'ghost'"),
    ("abandon unknown", lambda r: r.abandon("ghost"), UnknownConversation, "'ghost'"),
    ("position unknown", lambda r: r.position("ghost"), UnknownConversation, "'ghost'"),
    ("queue of unknown group", lambda r: r.queue_length("nope"), UnknownGroup, "'nope'"),
]


@pytest.mark.parametrize(
    ("call", "error", "words"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_call_raises_and_changes_nothing(
    call: Callable[[Router], object], error: type[OmnirouteError], words: str
) -> None:
    router = busy_router()
    before = fingerprint(router)
    with pytest.raises(error) as raised:
        call(router)
    assert words in str(raised.value)
    assert fingerprint(router) == before
    check_invariants(router)


def test_errors_are_also_builtin_errors() -> None:
    """Hosts catching KeyError or ValueError keep working."""
    router = busy_router()
    with pytest.raises(KeyError):
        router.finish("ghost")
    with pytest.raises(ValueError, match="already exists"):
        router.add_group(Group("sales"))
    with pytest.raises(ValueError, match="cannot finish"):
        router.finish("s2")


def test_unknown_id_messages_read_well() -> None:
    """KeyError would quote the message; ours prints as written."""
    error = UnknownConversation("unknown conversation 'x'")
    assert str(error) == "unknown conversation 'x'"


def test_a_failed_submit_leaves_the_id_free() -> None:
    router = busy_router()
    with pytest.raises(UnknownGroup):
        router.submit(Conversation("new", channel="chat", group="nope"))
    router.submit(Conversation("new", channel="chat", group="sales"))
    assert router.conversation("new").conversation.group == "sales"


class ExplodingStrategy(RoundRobin):
    """A host strategy with a bug."""

    def candidates(self, conversation: Conversation):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in host strategy")


def test_a_strategy_that_raises_in_candidates_changes_nothing() -> None:
    """The search runs before submit changes anything."""
    clock = FakeClock()
    router = Router(clock=clock)
    router.add_group(Group("g", strategy=ExplodingStrategy()))
    router.add_operator(Operator("ann", groups={"g"}))
    router.set_status("ann", Status.ONLINE)
    before = fingerprint(router)
    clock.advance(5)
    with pytest.raises(RuntimeError, match="bug in host strategy"):
        router.submit(chat("c1"))
    assert fingerprint(router) == before
    with pytest.raises(UnknownConversation):
        router.conversation("c1")


def test_waiting_checks_the_group_when_called() -> None:
    router = busy_router()
    with pytest.raises(UnknownGroup, match="'nope'"):
        router.waiting("nope")
