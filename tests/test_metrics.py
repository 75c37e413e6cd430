"""Statistics, figure by figure, on a virtual clock: every expected value is worked
out by hand from the scenario in the test. Then the edge cases (no traffic, all
abandoned, an operator never ONLINE, interval boundaries), persistence (snapshots,
journals, a host's own :class:`Metrics`), and properties over random call sequences:
counts add up, the service level stays in [0, 1], per-channel, per-group,
per-operator and per-interval figures sum to the overall ones.

Figures are defined in :mod:`omniroute.stats`; counting rules in
:mod:`omniroute.metrics`.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from omniroute import (
    Capacity,
    ConfigurationError,
    Conversation,
    ConversationStats,
    Event,
    Group,
    InvalidTransition,
    Metrics,
    MetricsSettings,
    Offers,
    OmnirouteError,
    Operator,
    OperatorStats,
    Overflow,
    Router,
    ServiceLevelFormula,
    SnapshotError,
    Status,
    UnknownConversation,
    ValidationError,
)
from omniroute.seam import core_of
from omniroute.testing import FakeClock, RouterStateMachine, check_invariants

# -- helpers ----------------------------------------------------------------------

COUNTS = (
    "offered",
    "escalated_in",
    "escalated_out",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "short_abandoned",
    "abandoned_after_answer",
    "transferred",
    "handed_off",
    "finished",
    "responded",
    "holds",
    "handled",
)
TOTALS = ("wait_total", "abandon_wait_total", "response_total", "handle_total", "hold_total")
FIGURES = (
    "service_level",
    "abandon_rate",
    "average_speed_of_answer",
    "longest_wait",
    "wait_p50",
    "wait_p90",
    "wait_p99",
    "average_abandon_wait",
    "average_first_response",
    "average_handle_time",
    "average_hold_time",
)
WORK_TIMES = ("online_time", "away_time", "busy_time", "load_time", "capacity_time")
WORK_COUNTS = ("answered", "finished", "transferred", "handed_off", "responded")
WORK_TOTALS = ("response_total", "handle_total")


def voice(cid: str, group: str = "g", **kwargs: Any) -> Conversation:
    return Conversation(cid, channel="voice", group=group, **kwargs)


def chat(cid: str, group: str = "g", **kwargs: Any) -> Conversation:
    return Conversation(cid, channel="chat", group=group, **kwargs)


def build(clock: FakeClock, *groups: Group, **operators: Any) -> Router:
    """A Router with ``groups`` and operators ``name=Operator(...)`` or
    ``name={group ids}`` (capacity 1), all added OFFLINE at the clock's time."""
    router = Router(clock=clock)
    for group in groups:
        router.add_group(group)
    for name, spec in operators.items():
        router.add_operator(spec if isinstance(spec, Operator) else Operator(name, groups=spec))
    return router


def unchanged(router: Router, call: Any, error: type[Exception], match: str) -> None:
    """``call`` raises ``error`` matching ``match`` and leaves the Router (its
    statistics included) exactly as it was."""
    before = router.snapshot()
    stats_before = router.metrics.stats().as_dict()
    with pytest.raises(error, match=match) as caught:
        call()
    assert isinstance(caught.value, OmnirouteError)
    assert router.snapshot() == before
    assert router.metrics.stats().as_dict() == stats_before


def counts(stats: ConversationStats) -> dict[str, int]:
    return {name: getattr(stats, name) for name in COUNTS}


def mixed(clock: FakeClock) -> Router:
    """Six voice calls to group ``g`` at t=0; ``ann`` (capacity 1) comes ONLINE at 10.

    c4 leaves at 3 (short), c1 is answered at 10 (waited 10), c5 leaves at 15
    (within the 20 s voice threshold), c2 is answered at 25, c3 at 30, c6 leaves at
    40 (after the threshold); c1 ends at 25, c2 at 30, c3 at 50.
    """
    router = build(clock, Group("g"), ann={"g"})
    for i in range(1, 7):
        router.submit(voice(f"c{i}"))
    clock.advance(3)
    router.abandon("c4")
    clock.advance(7)
    router.set_status("ann", Status.ONLINE)  # t=10: c1
    clock.advance(5)
    router.abandon("c5")  # t=15
    clock.advance(10)
    router.finish("c1")  # t=25: c2
    clock.advance(5)
    router.finish("c2")  # t=30: c3
    clock.advance(10)
    router.abandon("c6")  # t=40
    clock.advance(10)
    router.finish("c3")  # t=50
    check_invariants(router)
    return router


# -- 1. contacts and their waits ---------------------------------------------------


class TestContactCounts:
    def test_each_count_of_the_mixed_scenario(self) -> None:
        """Offered, answered, abandoned (short ones apart) and the within-threshold
        counts, worked out by hand."""
        stats = mixed(FakeClock()).metrics.stats()
        assert counts(stats) == {
            "offered": 6,
            "escalated_in": 0,
            "escalated_out": 0,
            "answered": 3,
            "answered_within": 1,  # c1 (10 s); c2 25 s and c3 30 s are late
            "abandoned": 2,  # c5 and c6
            "abandoned_within": 1,  # c5 (15 s)
            "short_abandoned": 1,  # c4 (3 s)
            "abandoned_after_answer": 0,
            "transferred": 0,
            "handed_off": 0,
            "finished": 3,
            "responded": 0,
            "holds": 0,
            "handled": 3,
        }
        assert stats.wait_total == 10 + 25 + 30
        assert stats.abandon_wait_total == 15 + 40  # short abandons are left out
        assert stats.handle_total == 15 + 5 + 20
        assert (stats.start, stats.end) == (0.0, 50.0)
        assert (stats.channel, stats.group) == (None, None)

    @pytest.mark.parametrize(
        ("waited", "short"),
        [(0.0, True), (4.9, True), (5.0, False), (6.0, False)],
    )
    def test_a_wait_under_short_abandon_is_short(self, waited: float, short: bool) -> None:
        """``short_abandon`` = 5 s by default: a customer who left before 5 s is a
        short abandon, one who left at 5 s or later an abandon."""
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(waited)
        router.abandon("c1")
        stats = router.metrics.stats()
        assert (stats.short_abandoned, stats.abandoned) == ((1, 0) if short else (0, 1))
        assert stats.abandoned_within == (0 if short else 1)

    def test_short_abandon_zero_counts_every_abandon(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.configure(metrics=MetricsSettings(short_abandon=0))
        router.submit(voice("c1"))
        router.abandon("c1")  # after 0 s
        stats = router.metrics.stats()
        assert (stats.short_abandoned, stats.abandoned, stats.abandoned_within) == (0, 1, 1)
        assert stats.average_abandon_wait == 0.0

    def test_a_custom_short_abandon(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.configure(metrics=MetricsSettings(short_abandon=10))
        for cid in ("c1", "c2"):
            router.submit(voice(cid))
        clock.advance(9.5)
        router.abandon("c1")
        clock.advance(0.5)
        router.abandon("c2")  # 10 s: not short
        stats = router.metrics.stats()
        assert (stats.short_abandoned, stats.abandoned) == (1, 1)
        assert stats.average_abandon_wait == 10.0


class TestServiceLevel:
    @pytest.mark.parametrize(
        ("formula", "expected"),
        [
            (ServiceLevelFormula.OFFERED, 1 / 5),  # 1 within / (3 answered + 2 abandoned)
            (ServiceLevelFormula.ANSWERED, 1 / 3),  # 1 within / 3 answered
            (ServiceLevelFormula.ABANDONS_WITHIN_MET, 2 / 5),  # (1 + c5) / 5
            (ServiceLevelFormula.ABANDONS_WITHIN_IGNORED, 1 / 4),  # 1 / (5 - c5)
        ],
    )
    def test_each_formula(self, formula: ServiceLevelFormula, expected: float) -> None:
        clock = FakeClock()
        router = mixed(clock)
        router.configure(metrics=MetricsSettings(formula=formula))
        assert router.metrics.stats().service_level == pytest.approx(expected)

    def test_offered_is_the_default(self) -> None:
        assert MetricsSettings().formula is ServiceLevelFormula.OFFERED
        assert mixed(FakeClock()).metrics.stats().service_level == pytest.approx(0.2)

    def test_the_formula_applies_to_contacts_counted_before_it_changed(self) -> None:
        """The formula is applied when reading: counts stay, the figure changes."""
        clock = FakeClock()
        router = mixed(clock)
        before = counts(router.metrics.stats())
        router.configure(metrics=MetricsSettings(formula=ServiceLevelFormula.ANSWERED))
        after = router.metrics.stats()
        assert counts(after) == before
        assert after.service_level == pytest.approx(1 / 3)

    def test_abandon_rate(self) -> None:
        """abandoned / (answered + abandoned): 2 / 5, short abandons left out."""
        assert mixed(FakeClock()).metrics.stats().abandon_rate == pytest.approx(0.4)


class TestThresholds:
    def test_voice_twenty_seconds_chat_sixty(self) -> None:
        """Both wait 45 s: late for voice (20 s), in time for chat (60 s)."""
        clock = FakeClock()
        router = build(
            clock,
            Group("g"),
            ann=Operator("ann", groups={"g"}, capacity=Capacity(total=2)),
        )
        router.submit(voice("v1"))
        router.submit(chat("t1"))
        clock.advance(45)
        router.set_status("ann", Status.ONLINE)
        by_voice = router.metrics.stats(channel="voice")
        by_chat = router.metrics.stats(channel="chat")
        assert (by_voice.answered, by_voice.answered_within, by_voice.service_level) == (1, 0, 0.0)
        assert (by_chat.answered, by_chat.answered_within, by_chat.service_level) == (1, 1, 1.0)
        assert router.metrics.stats().service_level == 0.5

    @pytest.mark.parametrize(("waited", "within"), [(19.0, True), (20.0, True), (20.5, False)])
    def test_a_wait_equal_to_the_threshold_is_within(self, waited: float, within: bool) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.submit(voice("c1"))
        clock.advance(waited)
        router.set_status("ann", Status.ONLINE)
        assert router.metrics.stats().answered_within == int(within)

    def test_an_abandon_at_the_threshold_is_within(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        router.submit(voice("c2"))
        clock.advance(20)
        router.abandon("c1")
        clock.advance(1)
        router.abandon("c2")
        stats = router.metrics.stats()
        assert (stats.abandoned, stats.abandoned_within) == (2, 1)

    def test_custom_thresholds_replace_the_defaults(self) -> None:
        """Channels not named take ``default_threshold``: chat and email, here."""
        clock = FakeClock()
        router = build(
            clock, Group("g"), ann=Operator("ann", groups={"g"}, capacity=Capacity(total=3))
        )
        router.configure(metrics=MetricsSettings(thresholds={"voice": 30}, default_threshold=10))
        router.submit(voice("v1"))  # 25 s: within 30
        router.submit(chat("t1"))  # 25 s: late (default 10)
        router.submit(Conversation("e1", channel="email", group="g"))  # 25 s: late
        clock.advance(25)
        router.set_status("ann", Status.ONLINE)
        stats = router.metrics
        assert stats.stats(channel="voice").answered_within == 1
        assert stats.stats(channel="chat").answered_within == 0
        assert stats.stats(channel="email").answered_within == 0
        assert stats.stats().service_level == pytest.approx(1 / 3)

    def test_settings_thresholds(self) -> None:
        defaults = MetricsSettings()
        assert defaults.threshold("voice") == 20.0
        assert defaults.threshold("video") == 20.0
        assert defaults.threshold("chat") == 60.0
        assert defaults.threshold("email") == 4 * 3600.0
        assert defaults.threshold("fax") == 60.0
        assert MetricsSettings(thresholds={"fax": 5}).threshold("voice") == 60.0


class TestWaitFigures:
    def test_average_speed_of_answer(self) -> None:
        stats = mixed(FakeClock()).metrics.stats()
        assert stats.average_speed_of_answer == pytest.approx((10 + 25 + 30) / 3)

    def test_longest_wait_counts_abandons_but_not_short_ones(self) -> None:
        """c6 left after 40 s: longer than any answered wait (30 s)."""
        assert mixed(FakeClock()).metrics.stats().longest_wait == 40.0

    def test_longest_wait_ignores_short_abandons(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.configure(metrics=MetricsSettings(short_abandon=10))
        router.submit(voice("c1"))
        router.submit(voice("c2"))
        clock.advance(2)
        router.set_status("ann", Status.ONLINE)  # c1 after 2 s
        clock.advance(7)
        router.abandon("c2")  # 9 s: short
        assert router.metrics.stats().longest_wait == 2.0

    def test_average_abandon_wait(self) -> None:
        assert mixed(FakeClock()).metrics.stats().average_abandon_wait == pytest.approx(27.5)

    def test_percentiles_follow_the_lower_definition(self) -> None:
        """Waits 0, 1, …, 100 s: p50, p90 and p99 are the values of rank
        floor(q * 100), within 1%."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        for i in range(101):
            router.submit(voice(f"c{i}"))  # c0 answered at once, the others wait
        for i in range(101):
            clock.advance(1)
            router.finish(f"c{i}")  # c(i+1) answered after i + 1 seconds
        stats = router.metrics.stats()
        assert stats.answered == 101
        assert stats.wait_p50 == pytest.approx(50, rel=0.01)
        assert stats.wait_p90 == pytest.approx(90, rel=0.01)
        assert stats.wait_p99 == pytest.approx(99, rel=0.01)
        assert stats.longest_wait == 100.0
        assert stats.average_speed_of_answer == pytest.approx(50.0)

    def test_percentiles_of_a_few_waits(self) -> None:
        """Waits 10, 25, 30 (mixed): ranks floor(q * 2) = 1 for every q < 1."""
        stats = mixed(FakeClock()).metrics.stats()
        assert stats.wait_p50 == pytest.approx(25, rel=0.01)
        assert stats.wait_p90 == pytest.approx(25, rel=0.01)
        assert stats.wait_p99 == pytest.approx(25, rel=0.01)

    def test_percentiles_leave_abandons_out(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.submit(voice("c1"))
        clock.advance(100)
        router.abandon("c1")
        stats = router.metrics.stats()
        assert (stats.wait_p50, stats.wait_p90, stats.wait_p99) == (None, None, None)
        assert stats.average_speed_of_answer is None
        assert stats.longest_wait == 100.0


# -- 2. overflow: escalated contacts ------------------------------------------------


def overflowing(clock: FakeClock) -> Router:
    """``front`` overflows to ``back`` after 30 s; ``bob`` serves ``back`` only."""
    front = Group("front", overflow=Overflow(to="back", after=30))
    return build(clock, Group("back"), front, amy={"front"}, bob={"back"})


class TestEscalation:
    def test_answered_where_it_overflowed_to(self) -> None:
        """c1 waits 30 s in front, overflows, and bob answers it at once: offered in
        front, escalated out of front and into back, answered in back after 30 s
        (its waiting start is kept)."""
        clock = FakeClock()
        router = overflowing(clock)
        router.set_status("bob", Status.ONLINE)
        router.submit(voice("c1", group="front"))
        clock.advance(30)
        router.tick()
        assert router.conversation("c1").operator_id == "bob"
        front = router.metrics.stats(group="front")
        back = router.metrics.stats(group="back")
        assert (front.offered, front.escalated_out, front.escalated_in, front.answered) == (
            1,
            1,
            0,
            0,
        )
        assert (back.offered, back.escalated_in, back.escalated_out, back.answered) == (0, 1, 0, 1)
        assert back.wait_total == 30.0
        assert back.answered_within == 0  # 30 s > 20 s voice threshold
        assert front.service_level is None  # nothing answered or abandoned there
        assert back.service_level == 0.0
        total = router.metrics.stats()
        assert (total.offered, total.escalated_in, total.escalated_out, total.answered) == (
            1,
            1,
            1,
            1,
        )
        check_invariants(router)

    def test_answered_before_the_overflow_stays_in_its_group(self) -> None:
        clock = FakeClock()
        router = overflowing(clock)
        router.set_status("amy", Status.ONLINE)
        router.submit(voice("c1", group="front"))
        clock.advance(40)
        router.tick()
        router.finish("c1")
        front = router.metrics.stats(group="front")
        assert (front.offered, front.answered, front.finished, front.escalated_out) == (1, 1, 1, 0)
        assert router.metrics.stats(group="back").offered == 0
        assert front.average_handle_time == 40.0

    def test_abandoned_after_the_overflow_counts_in_the_new_group(self) -> None:
        clock = FakeClock()
        router = overflowing(clock)  # nobody ONLINE
        router.submit(voice("c1", group="front"))
        clock.advance(30)
        router.tick()
        clock.advance(15)
        router.abandon("c1")
        front = router.metrics.stats(group="front")
        back = router.metrics.stats(group="back")
        assert (front.escalated_out, front.abandoned) == (1, 0)
        assert (back.escalated_in, back.abandoned, back.abandon_wait_total) == (1, 1, 45.0)
        assert back.abandon_rate == 1.0
        check_invariants(router)

    def test_a_live_escalated_contact_waits_in_its_new_group(self) -> None:
        clock = FakeClock()
        router = overflowing(clock)
        router.submit(voice("c1", group="front"))
        clock.advance(30)
        router.tick()
        clock.advance(5)
        assert router.metrics.stats(group="front").waiting == 0
        back = router.metrics.stats(group="back")
        assert (back.waiting, back.longest_current_wait) == (1, 35.0)

    def test_overflowing_twice(self) -> None:
        """front → mid after 10 s in front, mid → back after 20 s in mid."""
        clock = FakeClock()
        router = build(
            clock,
            Group("back"),
            Group("mid", overflow=Overflow(to="back", after=20)),
            Group("front", overflow=Overflow(to="mid", after=10)),
        )
        router.submit(voice("c1", group="front"))
        clock.advance(10)
        router.tick()
        clock.advance(20)
        router.tick()
        moves = {
            g: (s.offered, s.escalated_in, s.escalated_out, s.waiting)
            for g in ("front", "mid", "back")
            for s in [router.metrics.stats(group=g)]
        }
        assert moves == {"front": (1, 0, 1, 0), "mid": (0, 1, 1, 0), "back": (0, 1, 0, 1)}
        assert router.metrics.stats(group="back").longest_current_wait == 30.0
        check_invariants(router)


# -- 3. transfers and hand-offs --------------------------------------------------------


class TestTransfersAndHandoffs:
    def test_a_transfer_ends_one_contact_and_starts_another(self) -> None:
        """ann answers c1 in g1 at once; at 10 she transfers it to g2, where bob
        answers it at once; bob finishes at 25."""
        clock = FakeClock()
        router = build(clock, Group("g1"), Group("g2"), ann={"g1"}, bob={"g2"})
        router.set_status("ann", Status.ONLINE)
        router.set_status("bob", Status.ONLINE)
        router.submit(chat("c1", group="g1"))
        clock.advance(10)
        router.transfer("c1", to_group="g2")
        clock.advance(15)
        router.finish("c1")
        g1 = router.metrics.stats(group="g1")
        g2 = router.metrics.stats(group="g2")
        assert (g1.offered, g1.answered, g1.transferred, g1.finished, g1.handled) == (1, 1, 1, 0, 1)
        assert g1.average_handle_time == 10.0
        assert (g2.offered, g2.answered, g2.transferred, g2.finished, g2.handled) == (1, 1, 0, 1, 1)
        assert g2.average_handle_time == 15.0
        total = router.metrics.stats()
        assert (total.offered, total.answered, total.transferred, total.finished) == (2, 2, 1, 1)
        assert router.metrics.operator_stats("ann").transferred == 1
        assert router.metrics.operator_stats("bob").finished == 1
        check_invariants(router)

    def test_the_new_contact_waits_from_the_transfer(self) -> None:
        """Transferred to g2 at 10, where bob comes ONLINE at 40: answered after 30 s."""
        clock = FakeClock()
        router = build(clock, Group("g1"), Group("g2"), ann={"g1"}, bob={"g2"})
        router.set_status("ann", Status.ONLINE)
        router.submit(voice("c1", group="g1"))
        clock.advance(10)
        router.transfer("c1", to_group="g2")
        clock.advance(5)
        g2 = router.metrics.stats(group="g2")
        assert (g2.waiting, g2.longest_current_wait) == (1, 5.0)
        clock.advance(25)
        router.set_status("bob", Status.ONLINE)
        g2 = router.metrics.stats(group="g2")
        assert (g2.answered, g2.wait_total, g2.answered_within) == (1, 30.0, 0)
        g1 = router.metrics.stats(group="g1")
        assert (g1.answered, g1.wait_total, g1.answered_within) == (1, 0.0, 1)

    def test_a_transfer_within_the_group_is_offered_there_again(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        router.set_status("bob", Status.ONLINE)
        clock.advance(10)
        router.transfer("c1", to_operator="bob")
        stats = router.metrics.stats(group="g")
        assert (stats.offered, stats.answered, stats.transferred) == (2, 2, 1)
        assert router.metrics.operator_stats("bob").answered == 1

    def test_a_bot_hand_off(self) -> None:
        """The bot holds c1 for 20 s, then hands it to people in g, where ann
        answers it at once."""
        clock = FakeClock()
        bot = Operator("bot", groups={"bots"}, capacity=Capacity(total=50), bot=True)
        router = build(clock, Group("bots"), Group("g"), bot=bot, ann={"g"})
        router.set_status("bot", Status.ONLINE)
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1", group="bots"))
        clock.advance(20)
        router.handoff("c1", "g")
        bots = router.metrics.stats(group="bots")
        people = router.metrics.stats(group="g")
        assert (bots.offered, bots.answered, bots.handed_off, bots.handled) == (1, 1, 1, 1)
        assert bots.average_handle_time == 20.0
        assert (people.offered, people.answered, people.handed_off) == (1, 1, 0)
        assert router.metrics.operator_stats("bot").handed_off == 1
        assert router.metrics.operator_stats("ann").answered == 1
        check_invariants(router)


# -- 4. first responses -----------------------------------------------------------------


class TestFirstResponse:
    def test_measured_from_the_submission(self) -> None:
        """Submitted at 0, answered at 10, first reply at 25: 25 s."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.submit(chat("c1"))
        clock.advance(10)
        router.set_status("ann", Status.ONLINE)
        clock.advance(15)
        events = router.responded("c1")
        assert [type(e).__name__ for e in events] == ["Responded"]
        stats = router.metrics.stats()
        assert (stats.responded, stats.response_total, stats.average_first_response) == (
            1,
            25.0,
            25.0,
        )
        ann = router.metrics.operator_stats("ann")
        assert (ann.responded, ann.response_total, ann.average_first_response) == (1, 25.0, 25.0)

    def test_a_second_reply_changes_nothing(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(5)
        router.responded("c1")
        clock.advance(5)
        before, stats = router.snapshot(), router.metrics.stats().as_dict()
        assert router.responded("c1") == []
        assert router.snapshot() == before
        assert router.metrics.stats().as_dict() == stats
        assert router.metrics.stats().average_first_response == 5.0

    def test_a_transfer_starts_a_new_first_response(self) -> None:
        """ann replies at 5; transferred to bob at 10; bob replies at 18: the new
        contact's first response is 8 s, from the transfer."""
        clock = FakeClock()
        router = build(clock, Group("g1"), Group("g2"), ann={"g1"}, bob={"g2"})
        router.set_status("ann", Status.ONLINE)
        router.set_status("bob", Status.ONLINE)
        router.submit(chat("c1", group="g1"))
        clock.advance(5)
        router.responded("c1")
        clock.advance(5)
        router.transfer("c1", to_group="g2")
        clock.advance(8)
        assert [type(e).__name__ for e in router.responded("c1")] == ["Responded"]
        g1 = router.metrics.stats(group="g1")
        g2 = router.metrics.stats(group="g2")
        assert (g1.responded, g1.response_total) == (1, 5.0)
        assert (g2.responded, g2.response_total) == (1, 8.0)
        total = router.metrics.stats()
        assert (total.responded, total.average_first_response) == (2, 6.5)
        assert router.metrics.operator_stats("ann").average_first_response == 5.0
        assert router.metrics.operator_stats("bob").average_first_response == 8.0
        assert router.responded("c1") == []

    def test_a_hand_off_starts_a_new_first_response(self) -> None:
        """The bot replies at 1 (1 s); hands off at 20; ann replies at 26 (6 s)."""
        clock = FakeClock()
        bot = Operator("bot", groups={"bots"}, capacity=Capacity(total=50), bot=True)
        router = build(clock, Group("bots"), Group("g"), bot=bot, ann={"g"})
        router.set_status("bot", Status.ONLINE)
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1", group="bots"))
        clock.advance(1)
        router.responded("c1")
        clock.advance(19)
        router.handoff("c1", "g")
        clock.advance(6)
        router.responded("c1")
        assert router.metrics.stats(group="bots").response_total == 1.0
        assert router.metrics.stats(group="g").response_total == 6.0

    def test_a_reply_while_held_counts(self) -> None:
        """Held at 5, first reply at 12 (the hold keeps the operator's slot)."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(5)
        router.hold("c1")
        clock.advance(7)
        assert router.responded("c1") != []
        assert router.metrics.stats().response_total == 12.0

    def test_a_reply_after_a_requeue_is_not_a_new_first_response(self) -> None:
        """ann replies, leaves; bob takes c1 over: the same contact, replied to."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(3)
        router.responded("c1")
        router.set_status("ann", Status.OFFLINE)
        router.set_status("bob", Status.ONLINE)
        assert router.conversation("c1").operator_id == "bob"
        assert router.responded("c1") == []
        assert router.metrics.stats().responded == 1

    def test_refused_while_waiting(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.submit(chat("c1"))
        clock.advance(5)
        unchanged(router, lambda: router.responded("c1"), InvalidTransition, "'c1'.*queued")

    def test_refused_while_offered(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=30)), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        assert router.conversation("c1").offered_to == ("ann",)
        clock.advance(5)
        unchanged(router, lambda: router.responded("c1"), InvalidTransition, "'c1'.*offered")

    def test_refused_for_an_unknown_conversation(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(5)
        unchanged(router, lambda: router.responded("nope"), UnknownConversation, "'nope'")
        with pytest.raises(KeyError, match="nope"):  # a KeyError too
            router.responded("nope")


# -- 5. handle time, hold time, requeues ---------------------------------------------


class TestHandleAndHold:
    def test_hold_resume_release_resume(self) -> None:
        """ann has c1 from 0; holds at 10, resumed at 20, holds at 25; the grace of
        30 s releases her slot at 55; resumed at 70, back to her; finished at 80.

        Handle time (in her slot): 0-55 and 70-80 = 65 s. Hold time (held or
        released): 10-20 and 25-70 = 55 s. One answer, two holds.
        """
        clock = FakeClock()
        router = build(clock, Group("g", release_held_after={"chat": 30}), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.hold("c1")
        clock.advance(10)
        router.resume("c1")
        clock.advance(5)
        router.hold("c1")
        clock.advance(30)
        assert [type(e).__name__ for e in router.tick()] == ["Ticked", "Released"]
        clock.advance(5)
        assert router.metrics.stats().waiting == 0  # released is not waiting
        clock.advance(10)
        router.resume("c1")  # t=70
        assert router.conversation("c1").operator_id == "ann"
        clock.advance(10)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.answered, stats.holds, stats.handled, stats.finished) == (1, 2, 1, 1)
        assert (stats.handle_total, stats.hold_total) == (65.0, 55.0)
        assert (stats.average_handle_time, stats.average_hold_time) == (65.0, 55.0)
        ann = router.metrics.operator_stats("ann")
        assert (ann.answered, ann.finished, ann.handle_total) == (1, 1, 65.0)
        assert (ann.online_time, ann.busy_time, ann.load_time) == (80.0, 65.0, 65.0)
        assert ann.occupancy == pytest.approx(65 / 80)
        check_invariants(router)

    def test_finished_while_held(self) -> None:
        """Held at 10, finished at 25: the slot was kept, so 25 s handled, 15 held."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.hold("c1")
        clock.advance(15)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.handle_total, stats.hold_total, stats.holds) == (25.0, 15.0, 1)

    def test_finished_while_released(self) -> None:
        """Released at once on hold (grace 0) at 10, finished at 40: 10 s handled,
        30 s on hold; ann's slot was free from 10."""
        clock = FakeClock()
        router = build(clock, Group("g", release_held_after={"chat": 0}), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.hold("c1")
        clock.advance(30)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.handle_total, stats.hold_total, stats.finished) == (10.0, 30.0, 1)
        ann = router.metrics.operator_stats("ann")
        assert (ann.busy_time, ann.finished, ann.handle_total) == (10.0, 1, 10.0)

    def test_a_resumed_conversation_waits_again_for_a_busy_operator(self) -> None:
        """c1 released at 0 (grace 0); c2 takes ann's slot at 5; c1 resumed at 10
        waits for her; she finishes c2 at 18 and gets c1 back: still one answer
        for c1, and the wait again shows live."""
        clock = FakeClock()
        router = build(clock, Group("g", release_held_after={"chat": 0}), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        router.hold("c1")
        clock.advance(5)
        router.submit(chat("c2"))
        clock.advance(5)
        router.resume("c1")
        clock.advance(3)
        live = router.metrics.stats()
        assert (live.waiting, live.longest_current_wait) == (1, 3.0)
        clock.advance(5)
        router.finish("c2")
        assert router.conversation("c1").operator_id == "ann"
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.waiting) == (2, 2, 0)
        assert stats.wait_total == 0.0  # waits again are not answers
        check_invariants(router)

    def test_held_when_the_operator_leaves(self) -> None:
        """Held at 10; ann leaves at 20 (the slot is released); resumed at 40, bob
        takes it; finished at 50: handled 0-20 and 40-50, on hold 10-40."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.hold("c1")
        clock.advance(10)
        router.set_status("ann", Status.OFFLINE)
        router.set_status("bob", Status.ONLINE)
        clock.advance(20)
        router.resume("c1")
        assert router.conversation("c1").operator_id == "bob"
        clock.advance(10)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.answered, stats.handle_total, stats.hold_total) == (1, 30.0, 30.0)
        assert router.metrics.operator_stats("ann").handle_total == 20.0
        assert router.metrics.operator_stats("bob").handle_total == 10.0
        check_invariants(router)

    def test_requeued_work_is_not_answered_twice(self) -> None:
        """ann has c1 from 0 and leaves at 10; bob, ONLINE at 15, takes it over and
        finishes it at 20: one answer (ann's), handled 10 + 5 s."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(voice("c1"))
        clock.advance(10)
        router.set_status("ann", Status.OFFLINE)
        clock.advance(2)
        live = router.metrics.stats()
        assert (live.waiting, live.longest_current_wait) == (1, 12.0)  # its start is kept
        clock.advance(3)
        router.set_status("bob", Status.ONLINE)
        clock.advance(5)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.finished, stats.handled) == (1, 1, 1, 1)
        assert (stats.wait_total, stats.handle_total) == (0.0, 15.0)
        ann = router.metrics.operator_stats("ann")
        bob = router.metrics.operator_stats("bob")
        assert (ann.answered, ann.finished, ann.handle_total) == (1, 0, 10.0)
        assert (bob.answered, bob.finished, bob.handle_total) == (0, 1, 5.0)
        check_invariants(router)

    def test_leaving_after_a_requeue_is_abandoned_after_answer(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(voice("c1"))
        clock.advance(10)
        router.set_status("ann", Status.OFFLINE)
        clock.advance(30)
        router.abandon("c1")
        stats = router.metrics.stats()
        assert (stats.abandoned_after_answer, stats.abandoned, stats.short_abandoned) == (1, 0, 0)
        assert (stats.answered, stats.handled, stats.handle_total) == (1, 1, 10.0)
        assert stats.service_level == 1.0  # answered in 0 s; the later leaving is not missed
        assert stats.abandon_rate == 0.0
        assert stats.longest_wait == 0.0
        check_invariants(router)


# -- 6. live figures ----------------------------------------------------------------


class TestLiveFigures:
    def make(self, clock: FakeClock) -> Router:
        """Nobody ONLINE: v1 (voice, g) at 0, t1 (chat, g) at 5, h1 (voice, h) at 8."""
        router = build(clock, Group("g"), Group("h"), ann={"g", "h"})
        router.submit(voice("v1"))
        clock.advance(5)
        router.submit(chat("t1"))
        clock.advance(3)
        router.submit(voice("h1", group="h"))
        clock.advance(2)
        return router

    def test_waiting_and_longest_current_wait(self) -> None:
        router = self.make(FakeClock())
        stats = router.metrics.stats()
        assert (stats.waiting, stats.longest_current_wait) == (3, 10.0)

    def test_the_longest_wait_grows_with_the_clock_alone(self) -> None:
        clock = FakeClock()
        router = self.make(clock)
        clock.advance(20)  # no call
        stats = router.metrics.stats()
        assert (stats.waiting, stats.longest_current_wait, stats.end) == (3, 30.0, 30.0)
        assert router.metrics.stats(now=40.0).longest_current_wait == 40.0

    @pytest.mark.parametrize(
        ("channel", "group", "waiting", "longest"),
        [
            ("voice", None, 2, 10.0),
            ("chat", None, 1, 5.0),
            (None, "g", 2, 10.0),
            (None, "h", 1, 2.0),
            ("chat", "g", 1, 5.0),
            ("chat", "h", 0, None),
            ("email", None, 0, None),
        ],
    )
    def test_filtered(
        self, channel: str | None, group: str | None, waiting: int, longest: float | None
    ) -> None:
        router = self.make(FakeClock())
        stats = router.metrics.stats(channel=channel, group=group)
        assert (stats.channel, stats.group) == (channel, group)
        assert (stats.waiting, stats.longest_current_wait) == (waiting, longest)

    def test_the_oldest_leaving_shortens_the_longest_wait(self) -> None:
        clock = FakeClock()
        router = self.make(clock)
        router.abandon("v1")
        assert router.metrics.stats().longest_current_wait == 5.0
        router.set_status("ann", Status.ONLINE)  # takes t1
        stats = router.metrics.stats()
        assert (stats.waiting, stats.longest_current_wait) == (1, 2.0)

    def test_an_offered_conversation_still_waits(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=30)), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(2)
        stats = router.metrics.stats()
        assert (stats.waiting, stats.longest_current_wait, stats.answered) == (1, 2.0, 0)
        router.accept("c1", "ann")
        stats = router.metrics.stats()
        assert (stats.waiting, stats.answered, stats.wait_total) == (0, 1, 2.0)

    def test_intervals_carry_no_live_figures(self) -> None:
        router = self.make(FakeClock())
        [current] = router.metrics.intervals()
        assert (current.waiting, current.longest_current_wait) == (None, None)


# -- 7. operators ------------------------------------------------------------------------


class TestOperatorFigures:
    def make(self, clock: FakeClock) -> Router:
        """ann (2 slots) ONLINE at 0; c1 at 0 (replied at 5), c2 at 10; c1 ends at
        20, c2 at 30; AWAY at 40, ONLINE at 50, OFFLINE at 60. bob never ONLINE."""
        ann = Operator("ann", groups={"g"}, capacity=Capacity(total=2))
        router = build(clock, Group("g"), ann=ann, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(5)
        router.responded("c1")
        clock.advance(5)
        router.submit(chat("c2"))
        clock.advance(10)
        router.finish("c1")
        clock.advance(10)
        router.finish("c2")
        clock.advance(10)
        router.set_status("ann", Status.AWAY)
        clock.advance(10)
        router.set_status("ann", Status.ONLINE)
        clock.advance(10)
        router.set_status("ann", Status.OFFLINE)
        clock.advance(40)
        return router

    def test_times_and_figures(self) -> None:
        """Online 0-40 and 50-60 = 50 s, away 10 s; busy 0-30; load 1·10 + 2·10 +
        1·10 = 40; capacity 2·50 = 100."""
        ann = self.make(FakeClock()).metrics.operator_stats("ann")
        assert ann == OperatorStats(
            start=0.0,
            end=100.0,
            operator_id="ann",
            online_time=50.0,
            away_time=10.0,
            busy_time=30.0,
            load_time=40.0,
            capacity_time=100.0,
            answered=2,
            finished=2,
            transferred=0,
            handed_off=0,
            responded=1,
            response_total=5.0,
            handle_total=40.0,
            occupancy=0.6,
            utilisation=0.4,
            average_concurrency=pytest.approx(40 / 30),
            average_first_response=5.0,
        )

    def test_never_online(self) -> None:
        bob = self.make(FakeClock()).metrics.operator_stats("bob")
        assert bob.operator_id == "bob"
        times = [getattr(bob, name) for name in WORK_TIMES]
        assert times == [0.0] * len(WORK_TIMES)
        assert [getattr(bob, name) for name in WORK_COUNTS] == [0] * len(WORK_COUNTS)
        assert (bob.occupancy, bob.utilisation, bob.average_concurrency) == (None, None, None)
        assert bob.average_first_response is None

    def test_the_team_leaves_bots_out(self) -> None:
        """The bot answers c1 at 0 and hands it to ann at 10; ann finishes at 30.
        The team's figures are ann's; the bot's are there by its id."""
        clock = FakeClock()
        bot = Operator("bot", groups={"bots"}, capacity=Capacity(total=5), bot=True)
        router = build(clock, Group("bots"), Group("g"), bot=bot, ann={"g"})
        router.set_status("bot", Status.ONLINE)
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1", group="bots"))
        clock.advance(10)
        router.handoff("c1", "g")
        clock.advance(20)
        router.finish("c1")
        team = router.metrics.operator_stats()
        ann = router.metrics.operator_stats("ann")
        assert attrs.evolve(team, operator_id="ann") == ann
        by_bot = router.metrics.operator_stats("bot")
        assert (by_bot.online_time, by_bot.capacity_time, by_bot.answered) == (30.0, 150.0, 1)
        assert (by_bot.handed_off, by_bot.handle_total) == (1, 10.0)
        assert router.metrics.stats().answered == team.answered + by_bot.answered
        assert [r.online_time for r in router.metrics.operator_intervals()] == [30.0]

    def test_a_bot_made_a_person_counts_in_the_team(self) -> None:
        clock = FakeClock()
        bot = Operator("x", groups={"g"}, bot=True)
        router = build(clock, Group("g"), x=bot)
        router.set_status("x", Status.ONLINE)
        clock.advance(10)
        assert router.metrics.operator_stats().online_time == 0.0
        router.update_operator(Operator("x", groups={"g"}))
        assert router.metrics.operator_stats().online_time == 10.0  # all of x's time

    def test_online_but_never_busy(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        clock.advance(30)
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.capacity_time) == (30.0, 30.0)
        assert (ann.occupancy, ann.utilisation, ann.average_concurrency) == (0.0, 0.0, None)

    def test_all_operators_together(self) -> None:
        clock = FakeClock()
        router = self.make(clock)
        router.set_status("bob", Status.ONLINE)
        clock.advance(20)
        every = router.metrics.operator_stats()
        assert every.operator_id is None
        ann = router.metrics.operator_stats("ann")
        bob = router.metrics.operator_stats("bob")
        assert (bob.online_time, bob.capacity_time) == (20.0, 20.0)
        for name in (*WORK_TIMES, *WORK_COUNTS, *WORK_TOTALS):
            assert getattr(every, name) == pytest.approx(getattr(ann, name) + getattr(bob, name))
        assert every.occupancy == pytest.approx(30 / 70)
        assert every.utilisation == pytest.approx(40 / 120)

    def test_time_is_counted_up_to_the_clock(self) -> None:
        """Reading adds the time since the last event, and changes nothing."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(25)
        before = router.snapshot()
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.busy_time, ann.load_time, ann.end) == (25.0, 25.0, 25.0, 25.0)
        assert router.metrics.operator_stats("ann") == ann
        assert router.snapshot() == before
        assert router.metrics.operator_stats("ann", now=30.0).online_time == 30.0

    def test_away_with_work_is_not_busy(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.set_status("ann", Status.AWAY)
        clock.advance(10)
        router.finish("c1")
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.away_time, ann.busy_time, ann.load_time) == (
            10.0,
            10.0,
            10.0,
            10.0,
        )
        assert ann.handle_total == 20.0

    def test_an_offer_takes_a_slot(self) -> None:
        """Offered at 0, accepted at 4, finished at 10, read at 20: busy 10 s of 20."""
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=30)), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(4)
        router.accept("c1", "ann")
        clock.advance(6)
        router.finish("c1")
        clock.advance(10)
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.busy_time, ann.load_time, ann.handle_total) == (
            20.0,
            10.0,
            10.0,
            6.0,
        )
        assert ann.occupancy == 0.5
        assert router.metrics.stats().wait_total == 4.0

    def test_an_offer_rescinded_by_an_abandon(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=30)), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(6)
        router.abandon("c1")
        clock.advance(4)
        ann = router.metrics.operator_stats("ann")
        assert (ann.busy_time, ann.online_time, ann.answered) == (6.0, 10.0, 0)
        stats = router.metrics.stats()
        assert (stats.abandoned, stats.answered, stats.abandon_wait_total) == (1, 0, 6.0)
        check_invariants(router)

    def test_an_expired_offer(self) -> None:
        """Offered to ann at 0, expires at 20; bob, ONLINE at 25, takes it."""
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=20)), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        router.set_status("ann", Status.AWAY)  # the offer stays with her
        clock.advance(20)
        router.tick()
        clock.advance(5)
        router.set_status("bob", Status.ONLINE)
        router.accept("c1", "bob")
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.away_time, ann.busy_time, ann.answered) == (
            0.0,
            25.0,
            0.0,
            0,
        )
        assert router.metrics.stats().wait_total == 25.0
        check_invariants(router)

    def test_a_rejected_offer_held_a_slot_until_rejected(self) -> None:
        """Offered to one at 0, rejected at 3, offered to the other, accepted at 5,
        finished at 9: busy 3 s and 6 s."""
        clock = FakeClock()
        router = build(clock, Group("g", offers=Offers(timeout=30)), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.set_status("bob", Status.ONLINE)
        router.submit(chat("c1"))
        [first] = router.conversation("c1").offered_to
        clock.advance(3)
        router.reject("c1", first)
        [second] = router.conversation("c1").offered_to
        assert second != first
        clock.advance(2)
        router.accept("c1", second)
        clock.advance(4)
        router.finish("c1")
        assert router.metrics.operator_stats(first).busy_time == 3.0
        assert router.metrics.operator_stats(second).busy_time == 6.0
        assert router.metrics.operator_stats(second).answered == 1
        assert router.metrics.operator_stats(first).answered == 0
        assert router.metrics.stats().wait_total == 5.0
        check_invariants(router)

    def test_a_units_budget_counts_its_slots(self) -> None:
        """100 units, chat costs 30: three chats at once at most."""
        clock = FakeClock()
        budget = Capacity(units=100, cost={"chat": 30, "voice": 100})
        router = build(clock, Group("g"), ann=Operator("ann", groups={"g"}, capacity=budget))
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        ann = router.metrics.operator_stats("ann")
        assert (ann.capacity_time, ann.load_time) == (30.0, 10.0)
        assert ann.utilisation == pytest.approx(1 / 3)

    def test_a_capacity_change_counts_from_then(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        clock.advance(10)
        router.update_operator(Operator("ann", groups={"g"}, capacity=Capacity(total=3)))
        clock.advance(10)
        assert router.metrics.operator_stats("ann").capacity_time == 10 + 30

    def test_a_removed_operator_keeps_their_past(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"}, bob={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.advance(10)
        router.set_status("bob", Status.ONLINE)
        router.remove_operator("ann")  # c1 goes to bob
        clock.advance(10)
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.busy_time, ann.answered, ann.handle_total) == (
            10.0,
            10.0,
            1,
            10.0,
        )
        assert router.conversation("c1").operator_id == "bob"
        check_invariants(router)


# -- 8. intervals -----------------------------------------------------------------------


class TestIntervals:
    def test_events_count_in_the_interval_they_happen_in(self) -> None:
        """15-minute intervals from t=800: c1 arrives and is answered at 850, ends
        at 950 (next interval); c2 arrives and is answered at 1000. ann, ONLINE from
        800, has her time split at 900."""
        clock = FakeClock(800)
        router = build(clock, Group("g"), ann={"g"})
        router.configure(metrics=MetricsSettings(interval=900))
        router.set_status("ann", Status.ONLINE)
        clock.advance(50)
        router.submit(chat("c1"))
        clock.advance(100)
        router.finish("c1")
        clock.advance(50)
        router.submit(chat("c2"))
        first, second = router.metrics.intervals()
        assert (first.start, first.end, second.start, second.end) == (800.0, 900.0, 900.0, 1000.0)
        assert (first.offered, first.answered, first.finished, first.handled) == (1, 1, 0, 0)
        assert (second.offered, second.answered, second.finished, second.handled) == (1, 1, 1, 1)
        assert second.handle_total == 100.0  # counted when it ended
        one, two = router.metrics.operator_intervals("ann")
        assert (one.start, one.end, two.start, two.end) == (800.0, 900.0, 900.0, 1000.0)
        assert (one.online_time, one.busy_time, one.answered, one.finished) == (100.0, 50.0, 1, 0)
        assert (two.online_time, two.busy_time, two.answered, two.finished) == (100.0, 50.0, 1, 1)
        total = router.metrics.operator_stats("ann")
        assert (total.online_time, total.busy_time) == (200.0, 100.0)
        assert router.metrics.operator_intervals() == [
            attrs.evolve(report, operator_id=None) for report in (one, two)
        ]

    def test_an_event_at_the_boundary_counts_in_the_new_interval(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(900)
        router.submit(voice("c2"))
        first, second = router.metrics.intervals()
        assert (first.offered, second.offered) == (1, 1)
        assert (first.end, second.start) == (900.0, 900.0)

    def test_a_wait_across_the_boundary_counts_where_it_ends(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(1000)
        router.abandon("c1")
        first, second = router.metrics.intervals()
        assert (first.offered, first.abandoned, second.offered, second.abandoned) == (1, 0, 0, 1)
        assert second.abandon_wait_total == 1000.0

    def test_the_current_interval_ends_at_the_last_event(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        clock.advance(100)
        router.submit(chat("c1"))
        clock.advance(50)  # no call
        [current] = router.metrics.intervals()
        assert (current.start, current.end) == (0.0, 100.0)
        [work] = router.metrics.operator_intervals("ann")
        assert (work.end, work.online_time) == (100.0, 100.0)
        assert router.metrics.operator_stats("ann").online_time == 150.0  # up to the clock

    def test_old_intervals_fold_into_the_totals(self) -> None:
        """Keep 2: one abandon in each of six intervals; three are listed, the
        totals still count all six."""
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.configure(metrics=MetricsSettings(keep_intervals=2))
        for k in range(6):
            clock.now = k * 900.0 + 10
            router.submit(voice(f"c{k}"))
            clock.advance(10)
            router.abandon(f"c{k}")
        listed = router.metrics.intervals()
        assert [report.start for report in listed] == [2700.0, 3600.0, 4500.0]
        assert [report.offered for report in listed] == [1, 1, 1]
        stats = router.metrics.stats()
        assert (stats.offered, stats.abandoned, stats.abandon_wait_total) == (6, 6, 60.0)
        assert (stats.start, stats.end) == (0.0, 4520.0)
        check_invariants(router)

    def test_since_takes_the_intervals_starting_then_or_later(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.configure(metrics=MetricsSettings(keep_intervals=3))
        for k in range(6):
            clock.now = k * 900.0 + 10
            router.submit(voice(f"c{k}"))
        assert router.metrics.stats(since=2700).offered == 3
        assert router.metrics.stats(since=2700).start == 2700.0
        assert router.metrics.stats(since=2701).offered == 2
        assert router.metrics.stats(since=4500).offered == 1
        assert router.metrics.stats(since=0).offered == 4  # the kept ones and the current
        assert router.metrics.stats().offered == 6
        assert router.metrics.stats(since=4500).waiting == 6  # live: all of them

    def test_since_after_the_current_interval_started(self) -> None:
        """c1 arrives at 100 in [0, 900); since=450 names no interval yet."""
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(100)
        router.submit(voice("c2"))
        assert router.metrics.stats(since=450).offered == 0

    def test_a_long_quiet_stretch(self) -> None:
        """Keep 2; ann ONLINE all along; one call at 10, the next 90 000 s later:
        three intervals listed, the two before the last empty; ann's time whole."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.configure(metrics=MetricsSettings(keep_intervals=2))
        router.set_status("ann", Status.ONLINE)
        clock.advance(10)
        router.submit(chat("c1"))
        router.finish("c1")
        clock.now = 100 * 900.0 + 5
        router.submit(chat("c2"))
        listed = router.metrics.intervals()
        assert [report.start for report in listed] == [98 * 900.0, 99 * 900.0, 100 * 900.0]
        assert [report.offered for report in listed] == [0, 0, 1]
        assert router.metrics.stats().offered == 2
        work = router.metrics.operator_intervals("ann")
        assert [report.online_time for report in work] == [900.0, 900.0, 5.0]
        ann = router.metrics.operator_stats("ann")
        assert (ann.online_time, ann.capacity_time, ann.answered) == (90005.0, 90005.0, 2)
        assert router.metrics.stats().start == 0.0
        check_invariants(router)

    def test_a_long_quiet_stretch_keeps_the_start_of_counting(self) -> None:
        """Default keep (96): counting began at 0, the totals count ann's time
        from 0, so their start is 0."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        clock.now = 200 * 900.0
        router.submit(chat("c2"))
        ann = router.metrics.operator_stats("ann")
        assert ann.online_time == 180000.0
        assert (ann.start, router.metrics.stats().start) == (0.0, 0.0)

    def test_a_new_interval_length_folds_what_was_kept(self) -> None:
        """c1 in [0, 900), c2 in [900, 1800); at 1200 the length becomes an hour:
        both are in the totals only; c3 at 3700 is in [3600, 7200)."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.set_status("ann", Status.ONLINE)
        clock.now = 100.0
        router.submit(voice("c1"))
        router.finish("c1")
        clock.now = 1000.0
        router.submit(voice("c2"))
        router.finish("c2")
        clock.now = 1200.0
        router.configure(metrics=MetricsSettings(interval=3600))
        [current] = router.metrics.intervals()
        assert current.offered == 0
        assert router.metrics.stats().offered == 2
        clock.now = 3700.0
        router.submit(voice("c3"))
        first, second = router.metrics.intervals()
        assert (first.offered, second.offered) == (0, 1)
        assert (first.start, first.end) == (1200.0, 3600.0)  # counted from the change
        assert (second.start, second.end) == (3600.0, 3700.0)
        one, two = router.metrics.operator_intervals("ann")
        assert (one.online_time, two.online_time) == (2400.0, 100.0)
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.finished) == (3, 3, 2)
        assert router.metrics.operator_stats("ann").online_time == 3700.0
        assert stats.start == 0.0
        check_invariants(router)

    def test_a_new_interval_length_keeps_the_start_of_counting(self) -> None:
        """Counting began at 1000 ([900, 1800) of 15 minutes); at 1010 the length
        becomes an hour: the totals still start at 1000."""
        clock = FakeClock(1000)
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(10)
        router.configure(metrics=MetricsSettings(interval=3600))
        stats = router.metrics.stats()
        assert stats.offered == 1
        assert (stats.start, stats.end) == (1000.0, 1010.0)
        assert router.metrics.operator_stats().start == 1000.0

    def test_new_thresholds_apply_to_later_answers(self) -> None:
        """c1 answered after 25 s under the 20 s voice threshold (late); the
        threshold becomes 30 s; c2 answered after 25 s (in time)."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.submit(voice("c1"))
        clock.advance(25)
        router.set_status("ann", Status.ONLINE)
        router.configure(metrics=MetricsSettings(thresholds={"voice": 30}))
        router.submit(voice("c2"))
        clock.advance(25)
        router.finish("c1")
        stats = router.metrics.stats()
        assert (stats.answered, stats.answered_within) == (2, 1)
        assert stats.service_level == 0.5
        [current] = router.metrics.intervals()  # same length: nothing folded
        assert current.answered == 2

    def test_the_short_abandon_threshold_applies_to_later_abandons(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        for cid in ("c1", "c2"):
            router.submit(voice(cid))
        clock.advance(7)
        router.abandon("c1")  # 7 s >= 5: abandoned
        router.configure(metrics=MetricsSettings(short_abandon=10))
        router.abandon("c2")  # 7 s < 10: short
        stats = router.metrics.stats()
        assert (stats.abandoned, stats.short_abandoned) == (1, 1)


# -- 9. edge cases and refusals ------------------------------------------------------


class TestEdgeCases:
    def test_no_traffic(self) -> None:
        clock = FakeClock(50)
        router = build(clock, Group("g"), ann={"g"})
        clock.advance(100)
        stats = router.metrics.stats()
        assert counts(stats) == dict.fromkeys(COUNTS, 0)
        assert [getattr(stats, name) for name in TOTALS] == [0.0] * len(TOTALS)
        assert [getattr(stats, name) for name in FIGURES] == [None] * len(FIGURES)
        assert (stats.waiting, stats.longest_current_wait) == (0, None)
        assert (stats.start, stats.end) == (50.0, 150.0)
        every = router.metrics.operator_stats()
        assert every.online_time == 0.0
        assert (every.occupancy, every.utilisation, every.average_concurrency) == (None,) * 3
        [interval] = router.metrics.intervals()
        assert interval.offered == 0

    def test_a_router_without_any_call(self) -> None:
        router = Router(clock=FakeClock(7))
        stats = router.metrics.stats()
        assert (stats.offered, stats.service_level, stats.waiting) == (0, None, 0)
        assert router.metrics.operator_stats().online_time == 0.0

    def test_a_metrics_that_saw_nothing(self) -> None:
        """No events and no clock: reports of nothing, at 0."""
        own = Metrics()
        stats = own.stats()
        assert (stats.start, stats.end, stats.offered, stats.waiting) == (0.0, 0.0, 0, 0)
        assert own.intervals() == []
        assert own.operator_stats().online_time == 0.0
        assert own.operator_intervals() == []

    def test_filters_naming_nothing(self) -> None:
        router = mixed(FakeClock())
        for stats in (
            router.metrics.stats(group="nope"),
            router.metrics.stats(channel="fax"),
        ):
            assert counts(stats) == dict.fromkeys(COUNTS, 0)
            assert stats.service_level is None
        assert router.metrics.operator_stats("nobody").online_time == 0.0

    @pytest.mark.parametrize(
        ("formula", "level"),
        [
            (ServiceLevelFormula.OFFERED, 0.0),
            (ServiceLevelFormula.ANSWERED, None),
            (ServiceLevelFormula.ABANDONS_WITHIN_MET, 0.5),  # c1 left within 20 s
            (ServiceLevelFormula.ABANDONS_WITHIN_IGNORED, 0.0),
        ],
    )
    def test_all_abandoned(self, formula: ServiceLevelFormula, level: float | None) -> None:
        """c1 leaves after 10 s, c2 after 30 s, c3 after 2 s (short)."""
        clock = FakeClock()
        router = build(clock, Group("g"), ann={"g"})
        router.configure(metrics=MetricsSettings(formula=formula))
        for cid in ("c1", "c2", "c3"):
            router.submit(voice(cid))
        clock.advance(2)
        router.abandon("c3")
        clock.advance(8)
        router.abandon("c1")
        clock.advance(20)
        router.abandon("c2")
        stats = router.metrics.stats()
        assert stats.service_level == level
        assert (stats.abandoned, stats.short_abandoned, stats.answered) == (2, 1, 0)
        assert stats.abandon_rate == 1.0
        assert stats.average_speed_of_answer is None
        assert stats.average_abandon_wait == 20.0
        assert stats.longest_wait == 30.0

    def test_only_short_abandons(self) -> None:
        """Left out of every formula and of the abandon rate: nothing counts."""
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.submit(voice("c1"))
        clock.advance(1)
        router.abandon("c1")
        stats = router.metrics.stats()
        assert (stats.short_abandoned, stats.service_level, stats.abandon_rate) == (1, None, None)
        assert (stats.longest_wait, stats.average_abandon_wait) == (None, None)

    def test_when_only_abandons_within_are_left_the_ignored_formula_has_none(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        router.configure(
            metrics=MetricsSettings(formula=ServiceLevelFormula.ABANDONS_WITHIN_IGNORED)
        )
        router.submit(voice("c1"))
        clock.advance(10)
        router.abandon("c1")
        assert router.metrics.stats().service_level is None

    def test_as_dict_is_json_and_has_every_field(self) -> None:
        router = mixed(FakeClock())
        data = router.metrics.stats().as_dict()
        assert set(data) == {field.name for field in attrs.fields(ConversationStats)}
        assert json.loads(json.dumps(data)) == data
        work = router.metrics.operator_stats("ann").as_dict()
        assert set(work) == {field.name for field in attrs.fields(OperatorStats)}
        assert json.loads(json.dumps(work)) == work
        for report in router.metrics.intervals():
            json.dumps(report.as_dict())
        empty = Router(clock=FakeClock()).metrics.stats().as_dict()
        assert json.loads(json.dumps(empty)) == empty

    def test_reports_are_frozen(self) -> None:
        stats = mixed(FakeClock()).metrics.stats()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            stats.offered = 0  # type: ignore[misc]


class TestSettingsRefused:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"interval": 0}, "interval must be a finite number > 0, got 0"),
            ({"interval": math.inf}, "interval must be a finite number > 0"),
            ({"short_abandon": -1}, "short_abandon must be a finite number >= 0, got -1"),
            ({"default_threshold": math.nan}, "default_threshold must be a finite number"),
            ({"thresholds": {"voice": -5}}, r"thresholds\['voice'\] must be a finite number"),
            ({"thresholds": {"": 5}}, "thresholds keys must be channel names"),
            ({"thresholds": {"voice": "20"}}, r"thresholds\['voice'\]"),
            ({"keep_intervals": 0}, "keep_intervals must be an int >= 1, got 0"),
            ({"keep_intervals": True}, "keep_intervals must be an int >= 1, got True"),
            ({"keep_intervals": 2.0}, "keep_intervals must be an int >= 1"),
            ({"formula": "offered"}, "formula must be a ServiceLevelFormula, got 'offered'"),
        ],
    )
    def test_bad_settings_name_the_field(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError, match=message) as caught:
            MetricsSettings(**kwargs)
        assert isinstance(caught.value, ValueError)

    def test_configure_refuses_what_is_not_settings(self) -> None:
        router = mixed(FakeClock())
        unchanged(
            router,
            lambda: router.configure(metrics={"interval": 60}),  # type: ignore[arg-type]
            ValidationError,
            "configure\\(\\): metrics must be MetricsSettings",
        )
        unchanged(
            router,
            lambda: router.configure(metrics=60),  # type: ignore[arg-type]
            ValidationError,
            "metrics must be MetricsSettings or None, got 60",
        )

    def test_bad_metrics_in_a_snapshot_name_the_field(self) -> None:
        router = mixed(FakeClock())
        data = router.snapshot()
        data["metrics"]["kept"] = "lots"
        with pytest.raises(SnapshotError, match=r"metrics\.kept"):
            Router.restore(data, clock=FakeClock(50))


# -- 10. persistence ---------------------------------------------------------------------


def busy(clock: FakeClock, journal: list[Event] | None = None) -> Router:
    """Every kind of event across three 5-minute intervals: answers, abandons
    (short and not), an overflow, offers rejected, expired and accepted, a hold
    released and resumed, a transfer, a bot's hand-off, first replies, a requeue,
    AWAY time. Some conversations are still live at the end."""
    router = Router(clock=clock, on_event=None if journal is None else journal.append)
    router.configure(metrics=MetricsSettings(interval=300, formula=ServiceLevelFormula.ANSWERED))
    router.add_group(Group("bots"))
    router.add_group(Group("back", offers=Offers(timeout=20)))
    router.add_group(
        Group(
            "front",
            overflow=Overflow(to="back", after=40),
            release_held_after={"chat": 30},
        )
    )
    bot = Operator("bot", groups={"bots"}, capacity=Capacity(total=10), bot=True)
    router.add_operator(bot)
    router.add_operator(Operator("ann", groups={"front"}, capacity=Capacity(total=2)))
    router.add_operator(Operator("bob", groups={"back"}))
    router.add_operator(Operator("cat", groups={"front", "back"}))
    for name in ("bot", "ann"):
        router.set_status(name, Status.ONLINE)
    router.submit(chat("f1", group="front"))
    router.submit(voice("f2", group="front"))
    router.submit(voice("f3", group="front"))  # waits
    router.submit(chat("b1", group="bots"))
    clock.advance(3)
    router.submit(voice("f4", group="front"))
    clock.advance(1)
    router.abandon("f4")  # short
    router.responded("f1")
    clock.advance(20)
    router.hold("f1")
    router.handoff("b1", "front")  # waits
    clock.advance(20)
    router.tick()  # f3 overflows to back at 40
    router.set_status("bob", Status.ONLINE)  # f3 offered to bob
    clock.advance(5)
    router.reject("f3", "bob")
    router.set_status("cat", Status.ONLINE)  # takes or is offered what waits
    clock.advance(20)
    router.tick()  # f1's grace (due at 54) and an offer expire
    for info in list(router.conversations()):
        if info.offered_to:
            router.accept(info.id, info.offered_to[0])
    clock.advance(250)  # next interval
    router.submit(chat("f5", group="front"))
    router.set_status("ann", Status.AWAY)
    clock.advance(30)
    router.resume("f1")
    router.finish("f2")
    for info in list(router.conversations()):
        if info.state.value == "assigned":
            router.responded(info.id)
    router.set_status("cat", Status.OFFLINE)  # requeues what cat held
    clock.advance(400)  # another interval
    for info in list(router.conversations()):
        if info.state.value == "assigned" and info.conversation.group == "front":
            router.transfer(info.id, to_group="back")
            break
    router.submit(voice("f6", group="front"))
    router.set_status("ann", Status.ONLINE)
    clock.advance(7)
    for info in list(router.conversations()):
        if info.state.value in ("queued", "offered") and info.id != "f6":
            router.abandon(info.id)
    clock.advance(13)
    check_invariants(router)
    return router


def every_report(router: Router | Metrics, now: float | None = None) -> Any:
    """Every figure the statistics report, overall, per group, per channel, per
    operator and per interval, as plain data."""
    metrics = router.metrics if isinstance(router, Router) else router
    reports: dict[str, Any] = {"all": metrics.stats(now=now).as_dict()}
    for group in ("bots", "front", "back"):
        reports[group] = metrics.stats(group=group, now=now).as_dict()
    for channel in ("chat", "voice"):
        reports[channel] = metrics.stats(channel=channel, now=now).as_dict()
    reports["since"] = metrics.stats(since=300, now=now).as_dict()
    reports["intervals"] = [report.as_dict() for report in metrics.intervals()]
    for operator_id in (None, "bot", "ann", "bob", "cat"):
        work = metrics.operator_stats(operator_id, now=now)
        reports[f"op {operator_id}"] = work.as_dict()
        by_interval = metrics.operator_intervals(operator_id)
        reports[f"op {operator_id} intervals"] = [report.as_dict() for report in by_interval]
    return reports


class TestCountingStartedLate:
    """Statistics turned on (or restored from a snapshot without them) while
    conversations are live: those are carried in, and the counts add up."""

    def started_late(self, clock: FakeClock) -> Router:
        router = build(clock, Group("g"), ann={"g"})
        router.configure(metrics=None)
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))  # answered at once
        router.submit(chat("c2"))  # waits
        clock.advance(5)
        router.configure(metrics=MetricsSettings())
        return router

    def test_live_conversations_are_carried_in(self) -> None:
        clock = FakeClock()
        router = self.started_late(clock)
        check_invariants(router)
        assert router.snapshot()["metrics"]["carried"] == [["g", "chat", 1, 1]]
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.waiting) == (0, 0, 1)
        router.finish("c1")  # c2 answered after 5 s of waiting
        clock.advance(3)
        router.finish("c2")
        check_invariants(router)
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.finished, stats.handled) == (0, 1, 2, 2)
        assert stats.wait_total == 5.0

    def test_restored_without_statistics(self) -> None:
        clock = FakeClock()
        router = self.started_late(clock)
        data = router.snapshot()
        data["metrics"] = None
        restored = Router.restore(data, clock=clock)
        check_invariants(restored)
        assert restored.snapshot() == router.snapshot()

    def test_the_carried_counts_are_checked_on_restore(self) -> None:
        clock = FakeClock()
        data = self.started_late(clock).snapshot()
        data["metrics"]["carried"] = [["g", "chat", 1, 1], ["g", "chat", 0, 1]]
        with pytest.raises(SnapshotError, match=r"metrics\.carried\[1\].*twice"):
            Router.restore(data, clock=clock)
        data["metrics"]["carried"] = [["g", "chat", 1, 0]]
        with pytest.raises(SnapshotError, match="answered"):
            Router.restore(data, clock=clock)


class TestPersistence:
    def test_the_busy_scenario_counts_something_of_everything(self) -> None:
        stats = busy(FakeClock()).metrics.stats()
        for name in COUNTS:
            if name not in ("escalated_in", "escalated_out", "abandoned_after_answer"):
                assert getattr(stats, name) > 0, name
        assert stats.escalated_in == stats.escalated_out == 1
        assert len(busy(FakeClock()).metrics.intervals()) == 3

    def test_a_snapshot_keeps_every_figure(self) -> None:
        clock = FakeClock()
        router = busy(clock)
        clock.advance(5)  # live figures as of the clock
        restored = Router.restore(json.dumps(router.snapshot()), clock=clock)
        assert every_report(restored) == every_report(router)
        check_invariants(restored)

    def test_a_restored_router_counts_on_alike(self) -> None:
        clock = FakeClock()
        router = busy(clock)
        restored = Router.restore(router.snapshot(), clock=clock)
        for each in (router, restored):
            each.set_status("bob", Status.AWAY)
            each.submit(chat("n1", group="front"))
        clock.advance(900)
        for each in (router, restored):
            each.set_status("bob", Status.ONLINE)
            each.tick()
        assert every_report(restored) == every_report(router)

    def test_a_journal_replayed_from_nothing(self) -> None:
        clock = FakeClock()
        journal: list[Event] = []
        router = busy(clock, journal)
        stored = json.loads(json.dumps([event.as_dict() for event in journal]))
        replayed = Router.replay(None, stored, clock=clock)
        assert every_report(replayed) == every_report(router)

    def test_a_snapshot_plus_the_journal_since(self) -> None:
        clock = FakeClock()
        router = busy(clock)
        snapshot = json.dumps(router.snapshot())
        journal: list[Event] = []
        core_of(router).on_event = journal.append
        clock.advance(100)
        router.submit(chat("n1", group="front"))
        router.set_status("bob", Status.OFFLINE)
        clock.advance(300)
        router.tick()
        replayed = Router.replay(snapshot, [event.as_dict() for event in journal], clock=clock)
        assert every_report(replayed) == every_report(router)

    def test_a_journal_replayed_from_nothing_on_a_later_clock(self) -> None:
        """The Router's clock starts at 5000 and its first event is then: the
        replayed Router's statistics should start there too, with no extra empty
        interval at [0, 900)."""
        clock = FakeClock(5000)
        journal: list[Event] = []
        router = Router(clock=clock, on_event=journal.append)
        router.add_group(Group("g"))
        router.submit(voice("c1"))
        clock.advance(10)
        replayed = Router.replay(None, [event.as_dict() for event in journal], clock=clock)
        assert replayed.metrics.stats().as_dict() == router.metrics.stats().as_dict()
        assert replayed.metrics.intervals() == router.metrics.intervals()
        # (The replayed Router read the clock at the end: its "now" is later.)
        assert replayed.snapshot()["metrics"] == router.snapshot()["metrics"]

    def test_a_host_metrics_fed_the_events(self) -> None:
        """A :class:`Metrics` of one's own, fed the journal (through JSON), reports
        exactly what the Router's does, as of the same moment."""
        clock = FakeClock()
        journal: list[Event] = []
        router = busy(clock, journal)
        own = Metrics()
        for data in json.loads(json.dumps([event.as_dict() for event in journal])):
            own.observe(Event.from_dict(data))
        assert own.settings == router.metrics.settings  # from the Configured event
        assert every_report(own, now=router.now) == every_report(router, now=router.now)
        later = router.now + 42
        assert every_report(own, now=later) == every_report(router, now=later)

    def test_a_host_metrics_fed_in_batches(self) -> None:
        clock = FakeClock()
        journal: list[Event] = []
        router = busy(clock, journal)
        own = Metrics()
        own.observe(*journal[:10])
        own.observe(*journal[10:])
        assert every_report(own, now=router.now) == every_report(router, now=router.now)

    def test_a_host_metrics_reads_its_own_clock(self) -> None:
        clock = FakeClock()
        router = build(clock, Group("g"))
        journal: list[Event] = []
        core_of(router).on_event = journal.append
        router.submit(voice("c1"))
        own = Metrics(start=0.0, clock=lambda: 30.0)
        own.observe(*journal)
        assert own.stats().longest_current_wait == 30.0
        assert Metrics(start=0.0).stats().end == 0.0


# -- 11. properties ------------------------------------------------------------------


def assert_parts_add_up(
    whole: ConversationStats, parts: list[ConversationStats], *, live: bool = True
) -> None:
    """Counts, totals and (if ``live``) the live figures of ``parts`` sum to
    ``whole``'s; the longest wait is the longest of theirs."""
    for name in COUNTS:
        total = sum(getattr(part, name) for part in parts)
        assert total == getattr(whole, name), f"{name}: parts sum to {total}, not the whole"
    for name in TOTALS:
        total = sum(getattr(part, name) for part in parts)
        assert total == pytest.approx(getattr(whole, name), abs=1e-6), name
    if live:
        assert sum(part.waiting or 0 for part in parts) == whole.waiting
        longest = [p.longest_current_wait for p in parts if p.longest_current_wait is not None]
        assert max(longest, default=None) == whole.longest_current_wait
    longest = [part.longest_wait for part in parts if part.longest_wait is not None]
    assert max(longest, default=None) == whole.longest_wait


def assert_work_adds_up(whole: OperatorStats, parts: list[OperatorStats]) -> None:
    for name in (*WORK_TIMES, *WORK_TOTALS):
        total = sum(getattr(part, name) for part in parts)
        assert total == pytest.approx(getattr(whole, name), abs=1e-6), name
    for name in WORK_COUNTS:
        assert sum(getattr(part, name) for part in parts) == getattr(whole, name), name


def assert_figures_in_range(stats: ConversationStats) -> None:
    for share in (stats.service_level, stats.abandon_rate):
        assert share is None or 0.0 <= share <= 1.0, stats
    assert stats.answered_within <= stats.answered
    assert stats.abandoned_within <= stats.abandoned
    if stats.wait_p50 is not None:
        assert stats.wait_p50 <= stats.wait_p90 <= stats.wait_p99  # type: ignore[operator]
        assert stats.wait_p99 <= stats.longest_wait * 1.01  # type: ignore[operator]


def assert_work_in_range(work: OperatorStats) -> None:
    slack = 1 + 1e-9
    for share in (work.occupancy, work.utilisation):
        assert share is None or 0.0 <= share <= slack, work
    assert work.busy_time <= work.online_time * slack
    assert work.load_time <= work.capacity_time * slack + 1e-9
    assert work.average_concurrency is None or work.average_concurrency >= 1 - 1e-9


FOR_CALL = {
    "finish": ("assigned", "held", "released"),
    "abandon": ("queued", "offered"),
    "hold": ("assigned",),
    "resume": ("held", "released"),
    "responded": ("assigned", "held", "released"),
    "accept": ("offered",),
    "transfer": ("assigned",),
}
CHANNELS = ("voice", "chat", "email")
GROUPS = ("g", "h")
OPERATORS = ("o0", "o1", "o2")
WHO = st.integers(0, 30)  # the n-th live conversation, modulo how many there are
SUBMIT = st.tuples(
    st.just("submit"), st.sampled_from(CHANNELS), st.sampled_from(GROUPS), st.integers(1, 3)
)
ADVANCE = st.tuples(st.just("advance"), st.sampled_from([0.0, 1.0, 4.5, 5.0, 20.0, 61.0, 400.0]))
STEPS = st.lists(
    st.one_of(
        SUBMIT,
        ADVANCE,
        st.tuples(st.sampled_from(sorted(set(FOR_CALL) - {"transfer"})), WHO),
        st.tuples(st.just("abandon"), WHO),
        st.tuples(st.just("transfer"), WHO, st.sampled_from(GROUPS), WHO),
        st.tuples(st.just("status"), st.sampled_from(OPERATORS), st.sampled_from(Status)),
    ),
    min_size=5,
    max_size=40,
).map(lambda steps: [("submit", "chat", "g", 2), *steps])


def drive(steps: list[tuple[Any, ...]], on_event: Any = None) -> Router:
    """A Router with an overflowing group ``g`` (holds released after 30 s on chat)
    and a group ``h`` making offers, driven by ``steps``; the clock ticks after
    each advance. Illegal calls are skipped (the stateful test checks they change
    nothing)."""
    clock = FakeClock()
    router = Router(clock=clock, on_event=on_event)
    router.add_group(Group("h", offers=Offers(timeout=20)))
    router.add_group(
        Group("g", overflow=Overflow(to="h", after=60), release_held_after={"chat": 30})
    )
    router.add_operator(Operator("o0", groups={"g"}))
    router.add_operator(Operator("o1", groups={"g", "h"}, capacity=Capacity(total=2)))
    router.add_operator(Operator("o2", groups={"h"}))
    for operator_id in OPERATORS:
        router.set_status(operator_id, Status.ONLINE)
    n = 0
    for step in steps:
        kind = step[0]
        # Mostly a conversation the call is legal for, now and then any.
        states = FOR_CALL.get(kind) if kind in FOR_CALL and step[-1] % 4 else None
        live = sorted(
            info.id
            for info in router.conversations()
            if states is None or info.state.value in states
        )
        cid = live[step[1] % len(live)] if live and isinstance(step[1], int) else None
        try:
            if kind == "submit":
                for _ in range(step[3]):
                    n += 1
                    router.submit(Conversation(f"c{n}", channel=step[1], group=step[2]))
            elif kind == "status":
                router.set_status(step[1], step[2])
            elif kind == "advance":
                clock.advance(step[1])
                router.tick()
            elif cid is None:
                continue
            elif kind == "accept":
                offered_to = router.conversation(cid).offered_to
                if offered_to:
                    router.accept(cid, offered_to[0])
            elif kind == "transfer":
                router.transfer(cid, to_group=step[2])
            else:
                getattr(router, kind)(cid)
        except (InvalidTransition, ValidationError):
            pass
    return router


class TestProperties:
    @settings(max_examples=300)
    @given(steps=STEPS)
    def test_everything_adds_up(self, steps: list[tuple[Any, ...]]) -> None:
        """After any sequence of calls: the Router's own check (contacts add up in
        every (group, channel)); channels, groups, operators and intervals sum to
        the whole; shares in [0, 1] under every formula."""
        router = drive(steps)
        check_invariants(router)
        metrics = router.metrics
        whole = metrics.stats()
        assert_figures_in_range(whole)
        assert_parts_add_up(whole, [metrics.stats(channel=c) for c in CHANNELS])
        assert_parts_add_up(whole, [metrics.stats(group=g) for g in GROUPS])
        cells = [metrics.stats(channel=c, group=g) for c in CHANNELS for g in GROUPS]
        assert_parts_add_up(whole, cells)
        for part in cells:
            assert_figures_in_range(part)
        # 40 steps of at most 400 s stay within 96 intervals: nothing is folded.
        assert_parts_add_up(whole, metrics.intervals(), live=False)
        team = metrics.operator_stats()
        assert_work_in_range(team)
        assert_work_adds_up(team, [metrics.operator_stats(o) for o in OPERATORS])
        # Intervals count up to the last event, operator_stats() up to the clock.
        last = metrics.intervals()[-1].end
        assert_work_adds_up(metrics.operator_stats(now=last), metrics.operator_intervals())
        for operator_id in OPERATORS:
            assert_work_in_range(metrics.operator_stats(operator_id))
            assert_work_adds_up(
                metrics.operator_stats(operator_id, now=last),
                metrics.operator_intervals(operator_id),
            )
        assert team.answered == whole.answered
        assert team.responded == whole.responded
        assert team.response_total == pytest.approx(whole.response_total)
        assert team.finished == whole.finished
        assert team.transferred == whole.transferred
        # Operators count slot time as it ends, contacts when they end.
        assert team.handle_total >= whole.handle_total - 1e-6
        assert whole.waiting == router.queue_length() + sum(
            len(info.offered_to) > 0 for info in router.conversations()
        )
        for formula in ServiceLevelFormula:
            router.configure(metrics=attrs.evolve(metrics.settings, formula=formula))
            for stats in (metrics.stats(), *cells):
                assert_figures_in_range(stats)
            assert counts(metrics.stats()) == counts(whole)

    @settings(max_examples=100)
    @given(steps=STEPS)
    def test_restored_replayed_and_own_metrics_agree(self, steps: list[tuple[Any, ...]]) -> None:
        """A Router restored from a snapshot, one replayed from the journal, and a
        :class:`Metrics` fed the journal report what the Router reports."""
        journal: list[Event] = []
        router = drive(steps, journal.append)
        now = router.now + 10
        expected = every_report(router, now=now)
        restored = Router.restore(json.dumps(router.snapshot()), clock=FakeClock(now))
        assert every_report(restored, now=now) == expected
        replayed = Router.replay(None, [e.as_dict() for e in journal], clock=FakeClock(now))
        assert every_report(replayed, now=now) == expected
        own = Metrics()
        own.observe(*journal)
        assert every_report(own, now=now) == expected


class MetricsMachine(RouterStateMachine):
    """The stateful test of :mod:`omniroute.testing` (every call, policy, restart
    and random statistics settings), checking after every step that groups,
    channels, operators and intervals add up, and that a restarted Router counts
    exactly as the one from before."""

    check_restarts: ClassVar[bool] = True

    @invariant()
    def parts_add_up(self) -> None:
        if self.router.config.metrics is None:  # turned off for a while
            return
        metrics = self.router.metrics
        whole = metrics.stats()
        assert_figures_in_range(whole)
        assert_parts_add_up(whole, [metrics.stats(group=g) for g in self.group_ids])
        assert_parts_add_up(whole, [metrics.stats(channel=c) for c in self.channels])
        team = metrics.operator_stats()  # people only: bots are left out
        assert_work_in_range(team)
        people = [o for o in self.operator_ids if o not in metrics._bots]
        assert_work_adds_up(team, [metrics.operator_stats(o) for o in people])
        bots = [metrics.operator_stats(o) for o in sorted(metrics._bots)]
        assert team.answered + sum(b.answered for b in bots) == whole.answered
        assert team.responded + sum(b.responded for b in bots) == whole.responded
        if metrics._retired is None:  # nothing folded yet: the intervals are everything
            assert_parts_add_up(whole, metrics.intervals(), live=False)

    @invariant()
    def a_restarted_router_counts_alike(self) -> None:
        if self.twin is not None and self.router.config.metrics is not None:
            mine, theirs = self.router.metrics, self.twin.metrics
            assert mine.stats().as_dict() == theirs.stats().as_dict()
            assert mine.operator_stats() == theirs.operator_stats()
            assert mine.intervals() == theirs.intervals()


TestMetricsMachine = MetricsMachine.TestCase
TestMetricsMachine.settings = settings(max_examples=100, stateful_step_count=30)
