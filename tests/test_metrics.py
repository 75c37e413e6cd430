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
from typing import Any

import attrs
import pytest

from omniroute import (
    Capacity,
    ConfigurationError,
    Conversation,
    ConversationStats,
    Group,
    InvalidTransition,
    MetricsSettings,
    Offers,
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
from omniroute.testing import FakeClock, check_invariants

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
    with pytest.raises(error, match=match):
        call()
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

        Handle time (in her slot): 0–55 and 70–80 = 65 s. Hold time (held or
        released): 10–20 and 25–70 = 55 s. One answer, two holds.
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
        """Online 0–40 and 50–60 = 50 s, away 10 s; busy 0–30; load 1·10 + 2·10 +
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

    @pytest.mark.xfail(
        strict=True,
        reason="BUG: stats(since=...) always includes the current interval, even when "
        "it starts before since",
    )
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

    @pytest.mark.xfail(
        strict=True,
        reason="BUG: after a quiet stretch longer than keep_intervals, with nothing "
        "folded before, the totals' start is the start of the folded stretch, not when "
        "counting began",
    )
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
        assert (second.start, second.end) == (3600.0, 3700.0)
        one, two = router.metrics.operator_intervals("ann")
        assert (one.online_time, two.online_time) == (2400.0, 100.0)
        stats = router.metrics.stats()
        assert (stats.offered, stats.answered, stats.finished) == (3, 3, 2)
        assert router.metrics.operator_stats("ann").online_time == 3700.0
        assert stats.start == 0.0
        check_invariants(router)

    @pytest.mark.xfail(
        strict=True,
        reason="BUG: after configure() changes the interval length, the folded totals "
        "take their start from an old interval index times the new length (start > end)",
    )
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
            lambda: router.configure(metrics=None),  # type: ignore[arg-type]
            ValidationError,
            "metrics must be MetricsSettings, got None",
        )

    def test_bad_metrics_in_a_snapshot_name_the_field(self) -> None:
        router = mixed(FakeClock())
        data = router.snapshot()
        data["metrics"]["kept"] = "lots"
        with pytest.raises(SnapshotError, match="metrics.kept"):
            Router.restore(data, clock=FakeClock(50))
