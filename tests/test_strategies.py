"""Each distribution strategy orders free operators as documented, and the Router
enforces limits whatever a strategy proposes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omniroute import Assigned, Capacity, Conversation, Group, Operator, Router, Status
from omniroute.skills import Requirement, meets
from omniroute.strategies import (
    LeastLoaded,
    LongestIdle,
    OperatorView,
    RoundRobin,
    SkillBased,
    Strategy,
)
from omniroute.strategies._ranked import RankedStrategy
from omniroute.testing import CHANNELS, capacities, check_invariants
from tests.helpers import FakeClock, chat, team


def assigned_to(events: list) -> str | None:  # type: ignore[type-arg]
    for event in events:
        if isinstance(event, Assigned):
            return event.operator_id
    return None


def spread(router: Router, count: int, start: int = 0) -> list[str | None]:
    return [assigned_to(router.submit(chat(f"c{start + i}"))) for i in range(count)]


class TestRoundRobin:
    def test_continues_after_the_last_served(self) -> None:
        router = team(RoundRobin(), operators=3, total=5)
        assert spread(router, 7) == ["o0", "o1", "o2", "o0", "o1", "o2", "o0"]

    def test_skips_full_and_away_operators(self) -> None:
        router = team(RoundRobin(), operators=3, total=1)
        router.set_status("o1", Status.AWAY)
        assert spread(router, 2) == ["o0", "o2"]
        router.finish("c0")
        assert spread(router, 1, start=10) == ["o0"]

    def test_memory_survives_the_last_served_leaving(self) -> None:
        router = team(RoundRobin(), operators=3, total=5)
        spread(router, 2)  # o0, o1
        router.set_status("o1", Status.AWAY)
        assert spread(router, 2, start=10) == ["o2", "o0"]

    def test_new_operators_join_the_ring_at_the_end(self) -> None:
        router = team(RoundRobin(), operators=2, total=5)
        spread(router, 1)
        router.add_operator(Operator("late", groups={"g"}, capacity=Capacity(total=5)))
        router.set_status("late", Status.ONLINE)
        assert spread(router, 3, start=10) == ["o1", "late", "o0"]


class TestLeastLoaded:
    def test_fewest_relative_to_limit(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=LeastLoaded()))
        router.add_operator(Operator("big", groups={"g"}, capacity=Capacity(total=4)))
        router.add_operator(Operator("small", groups={"g"}, capacity=Capacity(total=2)))
        for op in ("big", "small"):
            router.set_status(op, Status.ONLINE)
        # big 0/4, small 0/2 -> tie on load, big idle longest (joined first)
        # then small (0/2) < big (1/4); then big 1/4 < small 1/2 …
        assert spread(router, 6) == ["big", "small", "big", "big", "small", "big"]

    def test_ties_go_to_the_longest_idle(self, clock: FakeClock) -> None:
        router = team(LeastLoaded(), operators=3, total=2, clock=clock)
        spread(router, 3)  # one each
        clock.advance(5)
        router.finish("c1")  # o1 idle since 5
        clock.advance(5)
        router.finish("c0")  # o0 idle since 10
        assert spread(router, 1, start=10) == ["o1"]


class TestLongestIdle:
    def test_longest_since_last_conversation_ended(self, clock: FakeClock) -> None:
        router = team(LongestIdle(), operators=3, total=1, clock=clock)
        spread(router, 3)
        for cid in ("c2", "c0", "c1"):
            clock.advance(1)
            router.finish(cid)
        assert spread(router, 3, start=10) == ["o2", "o0", "o1"]

    def test_empty_handed_before_busy(self, clock: FakeClock) -> None:
        router = team(LongestIdle(), operators=2, total=3, clock=clock)
        assert spread(router, 2) == ["o0", "o1"]
        clock.advance(1)
        router.finish("c1")  # o1 holds nothing now, o0 still busy
        assert spread(router, 1, start=10) == ["o1"]

    def test_coming_online_resets_idle_time(self, clock: FakeClock) -> None:
        router = team(LongestIdle(), operators=2, total=1, clock=clock)
        clock.advance(5)
        router.set_status("o0", Status.AWAY)
        router.set_status("o0", Status.ONLINE)
        assert spread(router, 1) == ["o1"]


class TestSkillBased:
    def make(self) -> Router:
        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=SkillBased()))
        for op, level, total in [
            ("junior", 2, 3),
            ("senior", 5, 1),
            ("mid1", 3, 2),
            ("mid2", 3, 2),
        ]:
            router.add_operator(
                Operator(
                    op, groups={"g"}, skills={"billing": level}, capacity=Capacity(total=total)
                )
            )
            router.set_status(op, Status.ONLINE)
        return router

    def submit(self, router: Router, cid: str, level: int) -> str | None:
        return assigned_to(router.submit(chat(cid, requires={"billing": level})))

    def test_best_proficiency_first(self) -> None:
        router = self.make()
        assert self.submit(router, "a", 1) == "senior"

    def test_then_least_loaded_among_equals(self) -> None:
        router = self.make()
        self.submit(router, "a", 1)  # senior, now full
        got = [self.submit(router, cid, 1) for cid in "bcde"]
        assert got == ["mid1", "mid2", "mid1", "mid2"]
        assert self.submit(router, "f", 1) == "junior"

    def test_never_below_the_minimum(self) -> None:
        router = self.make()
        assert self.submit(router, "a", 3) == "senior"
        assert [self.submit(router, cid, 3) for cid in "bcdef"] == [
            "mid1",
            "mid2",
            "mid1",
            "mid2",
            None,
        ]

    def test_no_requirement_means_least_loaded(self) -> None:
        router = self.make()
        assert assigned_to(router.submit(chat("a"))) == "junior"

    def test_new_profiles_are_seen_by_cached_requirements(self) -> None:
        router = self.make()
        self.submit(router, "a", 4)
        router.add_operator(Operator("guru", groups={"g"}, skills={"billing": 9}))
        router.set_status("guru", Status.ONLINE)
        assert self.submit(router, "b", 4) == "guru"

    def test_operator_moves_bucket_when_skills_change(self) -> None:
        router = self.make()
        router.update_operator(
            Operator("junior", groups={"g"}, skills={"billing": 7}, capacity=Capacity(total=3))
        )
        assert self.submit(router, "a", 6) == "junior"
        check_invariants(router)


class FloodEveryone:
    """A host strategy that proposes operators who are full, unknown or in other
    groups; the Router must skip them all."""

    name = "flood"

    def __init__(self) -> None:
        self.free: list[str] = []

    def add(self, operator: OperatorView) -> None:
        self.free.append(operator.id)

    def update(self, operator: OperatorView) -> None:
        pass

    def discard(self, operator_id: str) -> None:
        self.free.remove(operator_id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        pass

    def candidates(self, conversation: Conversation) -> Iterable[str]:
        return ["ghost", "outsider", "full", *self.free]


class TestHostStrategies:
    def test_the_protocol_is_checkable(self) -> None:
        assert isinstance(FloodEveryone(), Strategy)
        for builtin in (RoundRobin(), LeastLoaded(), LongestIdle(), SkillBased()):
            assert isinstance(builtin, Strategy)

    def test_router_enforces_limits_not_the_strategy(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=FloodEveryone()))
        router.add_group(Group("other"))
        router.add_operator(Operator("outsider", groups={"other"}))
        router.add_operator(Operator("full", groups={"g"}))
        router.add_operator(Operator("ok", groups={"g"}))
        for op in ("outsider", "full", "ok"):
            router.set_status(op, Status.ONLINE)
        router.submit(chat("c0"))  # -> full (first free candidate)
        assert router.conversation("c0").operator_id == "full"
        assert assigned_to(router.submit(chat("c1"))) == "ok"
        assert assigned_to(router.submit(chat("c2"))) is None
        check_invariants(router)


def _iterate(strategy: Strategy, conversation: Conversation) -> Iterator[str]:
    return iter(strategy.candidates(conversation))


@pytest.mark.parametrize("make", [RoundRobin, LeastLoaded, LongestIdle, SkillBased])
def test_candidates_are_only_free_operators(make: type) -> None:
    """Full, AWAY and OFFLINE operators leave the index; they come back when free."""
    router = team(make(), operators=3, total=1)
    strategy = router.group("g").strategy
    router.submit(chat("c0"))
    router.set_status("o1", Status.AWAY)
    busy = router.conversation("c0").operator_id
    free = set(_iterate(strategy, chat("probe")))
    assert free == {"o0", "o1", "o2"} - {busy, "o1"}
    router.finish("c0")
    router.set_status("o1", Status.ONLINE)
    assert set(_iterate(strategy, chat("probe"))) == {"o0", "o1", "o2"}


@pytest.mark.parametrize("make", [RoundRobin, LeastLoaded, LongestIdle, SkillBased])
def test_unqualified_operators_are_never_candidates(make: type) -> None:
    """Skill buckets keep operators who lack a required skill out of the search, so
    they cannot pile up at the front of a load-ordered index."""
    router = Router(clock=FakeClock())
    router.add_group(Group("g", strategy=make()))
    for i, level in enumerate([0, 1, 2, 3, 1, 2]):
        router.add_operator(Operator(f"o{i}", groups={"g"}, skills={"de": level}))
        router.set_status(f"o{i}", Status.ONLINE)
    strategy = router.group("g").strategy
    assert set(strategy.candidates(chat("x", requires={"de": 2}))) == {"o2", "o3", "o5"}
    assert len(list(strategy.candidates(chat("y")))) == 6


def test_round_robin_ring_spans_skill_profiles() -> None:
    router = Router(clock=FakeClock())
    router.add_group(Group("g", strategy=RoundRobin()))
    for i, level in enumerate([1, 2, 1, 2]):
        router.add_operator(
            Operator(f"o{i}", groups={"g"}, skills={"de": level}, capacity=Capacity(total=9))
        )
        router.set_status(f"o{i}", Status.ONLINE)
    assert spread(router, 5) == ["o0", "o1", "o2", "o3", "o0"]
    got = [assigned_to(router.submit(chat(f"d{i}", requires={"de": 2}))) for i in range(3)]
    assert got == ["o1", "o3", "o1"]


@pytest.mark.parametrize("make", [LeastLoaded, LongestIdle, SkillBased])
def test_a_rank_that_comes_back_is_not_proposed_twice(make: type) -> None:
    """Taking and finishing at the same instant restores the old rank; the heap must
    still hold one live entry per operator."""
    router = team(make(), operators=2, total=3)
    strategy = router.group("g").strategy
    for i in range(3):
        router.submit(chat(f"c{i}"))
        router.finish(f"c{i}")
    assert sorted(strategy.candidates(chat("probe"))) == ["o0", "o1"]
    check_invariants(router)


@pytest.mark.parametrize("make", [RoundRobin, LeastLoaded, SkillBased])
def test_least_recently_used_requirement_views_are_dropped_and_rebuilt(
    make: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omniroute.strategies import _ranked

    monkeypatch.setattr(_ranked, "MAX_VIEWS", 2)
    router = Router(clock=FakeClock())
    router.add_group(Group("g", strategy=make()))
    for i in range(4):
        router.add_operator(
            Operator(f"o{i}", groups={"g"}, skills={"de": i}, capacity=Capacity(total=20))
        )
        router.set_status(f"o{i}", Status.ONLINE)
    strategy = router.group("g").strategy
    for round_ in range(3):
        for level in (0, 1, 2, 3):
            router.submit(chat(f"c{round_}-{level}", requires={"de": level}))
            check_invariants(router)
    assert len(strategy._views) <= 3  # the no-requirement view and two others
    assert set(strategy.candidates(chat("probe", requires={"de": 2}))) == {"o2", "o3"}
    assert set(strategy.candidates(chat("probe", requires={"de": 0}))) == {"o0", "o1", "o2", "o3"}


# -- operators whose channels differ: the per-channel views ---------------------------


def expected_walk(strategy: RankedStrategy, requirement: Requirement, channel: str) -> list[str]:
    """What a walk of every free operator in rank order gives, once those the channel
    does not fit are left out: the order the per-channel views must keep."""
    free = [op for op in strategy._free.values() if meets(op.skills, requirement)]
    free.sort(key=lambda op: strategy._order(strategy.rank(op, requirement)))
    return [op.id for op in free if op.fits(channel)]


@settings(max_examples=150)
@given(
    make=st.sampled_from([RoundRobin, LeastLoaded, LongestIdle, SkillBased]),
    capacities=st.lists(st.just(Capacity(total=3)) | capacities(), min_size=1, max_size=7),
    work=st.lists(st.tuples(st.sampled_from(CHANNELS), st.booleans()), max_size=25),
)
def test_operators_whose_channels_differ_come_in_rank_order(
    make: type[RankedStrategy],
    capacities: list[Capacity],
    work: list[tuple[str, bool]],
) -> None:
    """With simple and per-channel capacities mixed, every decision's walk is the
    walk of all free operators in rank order, less those the channel does not fit."""
    clock = FakeClock()
    strategy = make()
    router = Router(clock=clock)
    router.add_group(Group("g", strategy=strategy))
    for i, capacity in enumerate(capacities):
        router.add_operator(Operator(f"o{i}", groups={"g"}, skills={"x": i % 3}, capacity=capacity))
        router.set_status(f"o{i}", Status.ONLINE)
    live: list[str] = []
    for n, (channel, finish_one) in enumerate(work):
        clock.advance(1)
        if finish_one and live:
            router.finish(live.pop(n % len(live)))
            continue
        requires = {"x": 1} if n % 2 else None
        conversation = Conversation(f"c{n}", channel, "g", requires=requires)
        for requirement in ((), (("x", 1),)):
            for each in CHANNELS:
                probe = Conversation("probe", each, "g", requires=dict(requirement) or None)
                expected = expected_walk(strategy, requirement, each)
                assert list(strategy.candidates(probe)) == expected, (requirement, each)
                assert strategy.first(probe) == (expected[0] if expected else None)
        if any(isinstance(e, Assigned) for e in router.submit(conversation)):
            live.append(conversation.id)
        check_invariants(router)


@pytest.mark.parametrize("make", [LeastLoaded, LongestIdle, SkillBased])
def test_a_channel_few_free_operators_fit_costs_no_walk_past_the_others(make: type) -> None:
    """Half the team is on a call (one call each at most): a call goes to the first
    operator of the other half, and the strategy is asked for no one else."""
    strategy = make()
    router = Router(clock=FakeClock())
    router.add_group(Group("g", strategy=strategy))
    capacity = Capacity(total=4, per_channel={"voice": 1})
    for i in range(40):
        router.add_operator(Operator(f"o{i:02}", groups={"g"}, capacity=capacity))
        router.set_status(f"o{i:02}", Status.ONLINE)
    for i in range(20):
        router.submit(Conversation(f"v{i}", "voice", "g"), prefer_operator=f"o{i:02}")
    for i in range(20, 40):
        for k in range(2):
            router.submit(Conversation(f"c{i}-{k}", "chat", "g"), prefer_operator=f"o{i:02}")
    walked = list(strategy.candidates(Conversation("v", "voice", "g")))
    assert walked == [f"o{i}" for i in range(20, 40)]  # the call holders are not in it
    assert assigned_to(router.submit(Conversation("v", "voice", "g"))) == "o20"


def test_channel_views_follow_a_load_change_at_once() -> None:
    """A transfer releases the holder before it routes: the holder's channel views
    must see the room at once, whether a view was built before (here by a call
    that nobody could take) or is built by this decision (in a restored Router)."""
    clock = FakeClock()
    router = Router(clock=clock)
    router.add_group(Group("a"))
    router.add_group(Group("b"))
    budget = Capacity(units=100, cost={"voice": 55, "email": 10})
    router.add_operator(Operator("x", groups={"a", "b"}, capacity=budget))
    router.set_status("x", Status.ONLINE)
    router.submit(Conversation("v1", "voice", "a"))  # x takes it: 55 of 100 units
    router.submit(Conversation("v2", "voice", "b"))  # does not fit beside v1: waits
    router.abandon("v2")
    restored = Router.restore(router.snapshot(), clock=clock)
    events = [each.transfer("v1", to_group="b") for each in (router, restored)]
    assert events[0] == events[1]
    assert [type(e).__name__ for e in events[0]] == ["Transferred", "Assigned"]
    check_invariants(router)
