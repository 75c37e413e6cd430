"""Random sequences of every Router call, checked against the invariants after each step.

A small reference model is driven only by the events the Router returns. After every
step the test checks that

* the Router's own invariants hold (``Router._check``): no operator over any limit,
  every index consistent, work-conserving (no ONLINE operator with room for a waiting
  conversation it may take);
* the events told the whole truth: the model built from them agrees with the
  Router's views on where every conversation is;
* nothing is lost or duplicated: every submitted conversation is live exactly once
  or has ended exactly once;
* FIFO within a priority: a conversation is only ever taken from a line when no
  conversation ahead of it in that line is still waiting;
* a call that raised changed nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from omniroute import (
    Abandoned,
    Assigned,
    Capacity,
    Conversation,
    Event,
    Finished,
    Group,
    OmnirouteError,
    Operator,
    Queued,
    Requeued,
    Router,
    Status,
)
from omniroute.strategies import LeastLoaded, LongestIdle, OperatorView, RoundRobin, SkillBased
from tests.helpers import FakeClock, fingerprint

GROUPS = ["g0", "g1", "g2"]
OPERATORS = ["o0", "o1", "o2", "o3", "o4"]
CHANNELS = ["chat", "voice", "email"]
SKILLS = ["ru", "billing"]


class Chaotic:
    """A careless host strategy: proposes everyone it ever heard of, busy or not,
    plus an unknown id. The Router alone must keep every limit and requirement."""

    name = "chaotic"

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def add(self, operator: OperatorView) -> None:
        self.seen.add(operator.id)

    def update(self, operator: OperatorView) -> None:
        self.seen.add(operator.id)

    def discard(self, operator_id: str) -> None:
        pass

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        pass

    def candidates(self, conversation: Conversation) -> list[str]:
        return ["ghost", *sorted(self.seen, reverse=True)]


STRATEGIES = [RoundRobin, LeastLoaded, LongestIdle, SkillBased, Chaotic]

skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 3), max_size=2)
requirements = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), min_size=1, max_size=1)
# Mostly ONLINE, so that work flows; the other statuses still come up.
statuses = st.sampled_from([Status.ONLINE, Status.ONLINE, Status.AWAY, Status.OFFLINE])
capacities = st.one_of(
    st.builds(
        Capacity,
        total=st.integers(1, 3),
        per_channel=st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2), max_size=2),
        exclusive=st.sets(st.sampled_from(["voice"])),
    ),
    st.builds(
        Capacity,
        units=st.just(100),
        cost=st.fixed_dictionaries(
            {"chat": st.integers(20, 50), "voice": st.just(100)},
            optional={"email": st.integers(5, 30)},
        ),
        total=st.none() | st.integers(2, 4),
    ),
)


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.router = Router(clock=self.clock)
        self.next_id = 0
        # the reference model, built from events only
        self.waiting: dict[str, tuple[Any, ...]] = {}  # id -> line, sort key
        self.holder: dict[str, str] = {}  # id -> operator
        self.submitted: set[str] = set()
        self.ended: set[str] = set()
        self.order: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------------

    def call(self, method: str, *args: Any) -> list[Event] | None:
        """Run a Router call; if it raises, it must have changed nothing."""
        before = fingerprint(self.router)
        try:
            events = getattr(self.router, method)(*args)
        except OmnirouteError:
            assert fingerprint(self.router) == before, f"{method}{args} failed but changed state"
            return None
        self.apply(events)
        return events  # type: ignore[no-any-return]

    def line_of(self, conversation_id: str) -> tuple[Any, ...]:
        c = self.router.conversation(conversation_id).conversation
        return (c.group, c.channel, tuple(sorted(c.requires.items())))

    def sort_key(self, conversation_id: str) -> tuple[Any, ...]:
        info = self.router.conversation(conversation_id)
        return (-info.conversation.priority, info.enqueued_at, self.order[conversation_id])

    def apply(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, (Queued, Requeued)):
                cid = event.conversation_id
                self.holder.pop(cid, None)
                self.waiting[cid] = (self.line_of(cid), self.sort_key(cid))
            elif isinstance(event, Assigned):
                cid = event.conversation_id
                if cid in self.waiting:
                    line, key = self.waiting.pop(cid)
                    ahead = [
                        other for other, (l2, k2) in self.waiting.items() if l2 == line and k2 < key
                    ]
                    assert not ahead, f"{cid} taken before {ahead} of the same line"
                assert cid not in self.holder
                self.holder[cid] = event.operator_id
            elif isinstance(event, (Finished, Abandoned)):
                cid = event.conversation_id
                if isinstance(event, Finished):
                    assert self.holder.pop(cid) == event.operator_id
                else:
                    self.waiting.pop(cid)
                assert cid not in self.ended
                self.ended.add(cid)

    def live_ids(self) -> list[str]:
        return sorted(self.waiting) + sorted(self.holder)

    # -- rules ---------------------------------------------------------------------

    @initialize(
        strategies=st.lists(st.sampled_from(STRATEGIES), min_size=3, max_size=3),
        team=st.lists(
            st.tuples(
                st.sets(st.sampled_from(GROUPS), min_size=1, max_size=3),
                skills,
                capacities,
                statuses,
            ),
            min_size=2,
            max_size=len(OPERATORS),
        ),
    )
    def start_with_a_team(
        self, strategies: list[type], team: list[tuple[set[str], dict[str, int], Capacity, Status]]
    ) -> None:
        """Start from a staffed Router, so that short runs reach interesting states."""
        for group, make in zip(GROUPS, strategies, strict=True):
            self.call("add_group", Group(group, strategy=make()))
        for operator, (groups, skills, capacity, status) in zip(OPERATORS, team, strict=False):
            self.call(
                "add_operator", Operator(operator, groups=groups, skills=skills, capacity=capacity)
            )
            self.call("set_status", operator, status)

    @rule(group=st.sampled_from(GROUPS), make=st.sampled_from(STRATEGIES))
    def add_group(self, group: str, make: type) -> None:
        self.call("add_group", Group(group, strategy=make()))

    @rule(group=st.sampled_from(GROUPS))
    def remove_group(self, group: str) -> None:
        self.call("remove_group", group)

    @rule(
        operator=st.sampled_from(OPERATORS),
        groups=st.sets(st.sampled_from(GROUPS), max_size=2),
        skills=skills,
        capacity=capacities,
        update=st.booleans(),
    )
    def add_or_update_operator(
        self,
        operator: str,
        groups: set[str],
        skills: dict[str, int],
        capacity: Capacity,
        update: bool,
    ) -> None:
        definition = Operator(operator, groups=groups, skills=skills, capacity=capacity)
        self.call("update_operator" if update else "add_operator", definition)

    @rule(operator=st.sampled_from(OPERATORS))
    def remove_operator(self, operator: str) -> None:
        self.call("remove_operator", operator)

    @rule(operator=st.sampled_from(OPERATORS), status=statuses)
    def set_status(self, operator: str, status: Status) -> None:
        self.call("set_status", operator, status)

    @rule(
        batch=st.lists(
            st.tuples(
                st.sampled_from(GROUPS),
                st.sampled_from(CHANNELS),
                st.integers(0, 2),
                st.one_of(st.just({}), requirements),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def submit(self, batch: list[tuple[str, str, int, dict[str, int]]]) -> None:
        for group, channel, priority, requires in batch:
            self.next_id += 1
            cid = f"c{self.next_id}"
            self.order[cid] = self.next_id
            conversation = Conversation(
                cid, channel=channel, group=group, priority=priority, requires=requires
            )
            if self.call("submit", conversation) is not None:
                self.submitted.add(cid)

    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        if self.holder:
            self.call("finish", data.draw(st.sampled_from(sorted(self.holder))))

    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        if self.waiting:
            self.call("abandon", data.draw(st.sampled_from(sorted(self.waiting))))

    @rule(data=st.data(), kind=st.integers(0, 5))
    def call_that_must_fail(self, data: st.DataObject, kind: int) -> None:
        """Illegal calls of every kind: each must raise and change nothing."""
        live = self.live_ids()
        if kind == 0 and live:
            cid = data.draw(st.sampled_from(live))
            assert self.call("submit", Conversation(cid, channel="chat", group="g0")) is None
        elif kind == 1 and self.holder:
            assert self.call("abandon", data.draw(st.sampled_from(sorted(self.holder)))) is None
        elif kind == 2 and self.waiting:
            assert self.call("finish", data.draw(st.sampled_from(sorted(self.waiting)))) is None
        elif kind == 3:
            assert self.call("finish", "ghost") is None
            assert self.call("submit", Conversation("x", channel="chat", group="nope")) is None
        elif kind == 4:
            operator = Operator("o0", groups={"nope"})
            assert self.call("update_operator", operator) is None
            assert self.call("set_status", "ghost", Status.ONLINE) is None
        elif kind == 5:
            # a capacity that the current load may break: refused if it does
            self.call("update_operator", Operator(data.draw(st.sampled_from(OPERATORS))))

    @rule(seconds=st.sampled_from([0.0, 0.5, 3.0, 60.0]))
    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.call("tick")

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def router_invariants(self) -> None:
        self.router._check()

    @invariant()
    def events_told_the_truth(self) -> None:
        infos = {info.id: info for info in self.router.conversations()}
        assert set(infos) == set(self.waiting) | set(self.holder)
        for cid, info in infos.items():
            assert info.operator_id == self.holder.get(cid)
            assert (info.position is not None) == (cid in self.waiting)

    @invariant()
    def nothing_lost_or_duplicated(self) -> None:
        live = set(self.waiting) | set(self.holder)
        assert not set(self.waiting) & set(self.holder)
        assert self.submitted == live | self.ended
        assert self.router.queue_length() == len(self.waiting)
        held = [cid for info in self.router.operators() for cid in info.conversations]
        assert sorted(held) == sorted(self.holder)


TestRouterMachine = RouterMachine.TestCase
