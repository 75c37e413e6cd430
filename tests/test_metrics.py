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

from typing import Any

import pytest

from omniroute import (
    Capacity,
    Conversation,
    ConversationStats,
    Group,
    InvalidTransition,
    MetricsSettings,
    Offers,
    Operator,
    Overflow,
    Router,
    ServiceLevelFormula,
    Status,
    UnknownConversation,
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
