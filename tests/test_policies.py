"""Routing policies, one by one, on a virtual clock: relaxation, priority aging and
LIFO, overflow, offers, operators leaving, bots handing off, and group rules.

The stateful test mixes them all at random; these are the examples that pin down
each behaviour, and the configuration errors.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from omniroute import (
    Capacity,
    ConfigurationError,
    Conversation,
    Discipline,
    Group,
    GroupInUse,
    In,
    InvalidTransition,
    NoRoute,
    Offers,
    Operator,
    Overflow,
    Relaxation,
    Router,
    Rule,
    Rules,
    Status,
    UnknownGroup,
    ValidationError,
)
from omniroute.testing import FakeClock, check_invariants
from tests.helpers import Staff, chat, kinds, staffed, unchanged


def steps(*pairs: tuple[float, dict[str, int]]) -> tuple[Relaxation, ...]:
    return tuple(Relaxation(after, requires) for after, requires in pairs)


class TestRelaxation:
    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        return staff(
            Group("billing"),
            expert=({"billing"}, {"billing": 4}),
            junior=({"billing"}, {"billing": 2}),
        )

    def test_a_step_on_tick_lets_a_less_skilled_operator_take_it(
        self, clock: FakeClock, router: Router
    ) -> None:
        """First only billing>=4; after 30 s billing>=2 will do."""
        router.submit(chat("busy", group="billing", requires={"billing": 4}))
        relax = steps((30, {"billing": 2}))
        events = router.submit(chat("c1", group="billing", requires={"billing": 3}, relax=relax))
        assert kinds(events) == ["Submitted", "Queued"]
        clock.advance(29)
        assert router.tick() == []
        clock.advance(1)
        ticked, relaxed, assigned = router.tick()
        assert kinds([ticked, relaxed, assigned]) == ["Ticked", "Relaxed", "Assigned"]
        assert (relaxed.requires, relaxed.step) == ({"billing": 2}, 1)  # type: ignore[attr-defined]
        assert assigned.operator_id == "junior"  # type: ignore[attr-defined]
        assert assigned.waited == 30.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_steps_are_honoured_when_an_operator_frees_up_between_ticks(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("expert", Status.AWAY)
        router.submit(chat("j", group="billing"))
        router.submit(chat("c1", group="billing", requires={"billing": 3}, relax=steps((30, {}))))
        clock.advance(45)
        events = router.finish("j")  # no tick() since the step fell due
        assert kinds(events) == ["Finished", "Relaxed", "Assigned"]
        assert events[-1].operator_id == "junior"  # type: ignore[attr-defined]

    def test_relaxing_keeps_fifo_for_identical_requirements(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("e", group="billing", requires={"billing": 4}))
        router.submit(chat("j", group="billing", requires={"billing": 2}))
        relax = steps((10, {"billing": 1}))
        for cid in ("first", "second"):
            router.submit(chat(cid, group="billing", requires={"billing": 3}, relax=relax))
            clock.advance(1)
        router.submit(chat("plain", group="billing", requires={"billing": 1}))
        clock.advance(20)
        router.tick()
        assert [i.id for i in router.waiting("billing")] == ["first", "second", "plain"]
        assert router.finish("j")[-1].conversation_id == "first"  # type: ignore[attr-defined]

    def test_several_due_steps_apply_at_once(self, clock: FakeClock, router: Router) -> None:
        router.set_status("expert", Status.OFFLINE)
        router.set_status("junior", Status.OFFLINE)
        relax = steps((5, {"billing": 3}), (10, {}))
        router.submit(chat("c1", group="billing", requires={"billing": 5}, relax=relax))
        clock.advance(60)
        _, relaxed = router.tick()
        assert (relaxed.requires, relaxed.step) == ({}, 2)  # type: ignore[attr-defined]
        assert router.conversation("c1").conversation.requires == {}

    def test_a_requeued_conversation_relaxes_by_its_original_waiting_start(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("junior", Status.AWAY)
        router.submit(chat("c1", group="billing", requires={"billing": 4}, relax=steps((30, {}))))
        clock.advance(40)
        events = router.set_status("expert", Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "Requeued", "Relaxed"]
        router.set_status("junior", Status.ONLINE)
        assert router.conversation("c1").operator_id == "junior"

    @pytest.mark.parametrize(
        ("relax", "match"),
        [
            ([Relaxation(30, {}), Relaxation(30, {})], "later and later"),
            ([Relaxation(30, {}), Relaxation(10, {})], "later and later"),
            (["soon"], "Relaxation steps"),
        ],
    )
    def test_bad_steps_are_refused(self, relax: Any, match: str) -> None:
        with pytest.raises(ConfigurationError, match=match):
            chat("c1", relax=relax)

    @pytest.mark.parametrize("after", [0, -1, math.nan, math.inf, "30"])
    def test_bad_durations_are_refused(self, after: Any) -> None:
        with pytest.raises(ConfigurationError, match="after must be"):
            Relaxation(after, {})


class TestQueueOrder:
    def test_aging_lets_a_long_wait_beat_a_higher_priority(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        """Each priority level is worth 60 s of waiting."""
        router = staff(Group("g", aging=60), ann=({"g"},))
        router.submit(chat("busy"))
        router.submit(chat("old", priority=0))
        clock.advance(90)
        router.submit(chat("vip", priority=1))  # worth 60 s only
        router.submit(chat("vvip", priority=2))  # worth 120 s: ahead of "old"
        assert [i.id for i in router.waiting("g")] == ["vvip", "old", "vip"]

    def test_without_aging_priority_always_wins(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("busy"))
        router.submit(chat("old"))
        clock.advance(10_000)
        router.submit(chat("vip", priority=1))
        assert [i.id for i in router.waiting("g")] == ["vip", "old"]

    def test_lifo_serves_the_newest_first_within_a_priority(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        router = staff(Group("g", discipline=Discipline.LIFO), ann=({"g"},))
        router.submit(chat("busy"))
        for cid in ("a", "b", "c"):
            clock.advance(1)
            router.submit(chat(cid))
        router.submit(chat("vip", priority=1))
        assert [i.id for i in router.waiting("g")] == ["vip", "c", "b", "a"]
        assert router.finish("busy")[-1].conversation_id == "vip"  # type: ignore[attr-defined]

    def test_discipline_accepts_its_name(self) -> None:
        assert Group("g", discipline="lifo").discipline is Discipline.LIFO  # type: ignore[arg-type]

    @pytest.mark.parametrize("aging", [0, -5, math.inf, True])
    def test_bad_aging_is_refused(self, aging: Any) -> None:
        with pytest.raises(ConfigurationError, match="aging"):
            Group("g", aging=aging)


class TestOverflow:
    def test_after_a_wait_it_moves_and_keeps_its_waiting_start(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        router = staff(
            Group("general"),
            Group("billing", overflow=Overflow(to="general", after=60)),
            gus=({"general"},),
        )
        router.submit(chat("c1", group="billing"))
        clock.advance(60)
        _ticked, escalated, assigned = router.tick()
        assert escalated.group == "general"  # type: ignore[attr-defined]
        assert (escalated.from_group, escalated.reason) == ("billing", "after")  # type: ignore[attr-defined]
        assert (assigned.operator_id, assigned.waited) == ("gus", 60.0)  # type: ignore[attr-defined]
        assert router.conversation("c1").conversation.group == "general"
        check_invariants(router)

    def test_a_long_queue_overflows_at_once(self, staff: Staff) -> None:
        router = staff(
            Group("general"),
            Group("billing", overflow=Overflow(to="general", queue_over=1)),
            bea=({"billing"},),
        )
        router.submit(chat("c0", group="billing"))
        assert kinds(router.submit(chat("c1", group="billing"))) == ["Submitted", "Queued"]
        events = router.submit(chat("c2", group="billing"))
        assert kinds(events) == ["Submitted", "Queued", "Escalated"]
        assert events[-1].reason == "queue_over"  # type: ignore[attr-defined]
        assert router.queue_length("billing") == 1
        assert router.queue_length("general") == 1

    def test_nobody_online_overflows_on_arrival_and_when_the_last_one_leaves(
        self, staff: Staff
    ) -> None:
        nobody = Overflow(to="general", when_nobody_online=True)
        router = staff(Group("general"), Group("night", overflow=nobody))
        assert kinds(router.submit(chat("c1", group="night")))[-1] == "Escalated"
        router.add_operator(Operator("nia", groups={"night"}))
        router.set_status("nia", Status.ONLINE)
        router.submit(chat("c2", group="night"))
        router.submit(chat("c3", group="night"))
        events = router.set_status("nia", Status.AWAY)
        assert kinds(events) == ["StatusChanged", "Escalated"]
        assert events[1].conversation_id == "c3"  # type: ignore[attr-defined]
        assert events[1].reason == "nobody_online"  # type: ignore[attr-defined]

    def test_keep_offers_it_to_both_groups(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(
            Group("general"),
            Group("billing", overflow=Overflow(to="general", after=30, keep=True)),
            bea=({"billing"},),
            gus=({"general"},),
        )
        router.submit(chat("b0", group="billing"))
        router.submit(chat("g0", group="general"))
        router.submit(chat("c1", group="billing"))
        clock.advance(30)
        router.tick()
        assert router.conversation("c1").conversation.group == "general"
        assert router.queue_length("billing") == 0
        # The billing operator may still take it.
        events = router.finish("b0")
        assert kinds(events) == ["Finished", "Assigned"]
        assert (events[1].conversation_id, events[1].operator_id) == ("c1", "bea")  # type: ignore[attr-defined]

    def test_chains_follow_each_groups_own_overflow(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(
            Group("c"),
            Group("b", overflow=Overflow(to="c", after=10)),
            Group("a", overflow=Overflow(to="b", after=10)),
        )
        router.submit(chat("x", group="a"))
        clock.advance(10)
        router.tick()
        clock.advance(10)
        _, escalated = router.tick()
        assert (escalated.from_group, escalated.group) == ("b", "c")  # type: ignore[attr-defined]

    def test_configuration_errors(self, staff: Staff) -> None:
        router = staff()
        unchanged(
            router,
            lambda: router.add_group(Group("a", overflow=Overflow(to="b", after=1))),
            UnknownGroup,
            "overflows to unknown group 'b'",
        )
        with pytest.raises(ConfigurationError, match="overflows to itself"):
            Group("a", overflow=Overflow(to="a", after=1))
        with pytest.raises(ConfigurationError, match="give a trigger"):
            Overflow(to="b")
        with pytest.raises(ConfigurationError, match="after must be"):
            Overflow(to="b", after=-1)
        router.add_group(Group("b"))
        router.add_group(Group("a", overflow=Overflow(to="b", after=1)))
        unchanged(router, lambda: router.remove_group("b"), GroupInUse, "overflow of group")
        router.remove_group("a")
        router.remove_group("b")


class TestOffers:
    def make(self, clock: FakeClock, **offers: Any) -> Router:
        group = Group("g", offers=Offers(**offers))
        return staffed(clock, group, ann=({"g"},), bob=({"g"},))

    @pytest.fixture
    def router(self, clock: FakeClock) -> Router:
        """``make`` with the default offers."""
        return self.make(clock)

    def test_an_offer_holds_a_slot_until_accepted(self, clock: FakeClock, router: Router) -> None:
        _submitted, offered = router.submit(chat("c1"))
        holder = offered.operator_id  # type: ignore[attr-defined]
        assert router.conversation("c1").offered_to == (holder,)
        assert router.operator(holder).offers == ("c1",)
        clock.advance(5)
        accepted, assigned = router.accept("c1", holder)
        assert kinds([accepted, assigned]) == ["OfferAccepted", "Assigned"]
        assert assigned.waited == 5.0  # type: ignore[attr-defined]
        assert router.conversation("c1").operator_id == holder
        check_invariants(router)

    def test_a_rejected_conversation_goes_to_someone_else(self, router: Router) -> None:
        first = router.submit(chat("c1"))[-1].operator_id  # type: ignore[attr-defined]
        events = router.reject("c1", first)
        assert kinds(events) == ["OfferRejected", "Offered"]
        assert events[-1].operator_id != first  # type: ignore[attr-defined]

    def test_it_comes_back_to_a_rejecter_only_when_nobody_else_can_take_it(
        self, router: Router
    ) -> None:
        router.set_status("bob", Status.AWAY)
        router.submit(chat("c1"))
        events = router.reject("c1", "ann")
        assert kinds(events) == ["OfferRejected", "Offered"]
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]

    def test_unanswered_offers_expire_and_the_operator_is_set_away(self, clock: FakeClock) -> None:
        router = self.make(clock, timeout=20, away_after=2)
        router.set_status("bob", Status.AWAY)
        router.submit(chat("c1"))
        clock.advance(20)
        assert kinds(router.tick()) == ["Ticked", "OfferExpired", "Offered"]
        clock.advance(20)
        events = router.tick()
        assert kinds(events) == ["Ticked", "OfferExpired", "StatusChanged"]
        assert router.operator("ann").status is Status.AWAY
        assert router.position("c1") == 1

    def test_an_answer_resets_the_count_of_misses(self, clock: FakeClock) -> None:
        router = self.make(clock, timeout=20, away_after=2)
        router.set_status("bob", Status.AWAY)
        router.submit(chat("c1"))
        clock.advance(20)
        router.tick()  # one miss, offered again
        router.accept("c1", "ann")
        router.finish("c1")
        router.submit(chat("c2"))
        clock.advance(20)
        assert kinds(router.tick()) == ["Ticked", "OfferExpired", "Offered"]

    def test_ring_all_first_accept_wins_and_the_others_are_rescinded(
        self, clock: FakeClock
    ) -> None:
        router = self.make(clock, ring=2)
        events = router.submit(chat("c1"))
        assert kinds(events) == ["Submitted", "Offered", "Offered"]
        router.submit(chat("c2"))  # waits: both hold an offer
        events = router.accept("c1", "bob")
        assert kinds(events) == ["OfferAccepted", "Assigned", "OfferRescinded", "Offered"]
        assert events[2].reason == "accepted_by_other"  # type: ignore[attr-defined]
        assert (events[3].conversation_id, events[3].operator_id) == ("c2", "ann")  # type: ignore[attr-defined]

    def test_abandoning_an_offered_conversation_rescinds_the_offers(self, clock: FakeClock) -> None:
        router = self.make(clock, ring=2)
        router.submit(chat("c1"))
        events = router.abandon("c1")
        assert kinds(events) == ["Abandoned", "OfferRescinded", "OfferRescinded"]
        assert router.operator("ann").conversations == ()

    def test_an_operator_who_leaves_loses_their_offers(self, router: Router) -> None:
        router.submit(chat("c1"))
        holder = router.conversation("c1").offered_to[0]
        events = router.set_status(holder, Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "OfferRescinded", "Offered"]
        assert events[1].reason == "operator_left"  # type: ignore[attr-defined]

    def test_bad_answers_change_nothing(self, router: Router) -> None:
        holder = router.submit(chat("c1"))[-1].operator_id  # type: ignore[attr-defined]
        other = "bob" if holder == "ann" else "ann"
        unchanged(router, lambda: router.accept("c1", other), InvalidTransition, "offered to")
        unchanged(router, lambda: router.finish("c1"), InvalidTransition, "it is offered")
        router.accept("c1", holder)
        unchanged(router, lambda: router.reject("c1", holder), InvalidTransition, "assigned")

    @pytest.mark.parametrize(
        ("fields", "match"),
        [({"timeout": 0}, "timeout"), ({"ring": 0}, "ring"), ({"away_after": 0}, "away_after")],
    )
    def test_bad_offer_settings_are_refused(self, fields: dict[str, Any], match: str) -> None:
        with pytest.raises(ConfigurationError, match=match):
            Offers(**fields)


class TestOperatorsLeaving:
    def make(self, clock: FakeClock, keep: float) -> Router:
        return staffed(
            clock,
            Group("mail", keep_on_leave=keep),
            meg=Operator("meg", {"mail"}, capacity=Capacity(total=3)),
            max=Operator("max", {"mail"}, capacity=Capacity(total=3)),
        )

    def test_kept_for_a_while_then_requeued(self, clock: FakeClock) -> None:
        router = self.make(clock, keep=300)
        router.set_status("max", Status.AWAY)
        router.submit(chat("m1", group="mail"))
        assert kinds(router.set_status("meg", Status.OFFLINE)) == ["StatusChanged"]
        assert router.conversation("m1").operator_id == "meg"
        check_invariants(router)
        clock.advance(300)
        router.set_status("max", Status.ONLINE)
        assert kinds(router.tick()) == ["Ticked", "Requeued", "Assigned"]
        assert router.conversation("m1").operator_id == "max"

    def test_coming_back_in_time_keeps_the_work(self, clock: FakeClock) -> None:
        router = self.make(clock, keep=300)
        router.submit(chat("m1", group="mail"))
        holder = router.conversation("m1").operator_id
        assert holder is not None
        router.set_status(holder, Status.OFFLINE)
        clock.advance(100)
        router.set_status(holder, Status.ONLINE)
        clock.advance(300)
        assert router.tick() == []
        assert router.conversation("m1").operator_id == holder

    def test_kept_forever_and_finished_while_offline(self, clock: FakeClock) -> None:
        router = self.make(clock, keep=math.inf)
        router.submit(chat("m1", group="mail"))
        holder = router.conversation("m1").operator_id
        assert holder is not None
        router.set_status(holder, Status.OFFLINE)
        clock.advance(10**6)
        assert router.tick() == []
        assert kinds(router.finish("m1")) == ["Finished"]

    def test_removal_always_requeues(self, clock: FakeClock) -> None:
        router = self.make(clock, keep=math.inf)
        router.submit(chat("m1", group="mail"))
        holder = router.conversation("m1").operator_id
        assert holder is not None
        assert kinds(router.remove_operator(holder)) == ["OperatorRemoved", "Requeued", "Assigned"]

    @pytest.mark.parametrize("keep", [-1, math.nan, "1"])
    def test_bad_values_are_refused(self, keep: Any) -> None:
        with pytest.raises(ConfigurationError, match="keep_on_leave"):
            Group("g", keep_on_leave=keep)


class TestHandoff:
    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        bot = Operator("bot", {"bots"}, capacity=Capacity(total=1000), bot=True)
        return staff(Group("bots"), Group("people"), bot=bot, ann=({"people"}, {"billing": 2}))

    def test_a_bot_hands_a_conversation_to_people(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("busy", group="people"))
        router.submit(chat("c1", group="bots", customer_id="u1", metadata={"order": 7}))
        clock.advance(120)
        events = router.handoff("c1", "people", reason="asked for a human", priority=1)
        assert kinds(events) == ["HandedOff", "Queued"]
        assert events[0].from_group == "bots"  # type: ignore[attr-defined]
        info = router.conversation("c1")
        assert (info.conversation.group, info.conversation.priority) == ("people", 1)
        assert (info.conversation.customer_id, info.conversation.metadata) == ("u1", {"order": 7})
        assert info.enqueued_at == 120.0
        assert router.operator("bot").conversations == ()
        clock.advance(10)
        assert router.finish("busy")[-1].waited == 10.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_requires_may_be_replaced(self, router: Router) -> None:
        router.submit(chat("c1", group="bots"))
        events = router.handoff("c1", "people", requires={"billing": 3})
        assert kinds(events) == ["HandedOff", "Queued"]
        assert events[0].requires == {"billing": 3}  # type: ignore[attr-defined]

    def test_only_bots_hand_off(self, router: Router) -> None:
        router.submit(chat("c1", group="people"))
        unchanged(router, lambda: router.handoff("c1", "bots"), InvalidTransition, "not a bot")
        router.submit(chat("c2", group="bots"))
        unchanged(router, lambda: router.handoff("c2", "nope"), UnknownGroup, "nope")
        unchanged(
            router,
            lambda: router.handoff("c2", "people", requires={"billing": -1}),
            ValidationError,
            "c2",
        )


class TestRules:
    rules = Rules(
        [Rule("billing", when={"topic": In("refund", "invoice")}, requires={"billing": 1})],
        default="general",
    )

    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        return staff(Group("general"), Group("billing"))

    def test_conversations_without_a_group_are_routed_by_the_rules(self, router: Router) -> None:
        router.set_rules(self.rules)
        submitted, _queued = router.submit(
            Conversation("c1", channel="chat", metadata={"topic": "refund"})
        )
        assert submitted.conversation.group == "billing"  # type: ignore[attr-defined]
        assert submitted.conversation.requires == {"billing": 1}  # type: ignore[attr-defined]
        assert router.submit(Conversation("c2", channel="sms"))[0].group == "general"

    def test_rules_are_checked_when_set(self, staff: Staff) -> None:
        router = staff(Group("general"))
        unchanged(router, lambda: router.set_rules(self.rules), UnknownGroup, "'billing'")

    def test_without_rules_or_match_nothing_is_routed(self, router: Router) -> None:
        c1 = Conversation("c1", channel="chat")
        unchanged(router, lambda: router.submit(c1), NoRoute, "no rules are set")
        router.set_rules(Rules([Rule("billing", when={"topic": "refund"})]))
        unchanged(router, lambda: router.submit(c1), NoRoute, "no rule matches")

    def test_groups_the_rules_route_to_cannot_be_removed(self, router: Router) -> None:
        router.set_rules(self.rules)
        unchanged(router, lambda: router.remove_group("billing"), GroupInUse, "rules")
        router.set_rules(None)
        router.remove_group("billing")


def test_work_requeued_where_nobody_is_online_overflows(staff: Staff) -> None:
    """An AWAY operator going OFFLINE changes no ONLINE count, yet what they held
    now waits in a group nobody serves: it moves on."""
    nobody = Overflow(to="general", when_nobody_online=True)
    router = staff(Group("general"), Group("night", overflow=nobody), nia=({"night"},))
    router.submit(chat("c1", group="night"))
    router.set_status("nia", Status.AWAY)
    events = router.set_status("nia", Status.OFFLINE)
    assert kinds(events) == ["StatusChanged", "Requeued", "Escalated"]


class TestHandoffLimits:
    def test_a_bot_may_not_hand_off_to_a_group_it_serves(self, staff: Staff) -> None:
        router = staff(Group("bots"), Group("people"), bot=Operator("bot", {"bots"}, bot=True))
        router.submit(chat("c1", group="bots"))
        unchanged(router, lambda: router.handoff("c1", "bots"), InvalidTransition, "take it back")

    def test_new_requirements_drop_the_old_steps(self, staff: Staff) -> None:
        router = staff(
            Group("bots"),
            Group("people"),
            bot=Operator("bot", {"bots"}, capacity=Capacity(total=5), bot=True),
        )
        router.submit(chat("c1", group="bots", relax=steps((10, {}))))
        router.handoff("c1", "people", requires={"x": 2})
        assert router.conversation("c1").conversation.relax == ()


def test_overflow_after_counts_waiting_not_handling(clock: FakeClock, staff: Staff) -> None:
    """A conversation requeued after a long call waits ``after`` seconds again."""
    router = staff(
        Group("general"),
        Group("billing", overflow=Overflow(to="general", after=60)),
        bea=({"billing"},),
    )
    router.submit(chat("c1", group="billing"))
    clock.advance(600)
    router.set_status("bea", Status.OFFLINE)
    assert router.tick() == []
    clock.advance(60)
    assert kinds(router.tick()) == ["Ticked", "Escalated"]


def test_an_unknown_discipline_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="discipline must be one of"):
        Group("g", discipline="random")  # type: ignore[arg-type]


def test_a_relaxation_due_at_an_inexact_moment_still_fires() -> None:
    """The timer is set for ``enqueued_at + after``; at that moment ``now -
    enqueued_at`` rounds below ``after`` ((8.2 + 120) - 8.2 < 120), and the step
    must apply all the same, or the timer is dropped and never set again."""
    clock = FakeClock(8.2)
    router = staffed(clock, Group("cards"), ann=({"cards"}, {"cards": 1}))
    relax = [Relaxation(120, {"cards": 1})]
    router.submit(Conversation("c1", "chat", "cards", requires={"cards": 3}, relax=relax))
    due = router.next_due()
    assert due == 8.2 + 120
    clock.now = due
    assert kinds(router.tick()) == ["Ticked", "Relaxed", "Assigned"]
