"""omniroute.testing as a host uses it: the strategies, the fake clock, the
invariant checks, and a subclass of RouterStateMachine with its own rule and
invariant."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from omniroute import (
    Assigned,
    Capacity,
    Conversation,
    Event,
    Group,
    Offers,
    Operator,
    Overflow,
    Relaxation,
    Router,
    Status,
)
from omniroute.seam import core_of
from omniroute.testing import (
    FakeClock,
    RouterConfig,
    RouterStateMachine,
    capacities,
    check_invariants,
    conversations,
    groups,
    operators,
    router_configs,
)
from tests.helpers import chat, kinds, team


class TestValueStrategies:
    @given(capacities())
    def test_capacities_are_valid_and_bounded(self, capacity: Capacity) -> None:
        assert capacity.total is not None or capacity.units is not None

    @given(operators(["a", "b"], ["g0", "g1"]))
    def test_operators_use_the_vocabulary(self, operator: Operator) -> None:
        assert operator.id in {"a", "b"}
        assert operator.groups <= {"g0", "g1"}

    @given(conversations(st.just("c"), ["g0"], channels=["sms"]))
    def test_conversations_use_the_vocabulary(self, conversation: Conversation) -> None:
        assert (conversation.group, conversation.channel) == ("g0", "sms")

    @given(groups(["g0"]))
    def test_groups_have_fresh_strategies(self, group: Group) -> None:
        Router().add_group(group)

    @given(router_configs())
    def test_configs_build_routers_again_and_again(self, config: RouterConfig) -> None:
        assert len(config.operators) >= 2
        first, second = config.build(), config.build()
        assert first.snapshot() == second.snapshot()
        check_invariants(first)


class TestFakeClock:
    def test_moves_only_forward(self) -> None:
        clock = FakeClock(5)
        clock.advance(2.5)
        assert clock() == 7.5
        with pytest.raises(ValueError, match="only moves forward"):
            clock.advance(-1)


class TestCheckInvariants:
    def test_passes_on_a_sound_router(self) -> None:
        router = team(operators=2)
        router.submit(chat("c1"))
        check_invariants(router)

    def test_names_an_operator_over_its_limit(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        core_of(router).operators["o0"].capacity = Capacity(total=1, per_channel={"chat": 0})
        with pytest.raises(AssertionError, match="operator 'o0' is over a limit"):
            check_invariants(router)

    def test_names_an_idle_operator_beside_waiting_work(self) -> None:
        router = team(operators=1)
        router.set_status("o0", Status.AWAY)
        router.submit(chat("c1"))
        op = core_of(router).operators["o0"]
        op.status = Status.ONLINE  # behind the Router's back: nothing assigned
        core_of(router).reindex(op)
        with pytest.raises(AssertionError, match="not work-conserving: operator 'o0'"):
            check_invariants(router)


class TestReferenceModel:
    def test_ranks_by_the_group_as_of_each_event(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """In one tick x relaxes in vip, y (ahead of it there) is offered again, and
        then x overflows to a LIFO group. The machine applies a call's events after
        the call: it must rank x in vip's order when y leaves, not in the order of
        the group x ends the call in, by which x would have been ahead of y."""
        monkeypatch.setattr("omniroute.testing.note", lambda text: None)  # no run to note in
        machine = RouterStateMachine()
        machine.call("add_group", Group("general", discipline="lifo"))
        vip = Group(
            "vip",
            overflow=Overflow(to="general", when_nobody_online=True),
            offers=Offers(timeout=5, away_after=2),
        )
        machine.call("add_group", vip)
        machine.call("add_operator", Operator("ann", groups={"vip"}, capacity=Capacity(total=2)))
        machine.call("set_status", "ann", Status.ONLINE)
        machine.call("submit", chat("y", group="vip"))
        machine.call("submit", chat("z", group="vip"))
        machine.clock.advance(1)
        machine.call("submit", chat("x", group="vip", relax=[Relaxation(1)]))
        machine.clock.advance(4)
        events = machine.call("tick")
        assert events is not None
        assert kinds(events) == [
            "Ticked",
            "Relaxed",  # x
            "OfferExpired",  # y
            "Offered",  # y, to ann again: it has waited longest in vip
            "OfferExpired",  # z: ann's second miss sets her AWAY, nobody is left in vip
            "StatusChanged",
            "Escalated",  # x
            "Escalated",  # z
        ]


class NotifyingHelpdesk(RouterStateMachine):
    """A host's test: it tells customers who picked up their chat, and lets a
    supervisor send the whole team on a break."""

    operator_ids: ClassVar = ("ann", "bob", "cid")

    def __init__(self) -> None:
        self.told: dict[str, str] = {}
        super().__init__()

    def make_router(self, clock: FakeClock) -> Router:
        return Router(clock=clock, on_event=self.notify)

    def restart_router(self, rebuild: Callable[..., Router]) -> Router:
        return rebuild(on_event=self.notify)

    def notify(self, event: Event) -> None:
        if isinstance(event, Assigned):
            self.told[event.conversation_id] = event.operator_id

    @rule()
    def whole_team_takes_a_break(self) -> None:
        for operator_id in self.operator_ids:
            self.call("set_status", operator_id, Status.AWAY)

    @invariant()
    def every_customer_knows_their_operator(self) -> None:
        for info in self.router.conversations():
            if info.operator_id is not None:
                assert self.told.get(info.id) == info.operator_id, info.id


TestNotifyingHelpdesk = NotifyingHelpdesk.TestCase
TestNotifyingHelpdesk.settings = settings(max_examples=100, stateful_step_count=30)


class ForgetfulHelpdesk(NotifyingHelpdesk):
    def notify(self, event: Event) -> None:
        pass  # the bug: nobody is told


class ForgetsAfterRestarts(NotifyingHelpdesk):
    def restart_router(self, rebuild: Callable[..., Router]) -> Router:
        return rebuild()  # the bug: the rebuilt Router is not wired to the notifier


@pytest.mark.parametrize("machine", [ForgetfulHelpdesk, ForgetsAfterRestarts])
def test_a_host_invariant_catches_a_host_bug(machine: type[NotifyingHelpdesk]) -> None:
    """The host's invariant runs, before and after restarts, and fails when the
    host's code is wrong."""
    case = machine.TestCase
    # Finding the bug is the point; shrinking it would take most of the run.
    case.settings = settings(max_examples=200, phases=[Phase.generate], database=None)
    with pytest.raises(AssertionError):
        case("runTest").runTest()
