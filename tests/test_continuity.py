"""Continuity, one behaviour per test, on a virtual clock: customer history,
affinity to the operator who served a customer last (and its fallbacks), hold,
release and resume, transfers, positions and wait estimates, and position updates.

Every scenario ends with ``check_invariants``; every refused call is checked to
leave the Router exactly as it was.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from omniroute import (
    Affinity,
    AffinityFallback,
    Capacity,
    Conversation,
    ConversationState,
    Event,
    Group,
    HistoryLimits,
    InvalidTransition,
    Offers,
    Operator,
    Overflow,
    PositionChanged,
    PositionUpdates,
    Queued,
    Requeued,
    Router,
    Status,
    UnknownConversation,
    UnknownGroup,
    UnknownOperator,
    ValidationError,
    Visit,
    WaitEstimates,
)
from omniroute.seam import core_of
from omniroute.testing import FakeClock, check_invariants
from tests.helpers import Staff, chat, kinds, of, only, staffed, unchanged

# -- helpers ----------------------------------------------------------------------


def visit(router: Router, customer: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    """The customer's history as (conversation id, operators, outcome), newest first."""
    return [(v.conversation_id, v.operators, v.outcome) for v in router.history(customer)]


def returning(clock: FakeClock, affinity: Affinity | None = None, **group: Any) -> Router:
    """Group ``g`` with affinity; ``ann`` served customer ``u`` (conversation
    ``old``, finished at t=10) while ``bob`` was AWAY; both ONLINE now, idle."""
    router = staffed(
        clock,
        Group("g", affinity=affinity or Affinity(within=3600, wait=60), **group),
        ann=({"g"},),
        bob=({"g"},),
    )
    router.set_status("bob", Status.AWAY)
    router.submit(chat("old", customer_id="u"))
    clock.advance(10)
    router.finish("old")
    router.set_status("bob", Status.ONLINE)
    return router


# -- history ------------------------------------------------------------------------


class TestHistory:
    def test_newest_first_across_channels(self, clock: FakeClock, router: Router) -> None:
        for cid, channel in (("c1", "chat"), ("e1", "email"), ("s1", "sms")):
            router.submit(Conversation(cid, channel=channel, group="g", customer_id="u"))
            clock.advance(5)
            if cid != "s1":
                router.finish(cid)
        history = router.history("u")
        assert [(v.conversation_id, v.channel) for v in history] == [
            ("s1", "sms"),
            ("e1", "email"),
            ("c1", "chat"),
        ]
        assert [v.started_at for v in history] == [10.0, 5.0, 0.0]
        assert router.history("nobody") == []
        check_invariants(router)

    def test_a_finished_entry_records_operator_times_and_outcome(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("busy"))
        router.submit(chat("c1", customer_id="u"))
        clock.advance(7)
        router.finish("busy")
        clock.advance(20)
        router.finish("c1")
        assert router.history("u") == [
            Visit(
                conversation_id="c1",
                channel="chat",
                group="g",
                operators=("ann",),
                started_at=0.0,
                served_at=7.0,
                ended_at=27.0,
                outcome="finished",
            )
        ]
        check_invariants(router)

    def test_an_abandoned_entry_has_no_operator(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(Group("g"))
        router.submit(chat("c1", customer_id="u"))
        clock.advance(30)
        router.abandon("c1")
        [entry] = router.history("u")
        assert (entry.outcome, entry.operators, entry.served_at, entry.ended_at) == (
            "abandoned",
            (),
            None,
            30.0,
        )
        check_invariants(router)

    def test_live_entries_are_included(self, router: Router) -> None:
        router.submit(chat("c1", customer_id="u"))
        router.submit(chat("c2", customer_id="u"))  # waits: ann is busy
        assert router.history("u") == [
            Visit(
                conversation_id="c2",
                channel="chat",
                group="g",
                operators=(),
                started_at=0.0,
                served_at=None,
                ended_at=None,
                outcome=None,
            ),
            Visit(
                conversation_id="c1",
                channel="chat",
                group="g",
                operators=("ann",),
                started_at=0.0,
                served_at=0.0,
                ended_at=None,
                outcome=None,
            ),
        ]
        check_invariants(router)

    def test_both_operators_are_recorded_after_a_transfer(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("c1", customer_id="u"))
        clock.advance(5)
        router.transfer("c1", to_operator="bob")
        assert visit(router, "u") == [("c1", ("ann", "bob"), None)]
        assert router.history("u")[0].served_at == 5.0
        clock.advance(5)
        router.finish("c1")
        assert visit(router, "u") == [("c1", ("ann", "bob"), "finished")]
        check_invariants(router)

    def test_a_transfer_to_another_group_records_the_new_group(self, staff: Staff) -> None:
        router = staff(Group("g"), Group("h"), ann=({"g"},), hal=({"h"},))
        router.submit(chat("c1", customer_id="u"))
        router.transfer("c1", to_group="h")
        [entry] = router.history("u")
        assert (entry.group, entry.operators) == ("h", ("ann", "hal"))
        check_invariants(router)

    def test_an_overflow_records_the_new_group(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(
            Group("general"), Group("billing", overflow=Overflow(to="general", after=30))
        )
        router.submit(chat("c1", group="billing", customer_id="u"))
        clock.advance(30)
        router.tick()
        assert router.conversation("c1").conversation.group == "general"
        assert router.history("u")[0].group == "general"
        check_invariants(router)

    def test_per_customer_keeps_the_newest(self, clock: FakeClock, router: Router) -> None:
        router.configure(history=HistoryLimits(per_customer=2))
        for cid in ("c1", "c2", "c3"):
            router.submit(chat(cid, customer_id="u"))
            clock.advance(1)
            router.finish(cid)
        assert [v.conversation_id for v in router.history("u")] == ["c3", "c2"]
        check_invariants(router)

    def test_max_customers_forgets_the_least_recently_active(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=Operator("ann", {"g"}, capacity=Capacity(total=9)))
        router.configure(history=HistoryLimits(max_customers=2))
        router.submit(chat("a1", customer_id="a"))
        router.submit(chat("b1", customer_id="b"))
        router.submit(chat("a2", customer_id="a"))  # a is now more recently active than b
        router.submit(chat("c1", customer_id="c"))
        assert router.history("b") == []
        assert [v.conversation_id for v in router.history("a")] == ["a2", "a1"]
        assert [v.conversation_id for v in router.history("c")] == ["c1"]
        # The forgotten customer's live conversation still finishes normally.
        router.finish("b1")
        assert router.history("b") == []
        check_invariants(router)

    def test_entries_expire_by_age_on_tick(self, clock: FakeClock, router: Router) -> None:
        router.configure(history=HistoryLimits(max_age=100))
        router.submit(chat("c1", customer_id="u"))
        clock.advance(10)
        router.finish("c1")
        clock.advance(99)
        router.tick()
        # The store's size, seen without reading (reads and snapshots expire too).
        assert len(core_of(router).history) == 1  # type: ignore[arg-type]
        clock.advance(1)  # 100 s after it ended
        assert router.tick() == []
        assert len(core_of(router).history) == 0  # type: ignore[arg-type]
        assert router.history("u") == []
        check_invariants(router)

    def test_age_counts_from_the_end_and_live_entries_never_expire(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.configure(history=HistoryLimits(max_age=100))
        router.submit(chat("live", customer_id="u"))
        router.submit(chat("gone", customer_id="u"))
        clock.advance(10)
        router.abandon("gone")
        clock.advance(500)
        router.tick()
        assert visit(router, "u") == [("live", ("ann",), None)]
        check_invariants(router)

    def test_entries_expire_by_age_when_read(self, clock: FakeClock, router: Router) -> None:
        router.configure(history=HistoryLimits(max_age=100))
        router.submit(chat("c1", customer_id="u"))
        router.finish("c1")
        clock.advance(150)
        router.submit(chat("other", customer_id="v"))  # the Router reads its clock; no tick
        assert len(core_of(router).history) == 2  # type: ignore[arg-type]
        assert router.history("u") == []
        assert len(core_of(router).history) == 1  # type: ignore[arg-type]
        assert [v.conversation_id for v in router.history("v")] == ["other"]
        check_invariants(router)

    def test_a_read_alone_expires_entries_by_the_clock(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.configure(history=HistoryLimits(max_age=100))
        router.submit(chat("c1", customer_id="u"))
        router.finish("c1")
        clock.advance(150)
        assert router.history("u") == []

    def test_no_history_gives_nothing_and_records_nothing(self, router: Router) -> None:
        router.submit(chat("c1", customer_id="u"))
        router.configure(history=None)
        assert router.config.history is None
        assert router.history("u") == []
        router.submit(chat("c2", customer_id="u"))  # waits
        router.finish("c1")
        router.finish("c2")
        assert router.history("u") == []
        assert router.snapshot()["history"] is None
        # Turned on again, nothing of those conversations comes back.
        router.configure(history=HistoryLimits())
        assert router.history("u") == []
        check_invariants(router)

    def test_conversations_live_while_history_was_off_stay_unrecorded(self, router: Router) -> None:
        router.configure(history=None)
        router.submit(chat("c1", customer_id="u"))
        router.configure(history=HistoryLimits())
        router.finish("c1")
        assert router.history("u") == []
        check_invariants(router)

    def test_changing_a_limit_starts_an_empty_history(self, router: Router) -> None:
        router.submit(chat("c1", customer_id="u"))
        router.finish("c1")
        router.submit(chat("live", customer_id="u"))
        events = router.configure(history=HistoryLimits(per_customer=5))
        assert kinds(events) == ["Configured"]
        assert events[0].config["history"]["per_customer"] == 5  # type: ignore[attr-defined]
        assert router.history("u") == []
        # The live conversation's entry went with the old history.
        router.finish("live")
        assert router.history("u") == []
        router.submit(chat("new", customer_id="u"))
        assert [v.conversation_id for v in router.history("u")] == ["new"]
        check_invariants(router)

    def test_the_same_limits_or_other_settings_keep_the_history(self, router: Router) -> None:
        router.submit(chat("c1", customer_id="u"))
        router.finish("c1")
        router.configure(history=HistoryLimits())
        router.configure(position_updates=PositionUpdates())
        assert [v.conversation_id for v in router.history("u")] == ["c1"]
        check_invariants(router)

    def test_history_survives_snapshot_and_restore(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("c1", customer_id="u"))
        clock.advance(3)
        router.transfer("c1", to_operator="bob")
        router.finish("c1")
        router.submit(Conversation("e1", channel="email", group="g", customer_id="u"))
        data = json.loads(json.dumps(router.snapshot()))
        restored = Router.restore(data, clock=clock)
        assert restored.history("u") == router.history("u")
        # The live entry is still linked: finishing it completes it in both.
        clock.advance(4)
        router.finish("e1")
        restored.finish("e1")
        assert restored.history("u") == router.history("u")
        assert visit(restored, "u") == [
            ("e1", ("ann",), "finished"),
            ("c1", ("ann", "bob"), "finished"),
        ]
        check_invariants(restored)

    def test_history_survives_journal_replay(self, clock: FakeClock, staff: Staff) -> None:
        journal: list[Event] = []
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},), on_event=journal.append)
        router.configure(history=HistoryLimits(per_customer=3, max_age=1000))
        router.submit(chat("c1", customer_id="u"))
        router.submit(chat("c2", customer_id="v"))
        clock.advance(5)
        router.transfer("c1", to_operator="bob", wait=10)
        data = router.snapshot()
        since = len(journal)
        clock.advance(20)
        router.finish("c2")
        router.finish("c1")
        router.submit(chat("c3", customer_id="u"))
        router.hold("c3")
        clock.advance(5)
        router.resume("c3")
        clock.advance(2000)
        router.submit(chat("c4", customer_id="u"))
        for rebuilt in (
            Router.replay(None, journal, clock=clock),
            Router.replay(data, journal[since:], clock=clock),
        ):
            for customer in ("u", "v"):
                assert rebuilt.history(customer) == router.history(customer)
            assert rebuilt.config == router.config
            assert rebuilt.snapshot() == router.snapshot()
            check_invariants(rebuilt)

    def test_history_takes_a_customer_id_string(self, staff: Staff) -> None:
        router = staff()
        unchanged(router, lambda: router.history(7), ValidationError, "customer id")  # type: ignore[arg-type]

    def test_configure_refuses_bad_settings(self, staff: Staff) -> None:
        router = staff(Group("g"))
        unchanged(
            router,
            lambda: router.configure(history={"per_customer": 2}),  # type: ignore[arg-type]
            ValidationError,
            "history must be HistoryLimits or None",
        )
        unchanged(
            router,
            lambda: router.configure(wait_estimates=None),  # type: ignore[arg-type]
            ValidationError,
            "wait_estimates must be WaitEstimates",
        )


# -- affinity -----------------------------------------------------------------------


class TestAffinity:
    @pytest.fixture
    def router(self, clock: FakeClock) -> Router:
        """``returning`` as it is: ann served customer u; ann and bob ONLINE, idle."""
        return returning(clock)

    def test_a_returning_customer_goes_back_even_when_the_strategy_picks_another(
        self, staff: Staff
    ) -> None:
        cap = Capacity(total=3)
        router = staff(
            Group("g", affinity=Affinity()),
            ann=Operator("ann", {"g"}, capacity=cap),
            bob=Operator("bob", {"g"}, capacity=cap),
        )
        router.set_status("bob", Status.AWAY)
        router.submit(chat("old", customer_id="u"))
        router.finish("old")
        router.submit(chat("x1"))
        router.submit(chat("x2"))
        router.set_status("bob", Status.ONLINE)
        # Least loaded would pick bob (0 of 3) over ann (2 of 3)…
        assert router.submit(chat("y"))[-1].operator_id == "bob"  # type: ignore[attr-defined]
        # …but the returning customer goes straight to ann.
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_without_affinity_the_customer_goes_where_the_strategy_says(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("old", customer_id="u"))  # ann
        router.finish("old")
        router.submit(chat("x"))  # ann again: first added, both idle
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_busy_operator_it_waits_for_them_alone_and_they_take_it(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("bob", Status.AWAY)
        router.submit(chat("x"))  # ann is busy now
        router.set_status("bob", Status.ONLINE)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Queued"]
        queued = events[-1]
        assert (queued.for_operator, queued.position) == ("ann", 1)  # type: ignore[attr-defined]
        info = router.conversation("new")
        assert (info.state, info.waiting_for) == (ConversationState.QUEUED, "ann")
        # bob is free, yet it waits for ann.
        assert router.operator("bob").conversations == ()
        check_invariants(router)
        clock.advance(20)
        events = router.finish("x")
        assert kinds(events) == ["Finished", "Assigned"]
        assigned = events[-1]
        assert (assigned.conversation_id, assigned.operator_id) == ("new", "ann")  # type: ignore[attr-defined]
        assert assigned.waited == 20.0  # type: ignore[attr-defined]
        assert router.conversation("new").waiting_for is None
        check_invariants(router)

    def _ann_busy_only(self, clock: FakeClock) -> Router:
        """``returning`` with bob AWAY for good and ann busy with ``x``."""
        router = returning(clock)
        router.set_status("bob", Status.AWAY)
        router.submit(chat("x"))
        return router

    def test_an_older_conversation_of_the_group_goes_first(self, clock: FakeClock) -> None:
        router = self._ann_busy_only(clock)
        router.submit(chat("older"))
        clock.advance(1)
        router.submit(chat("new", customer_id="u"))
        clock.advance(1)
        events = router.finish("x")
        assert events[-1].conversation_id == "older"  # type: ignore[attr-defined]
        assert router.conversation("new").waiting_for == "ann"
        check_invariants(router)

    def test_the_reserved_conversation_goes_first_when_it_is_older(self, clock: FakeClock) -> None:
        router = self._ann_busy_only(clock)
        router.submit(chat("new", customer_id="u"))
        clock.advance(1)
        router.submit(chat("younger"))
        clock.advance(1)
        events = router.finish("x")
        assert events[-1].conversation_id == "new"  # type: ignore[attr-defined]
        assert router.position("younger") == 1
        check_invariants(router)

    def test_a_higher_priority_in_the_group_goes_first(self, clock: FakeClock) -> None:
        router = self._ann_busy_only(clock)
        router.submit(chat("new", customer_id="u"))
        clock.advance(1)
        router.submit(chat("vip", priority=1))
        events = router.finish("x")
        assert events[-1].conversation_id == "vip"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_away_operator_is_waited_for(self, clock: FakeClock, router: Router) -> None:
        router.set_status("ann", Status.AWAY)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].for_operator == "ann"  # type: ignore[attr-defined]
        clock.advance(30)
        events = router.set_status("ann", Status.ONLINE)
        assert kinds(events) == ["StatusChanged", "Assigned"]
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_after_the_wait_it_falls_back_on_tick_to_another_operator(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("ann", Status.AWAY)
        router.submit(chat("new", customer_id="u"))
        clock.advance(59)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "AffinityFallback", "Assigned"]
        fallback, assigned = events[1:]
        assert (fallback.operator_id, fallback.reason) == ("ann", "timeout")  # type: ignore[attr-defined]
        assert (assigned.operator_id, assigned.waited) == ("bob", 60.0)  # type: ignore[attr-defined]
        check_invariants(router)

    def test_after_the_wait_it_joins_the_group_line_if_nobody_is_free(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("ann", Status.AWAY)
        router.set_status("bob", Status.AWAY)
        router.submit(chat("first"))
        router.submit(chat("new", customer_id="u"))
        clock.advance(60)
        assert kinds(router.tick()) == ["Ticked", "AffinityFallback"]
        info = router.conversation("new")
        assert (info.waiting_for, info.position) == (None, 2)
        assert [i.id for i in router.waiting("g")] == ["first", "new"]
        events = router.set_status("bob", Status.ONLINE)
        assert events[-1].conversation_id == "first"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_infinite_wait_never_times_out(self, clock: FakeClock) -> None:
        router = returning(clock, Affinity(wait=math.inf))
        router.set_status("ann", Status.AWAY)
        router.submit(chat("new", customer_id="u"))
        clock.advance(10**7)
        assert router.tick() == []
        assert router.conversation("new").waiting_for == "ann"
        check_invariants(router)

    def test_a_customer_may_leave_while_waiting_for_their_operator(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("ann", Status.AWAY)
        router.submit(chat("new", customer_id="u"))
        clock.advance(5)
        events = router.abandon("new")
        assert kinds(events) == ["Abandoned"]
        assert events[0].waited == 5.0  # type: ignore[attr-defined]
        assert visit(router, "u")[0] == ("new", (), "abandoned")
        clock.advance(60)
        assert router.tick() == []
        check_invariants(router)

    def test_an_offline_operator_falls_back_at_once(self, router: Router) -> None:
        router.set_status("ann", Status.OFFLINE)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "unavailable")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_operator_going_offline_while_waited_for_lets_it_go(self, router: Router) -> None:
        router.set_status("ann", Status.AWAY)
        router.set_status("bob", Status.AWAY)
        router.submit(chat("new", customer_id="u"))
        router.set_status("bob", Status.ONLINE)  # does not take it: it waits for ann
        assert router.conversation("new").waiting_for == "ann"
        events = router.set_status("ann", Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "operator_left")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_removed_operator_lets_it_go(self, router: Router) -> None:
        router.set_status("ann", Status.AWAY)
        router.submit(chat("new", customer_id="u"))
        events = router.remove_operator("ann")
        assert kinds(events) == ["OperatorRemoved", "AffinityFallback", "Assigned"]
        assert events[1].reason == "operator_left"  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_update_that_removes_the_group_lets_it_go(self, staff: Staff) -> None:
        router = staff(Group("g", affinity=Affinity()), Group("h"), ann=({"g", "h"},), bob=({"g"},))
        router.set_status("bob", Status.AWAY)
        router.submit(chat("old", customer_id="u"))
        router.finish("old")
        router.set_status("ann", Status.AWAY)
        router.set_status("bob", Status.ONLINE)
        router.submit(chat("new", customer_id="u"))
        assert router.conversation("new").waiting_for == "ann"
        events = router.update_operator(Operator("ann", {"h"}))
        assert kinds(events) == ["OperatorUpdated", "AffinityFallback", "Assigned"]
        assert events[1].reason == "operator_left"  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_update_that_removes_the_skills_lets_it_go(self, staff: Staff) -> None:
        router = staff(
            Group("g", affinity=Affinity()),
            ann=({"g"}, {"de": 2}),
            bob=({"g"}, {"de": 2}),
        )
        router.set_status("bob", Status.AWAY)
        router.submit(chat("old", customer_id="u"))
        router.finish("old")
        router.set_status("ann", Status.AWAY)
        router.set_status("bob", Status.ONLINE)
        router.submit(chat("new", customer_id="u", requires={"de": 1}))
        assert router.conversation("new").waiting_for == "ann"
        # An update that keeps what it needs changes nothing for it.
        assert kinds(router.update_operator(Operator("ann", {"g"}, {"de": 1}))) == [
            "OperatorUpdated"
        ]
        events = router.update_operator(Operator("ann", {"g"}))
        assert kinds(events) == ["OperatorUpdated", "AffinityFallback", "Assigned"]
        assert events[1].reason == "operator_left"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_escalation_ends_the_wait(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(
            Group("general"),
            Group("g", affinity=Affinity(wait=600), overflow=Overflow(to="general", after=30)),
            ann=({"g"},),
            gus=({"general"},),
        )
        router.set_status("ann", Status.AWAY)
        router.submit(chat("new", prefer_operator="ann"))  # waits 600 s by the affinity
        assert router.conversation("new").waiting_for == "ann"
        clock.advance(30)
        events = router.tick()
        assert kinds(events) == ["Ticked", "AffinityFallback", "Escalated", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "escalated")  # type: ignore[attr-defined]
        assert events[-1].operator_id == "gus"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_operator_who_served_too_long_ago_is_not_a_target(self, clock: FakeClock) -> None:
        router = returning(clock, Affinity(within=100, wait=60))  # ann served it at 0
        router.set_status("ann", Status.AWAY)
        clock.advance(91)  # t=101
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_within_counts_from_when_they_served_inclusive(self, clock: FakeClock) -> None:
        router = returning(clock, Affinity(within=100, wait=60))
        router.set_status("ann", Status.AWAY)
        clock.advance(90)  # t=100: served exactly `within` ago
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].for_operator == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_bots_are_never_targets(self, staff: Staff) -> None:
        router = staff(
            Group("g", affinity=Affinity()),
            bot=Operator("bot", {"g"}, bot=True),
            ann=({"g"},),
        )
        router.set_status("ann", Status.AWAY)
        router.submit(chat("old", customer_id="u"))  # the bot serves it
        router.finish("old")
        router.submit(chat("x"))  # the bot is busy now
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].for_operator is None  # type: ignore[attr-defined]
        check_invariants(router)

    def test_the_last_person_before_a_bot_is_the_target(self, staff: Staff) -> None:
        router = staff(
            Group("g", affinity=Affinity()),
            ann=({"g"},),
            bot=Operator("bot", {"g"}, capacity=Capacity(total=9), bot=True),
        )
        router.submit(chat("old", customer_id="u"))  # ann
        router.transfer("old", to_operator="bot")
        router.finish("old")
        assert visit(router, "u") == [("old", ("ann", "bot"), "finished")]
        router.set_status("ann", Status.AWAY)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].for_operator == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_operator_no_longer_in_the_group_is_not_a_target(self, router: Router) -> None:
        router.add_group(Group("h"))
        router.update_operator(Operator("ann", {"h"}))
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_target_lacking_the_skills_falls_back_at_once(self, staff: Staff) -> None:
        router = staff(Group("g", affinity=Affinity()), ann=({"g"},), bob=({"g"}, {"de": 1}))
        router.set_status("bob", Status.AWAY)
        router.submit(chat("old", customer_id="u"))
        router.finish("old")
        router.set_status("bob", Status.ONLINE)
        events = router.submit(chat("new", customer_id="u", requires={"de": 1}))
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "unavailable")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_no_wait_falls_back_at_once_when_busy(self, clock: FakeClock) -> None:
        router = returning(clock, Affinity(wait=0))
        router.set_status("bob", Status.AWAY)
        router.submit(chat("x"))
        router.set_status("bob", Status.ONLINE)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "unavailable")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_no_wait_still_goes_to_a_free_operator(self, clock: FakeClock) -> None:
        router = returning(clock, Affinity(wait=0))
        router.submit(chat("x"))  # ann: first added, both idle
        router.finish("x")
        events = router.submit(chat("new", customer_id="u"))
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_customer_without_an_id_has_no_affinity(self, router: Router) -> None:
        router.set_status("ann", Status.AWAY)
        events = router.submit(chat("new"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_without_history_affinity_finds_nobody(self, router: Router) -> None:
        router.configure(history=None)
        router.set_status("ann", Status.AWAY)
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_the_most_recent_operator_wins(self, clock: FakeClock, router: Router) -> None:
        # ann served "old"
        router.set_status("ann", Status.AWAY)
        router.submit(chat("mid", customer_id="u"))
        clock.advance(60)
        router.tick()  # fell back to bob
        router.finish("mid")
        assert visit(router, "u")[0] == ("mid", ("bob",), "finished")
        router.set_status("ann", Status.ONLINE)
        router.set_status("bob", Status.AWAY)
        events = router.submit(chat("new", customer_id="u"))
        assert events[-1].for_operator == "bob"  # type: ignore[attr-defined]
        check_invariants(router)


class TestPreferOperator:
    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        """Group ``g`` without affinity; ``ann`` and ``bob`` ONLINE, idle."""
        return staff(Group("g"), ann=({"g"},), bob=({"g"},))

    def test_submit_names_the_operator(self, router: Router) -> None:
        events = router.submit(chat("c1"), prefer_operator="bob")
        assert kinds(events) == ["Submitted", "Assigned"]
        assert events[0].conversation.prefer_operator == "bob"  # type: ignore[attr-defined]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_the_conversation_names_the_operator(self, router: Router) -> None:
        events = router.submit(chat("c1", prefer_operator="bob"))
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_it_overrides_the_group_affinity(self, clock: FakeClock) -> None:
        router = returning(clock)  # ann served u
        events = router.submit(chat("new", customer_id="u", prefer_operator="bob"))
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_busy_operator_is_waited_for_the_default_60_seconds(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("x"), prefer_operator="bob")
        events = router.submit(chat("c1"), prefer_operator="bob")
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].for_operator == "bob"  # type: ignore[attr-defined]
        clock.advance(59)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "AffinityFallback", "Assigned"]
        assert events[1].reason == "timeout"  # type: ignore[attr-defined]
        assert events[2].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_prefer_wait_sets_the_wait(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("x"), prefer_operator="bob")
        router.submit(chat("c1", prefer_operator="bob", prefer_wait=30.0))
        clock.advance(29)
        assert router.tick() == []
        clock.advance(1)
        assert kinds(router.tick()) == ["Ticked", "AffinityFallback", "Assigned"]
        check_invariants(router)

    def test_without_prefer_wait_the_group_affinity_wait_applies(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        router = staff(Group("g", affinity=Affinity(wait=10)), ann=({"g"},), bob=({"g"},))
        router.submit(chat("x"), prefer_operator="bob")
        router.submit(chat("c1"), prefer_operator="bob")
        clock.advance(10)
        assert kinds(router.tick()) == ["Ticked", "AffinityFallback", "Assigned"]
        check_invariants(router)

    def test_prefer_wait_zero_falls_back_at_once(self, router: Router) -> None:
        router.submit(chat("x"), prefer_operator="bob")
        events = router.submit(chat("c1", prefer_operator="bob", prefer_wait=0))
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("bob", "unavailable")  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_unknown_operator_is_a_fallback_not_an_error(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},))
        events = router.submit(chat("c1"), prefer_operator="zed")
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("zed", "unavailable")  # type: ignore[attr-defined]
        assert events[2].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_operator_outside_the_group_is_a_fallback(self, staff: Staff) -> None:
        router = staff(Group("g"), Group("h"), ann=({"g"},), hal=({"h"},))
        events = router.submit(chat("c1"), prefer_operator="hal")
        assert kinds(events) == ["Submitted", "AffinityFallback", "Assigned"]
        assert events[2].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_bot_may_be_named(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bot=Operator("bot", {"g"}, bot=True))
        events = router.submit(chat("c1"), prefer_operator="bot")
        assert events[-1].operator_id == "bot"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_bad_name_is_refused(self, staff: Staff) -> None:
        router = staff(Group("g"))
        unchanged(
            router,
            lambda: router.submit(chat("c1"), prefer_operator=""),
            ValidationError,
            "prefer_operator",
        )
        with pytest.raises(ValidationError, match="prefer_wait"):
            chat("c1", prefer_operator="ann", prefer_wait=-1)


class TestAffinityWithOffers:
    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        group = Group("g", affinity=Affinity(), offers=Offers(ring=2))
        router = staff(group, ann=({"g"},), bob=({"g"},))
        router.set_status("bob", Status.AWAY)
        router.submit(chat("old", customer_id="u"))
        router.accept("old", "ann")
        router.finish("old")
        router.set_status("bob", Status.ONLINE)
        return router

    def test_it_is_offered_to_the_previous_operator_only(self, router: Router) -> None:
        assert kinds(router.submit(chat("y"))) == ["Submitted", "Offered", "Offered"]
        router.abandon("y")
        events = router.submit(chat("new", customer_id="u"))
        assert kinds(events) == ["Submitted", "Offered"]
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        assert router.conversation("new").offered_to == ("ann",)
        check_invariants(router)

    def test_when_the_operator_frees_up_it_is_offered_to_them(self, router: Router) -> None:
        router.set_status("bob", Status.AWAY)
        router.submit(chat("x"))
        router.accept("x", "ann")
        router.set_status("bob", Status.ONLINE)
        assert router.submit(chat("new", customer_id="u"))[-1].for_operator == "ann"  # type: ignore[attr-defined]
        events = router.finish("x")
        assert kinds(events) == ["Finished", "Offered"]
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_rejected_offer_goes_to_someone_else(self, router: Router) -> None:
        router.submit(chat("new", customer_id="u"))
        events = router.reject("new", "ann")
        assert kinds(events) == ["OfferRejected", "Offered"]
        assert events[-1].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)


# -- hold, release, resume ----------------------------------------------------------


def msg(cid: str, channel: str, **kwargs: Any) -> Conversation:
    return Conversation(cid, channel=channel, group="g", **kwargs)


class TestHold:
    def make(self, clock: FakeClock, **group: Any) -> Router:
        """Group ``g`` releasing held messenger work after 600 s and e-mail at once;
        ``ann`` ONLINE (one conversation at a time), ``bob`` AWAY."""
        release = {"messenger": 600.0, "email": 0}
        router = staffed(
            clock,
            Group("g", release_held_after=release, **group),
            ann=({"g"},),
            bob=({"g"},),
        )
        router.set_status("bob", Status.AWAY)
        return router

    @pytest.fixture
    def router(self, clock: FakeClock) -> Router:
        """``make`` with the group as it is."""
        return self.make(clock)

    def test_a_held_conversation_keeps_its_slot(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("c1"))
        clock.advance(5)
        events = router.hold("c1")
        assert kinds(events) == ["Held"]
        assert events[0].operator_id == "ann"  # type: ignore[attr-defined]
        info = router.conversation("c1")
        assert (info.state, info.operator_id, info.held_at) == (ConversationState.HELD, "ann", 5.0)
        ann = router.operator("ann")
        assert (ann.conversations, ann.utilisation) == (("c1",), 1.0)
        # ann is full: new work waits.
        assert kinds(router.submit(chat("c2"))) == ["Submitted", "Queued"]
        check_invariants(router)

    def test_a_held_conversation_counts_against_channel_limits(self, router: Router) -> None:
        router.update_operator(
            Operator("ann", {"g"}, capacity=Capacity(total=3, per_channel={"chat": 1}))
        )
        router.submit(chat("c1"))
        router.hold("c1")
        assert kinds(router.submit(chat("c2"))) == ["Submitted", "Queued"]
        assert kinds(router.submit(msg("e1", "email"))) == ["Submitted", "Assigned"]
        check_invariants(router)

    def test_the_grace_time_releases_the_slot_on_tick(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(msg("m1", "messenger"))
        router.hold("m1")
        router.submit(chat("c2"))
        clock.advance(599)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "Released", "Assigned"]
        released, assigned = events[1:]
        assert (released.operator_id, released.reason) == ("ann", "grace")  # type: ignore[attr-defined]
        assert (assigned.conversation_id, assigned.operator_id) == ("c2", "ann")  # type: ignore[attr-defined]
        info = router.conversation("m1")
        assert (info.state, info.operator_id, info.held_by) == (
            ConversationState.RELEASED,
            None,
            "ann",
        )
        assert router.operator("ann").conversations == ("c2",)
        check_invariants(router)

    def test_a_grace_time_of_zero_releases_inside_hold(self, router: Router) -> None:
        router.submit(msg("e1", "email"))
        router.submit(chat("c2"))
        events = router.hold("e1")
        assert kinds(events) == ["Held", "Released", "Assigned"]
        assert events[1].reason == "grace"  # type: ignore[attr-defined]
        assert events[2].conversation_id == "c2"  # type: ignore[attr-defined]
        assert router.conversation("e1").state is ConversationState.RELEASED
        check_invariants(router)

    def test_channels_not_named_keep_the_slot(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("c1"))
        router.hold("c1")
        clock.advance(10**6)
        assert router.tick() == []
        assert router.conversation("c1").state is ConversationState.HELD
        check_invariants(router)

    def test_a_grace_timer_does_not_fire_after_a_resume(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(msg("m1", "messenger"))
        router.hold("m1")
        clock.advance(100)
        router.resume("m1")
        clock.advance(500)  # 600 s after the hold
        assert router.tick() == []
        assert router.conversation("m1").state is ConversationState.ASSIGNED
        check_invariants(router)

    def test_resume_from_held_is_assigned_again_and_nothing_else(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("c1"))
        clock.advance(5)
        router.hold("c1")
        router.submit(chat("c2"))
        clock.advance(40)
        events = router.resume("c1")
        assert kinds(events) == ["Resumed"]
        assert (events[0].operator_id, events[0].held) == ("ann", 40.0)  # type: ignore[attr-defined]
        info = router.conversation("c1")
        assert (info.state, info.operator_id, info.held_at) == (
            ConversationState.ASSIGNED,
            "ann",
            None,
        )
        assert info.assigned_at == 0.0
        assert router.position("c2") == 1
        check_invariants(router)

    def test_resume_from_released_goes_back_to_a_free_operator(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.set_status("bob", Status.ONLINE)
        router.submit(msg("e1", "email"))  # ann
        router.hold("e1")
        clock.advance(50)
        events = router.resume("e1")
        assert kinds(events) == ["Resumed", "Assigned"]
        assert events[0].held == 50.0  # type: ignore[attr-defined]
        assert (events[1].operator_id, events[1].waited) == ("ann", 0.0)  # type: ignore[attr-defined]
        info = router.conversation("e1")
        assert (info.state, info.held_by, info.held_at) == (ConversationState.ASSIGNED, None, None)
        check_invariants(router)

    def test_resume_from_released_waits_for_a_busy_operator(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(msg("e1", "email"))
        router.hold("e1")
        router.submit(chat("x"))  # ann takes other work
        clock.advance(10)
        events = router.resume("e1")
        assert kinds(events) == ["Resumed", "Queued"]
        assert events[-1].for_operator == "ann"  # type: ignore[attr-defined]
        router.set_status("bob", Status.ONLINE)  # does not take it
        assert router.conversation("e1").waiting_for == "ann"
        clock.advance(5)
        events = router.finish("x")
        assert kinds(events) == ["Finished", "Assigned"]
        assert events[-1].conversation_id == "e1"  # type: ignore[attr-defined]
        assert events[-1].waited == 5.0  # type: ignore[attr-defined]  # waiting restarted at resume
        check_invariants(router)

    def test_resume_from_released_falls_back_after_60_seconds(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(msg("e1", "email"))
        router.hold("e1")
        router.submit(chat("x"))
        router.resume("e1")
        router.set_status("bob", Status.ONLINE)
        clock.advance(59)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("ann", "timeout")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_resume_waits_the_group_affinity_wait(self, clock: FakeClock) -> None:
        router = self.make(clock, affinity=Affinity(wait=15))
        router.submit(msg("e1", "email"))
        router.hold("e1")
        router.submit(chat("x"))
        router.resume("e1")
        router.set_status("bob", Status.ONLINE)
        clock.advance(15)
        assert kinds(router.tick()) == ["Ticked", "AffinityFallback", "Assigned"]
        check_invariants(router)

    def test_resume_after_the_operator_was_removed_falls_back_at_once(self, router: Router) -> None:
        router.submit(msg("e1", "email"))
        router.hold("e1")
        router.set_status("bob", Status.ONLINE)
        router.remove_operator("ann")
        events = router.resume("e1")
        assert kinds(events) == ["Resumed", "AffinityFallback", "Assigned"]
        assert events[0].operator_id == "ann"  # type: ignore[attr-defined]
        assert (events[1].operator_id, events[1].reason) == ("ann", "unavailable")  # type: ignore[attr-defined]
        assert events[2].operator_id == "bob"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_resume_after_the_operator_went_offline_falls_back_and_waits(
        self, router: Router
    ) -> None:
        router.submit(msg("e1", "email"))
        router.hold("e1")
        router.set_status("ann", Status.OFFLINE)
        events = router.resume("e1")
        assert kinds(events) == ["Resumed", "AffinityFallback", "Queued"]
        assert events[-1].for_operator is None  # type: ignore[attr-defined]
        check_invariants(router)

    def test_an_operator_going_offline_releases_what_they_hold(self, router: Router) -> None:
        router.update_operator(Operator("ann", {"g"}, capacity=Capacity(total=2)))
        router.submit(chat("held"))
        router.submit(chat("active"))
        router.hold("held")
        router.set_status("bob", Status.ONLINE)
        router.set_status("bob", Status.AWAY)
        events = router.set_status("ann", Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "Released", "Requeued"]
        released, requeued = events[1:]
        assert (released.conversation_id, released.reason) == ("held", "operator_left")  # type: ignore[attr-defined]
        assert requeued.conversation_id == "active"  # type: ignore[attr-defined]
        info = router.conversation("held")
        assert (info.state, info.held_by) == (ConversationState.RELEASED, "ann")
        assert router.queue_length("g") == 1  # only the active one waits
        check_invariants(router)

    def test_a_removed_operator_releases_what_they_hold(self, router: Router) -> None:
        router.submit(chat("held"))
        router.hold("held")
        events = router.remove_operator("ann")
        assert kinds(events) == ["OperatorRemoved", "Released"]
        assert events[1].reason == "operator_left"  # type: ignore[attr-defined]
        assert router.conversation("held").held_by == "ann"
        check_invariants(router)

    def test_finish_from_held_frees_the_slot(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("c1"))
        router.hold("c1")
        router.submit(chat("c2"))
        clock.advance(30)
        events = router.finish("c1")
        assert kinds(events) == ["Finished", "Assigned"]
        assert (events[0].operator_id, events[0].handle_time) == ("ann", 30.0)  # type: ignore[attr-defined]
        assert events[1].conversation_id == "c2"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_finish_from_released_names_who_held_it(self, router: Router) -> None:
        router.submit(msg("e1", "email", customer_id="u"))
        router.hold("e1")
        router.submit(chat("x"))
        events = router.finish("e1")
        assert kinds(events) == ["Finished"]
        assert events[0].operator_id == "ann"  # type: ignore[attr-defined]
        assert router.operator("ann").conversations == ("x",)
        assert visit(router, "u") == [("e1", ("ann",), "finished")]
        check_invariants(router)

    def test_a_resumed_conversation_served_by_another_operator_records_both(
        self, router: Router
    ) -> None:
        router.submit(msg("e1", "email", customer_id="u"))
        router.hold("e1")
        router.set_status("ann", Status.OFFLINE)
        router.set_status("bob", Status.ONLINE)
        router.resume("e1")
        assert visit(router, "u") == [("e1", ("ann", "bob"), None)]
        check_invariants(router)

    @pytest.mark.parametrize(
        ("setup", "call", "match"),
        [
            ("queued", lambda r: r.hold("q"), "hold conversation 'q': it is queued"),
            ("assigned", lambda r: r.resume("a"), "resume conversation 'a': it is assigned"),
            ("queued", lambda r: r.resume("q"), "resume conversation 'q': it is queued"),
            ("held", lambda r: r.hold("a"), "hold conversation 'a': it is held"),
            (
                "held",
                lambda r: r.transfer("a", to_operator="bob"),
                "transfer conversation 'a': it is held",
            ),
            ("held", lambda r: r.abandon("a"), "abandon conversation 'a': it is held"),
            ("released", lambda r: r.abandon("a"), "abandon conversation 'a': it is released"),
            ("released", lambda r: r.hold("a"), "hold conversation 'a': it is released"),
            (
                "released",
                lambda r: r.transfer("a", to_group="g"),
                "transfer conversation 'a': it is released",
            ),
            ("queued", lambda r: r.finish("q"), "finish conversation 'q': it is queued"),
        ],
    )
    def test_illegal_moves_change_nothing(
        self, setup: str, call: Any, match: str, router: Router
    ) -> None:
        router.set_status("bob", Status.ONLINE)
        router.submit(msg("a", "email" if setup == "released" else "chat"))
        router.submit(chat("b"))
        router.submit(chat("q"))
        if setup in ("held", "released"):
            router.hold("a")
        unchanged(router, lambda: call(router), InvalidTransition, match)
        check_invariants(router)

    def test_kept_work_held_past_its_keep_time_is_requeued_once_resumed(
        self, clock: FakeClock, staff: Staff
    ) -> None:
        router = staff(Group("g", keep_on_leave=300), ann=({"g"},), bob=({"g"},))
        router.set_status("bob", Status.AWAY)
        router.submit(chat("c1"))
        router.set_status("ann", Status.OFFLINE)  # kept for ann for 300 s
        clock.advance(100)
        router.hold("c1")
        clock.advance(250)  # the deadline passed while it was held
        router.tick()
        router.resume("c1")
        router.set_status("bob", Status.ONLINE)
        clock.advance(1000)
        router.tick()
        assert router.conversation("c1").operator_id == "bob"
        check_invariants(router)


# -- transfers ----------------------------------------------------------------------


class TestTransfer:
    @pytest.fixture
    def router(self, staff: Staff) -> Router:
        """Groups ``g`` and ``h``: ``ann`` serves both, ``bob`` only g, ``cat`` only h
        with skill de=2; one conversation each. ``ann`` holds ``c1`` (customer u)."""
        router = staff(
            Group("g"),
            Group("h"),
            ann=({"g", "h"},),
            bob=({"g"},),
            cat=({"h"}, {"de": 2}),
        )
        router.submit(chat("c1", customer_id="u", metadata={"order": 7}), prefer_operator="ann")
        return router

    def test_to_a_free_operator_at_once(self, clock: FakeClock, router: Router) -> None:
        clock.advance(30)
        events = router.transfer("c1", to_operator="bob", reason="billing question")
        assert kinds(events) == ["Transferred", "Assigned"]
        transferred, assigned = events
        assert transferred == type(transferred)(  # type: ignore[call-arg]
            seq=transferred.seq,
            time=30.0,
            conversation_id="c1",
            group="g",
            channel="chat",
            operator_id="ann",
            from_group="g",
            to_operator="bob",
            to_group=None,
            wait=None,
            reason="billing question",
            priority=None,
        )
        assert (assigned.operator_id, assigned.waited) == ("bob", 0.0)  # type: ignore[attr-defined]
        assert router.operator("ann").conversations == ()
        info = router.conversation("c1")
        assert (info.operator_id, info.assigned_at, info.enqueued_at) == ("bob", 30.0, 30.0)
        check_invariants(router)

    def test_the_previous_operators_slot_is_filled_from_the_queue(self, router: Router) -> None:
        router.submit(chat("h2", group="h"))  # cat
        router.submit(chat("h3", group="h"))  # waits: cat busy, ann busy
        events = router.transfer("c1", to_operator="bob")
        assert kinds(events) == ["Transferred", "Assigned", "Assigned"]
        assert (events[2].conversation_id, events[2].operator_id) == ("h3", "ann")  # type: ignore[attr-defined]
        check_invariants(router)

    def test_to_a_busy_operator_it_waits_for_them(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("x"))  # bob
        events = router.transfer("c1", to_operator="bob")
        assert kinds(events) == ["Transferred", "Queued"]
        assert events[1].for_operator == "bob"  # type: ignore[attr-defined]
        # ann is free again but does not take it back.
        assert router.operator("ann").conversations == ()
        clock.advance(10**5)
        assert router.tick() == []  # waits as long as bob is ONLINE or AWAY
        events = router.finish("x")
        assert kinds(events) == ["Finished", "Assigned"]
        assert (events[1].conversation_id, events[1].waited) == ("c1", 10**5)  # type: ignore[attr-defined]
        check_invariants(router)

    def test_with_a_wait_it_falls_back_after_it(self, clock: FakeClock, router: Router) -> None:
        router.submit(chat("x"))  # bob
        events = router.transfer("c1", to_operator="bob", wait=10)
        assert events[0].wait == 10  # type: ignore[attr-defined]
        clock.advance(9)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "AffinityFallback", "Assigned"]
        assert (events[1].operator_id, events[1].reason) == ("bob", "timeout")  # type: ignore[attr-defined]
        assert events[2].operator_id == "ann"  # type: ignore[attr-defined]  # the only one free
        check_invariants(router)

    def test_with_no_wait_a_busy_target_falls_back_at_once(self, router: Router) -> None:
        router.submit(chat("x"))  # bob
        events = router.transfer("c1", to_operator="bob", wait=0)
        assert kinds(events)[:2] == ["Transferred", "AffinityFallback"]
        assert (events[1].operator_id, events[1].reason) == ("bob", "unavailable")  # type: ignore[attr-defined]
        # Nobody else is free: ann, who held it, takes it back.
        assert (events[-1].conversation_id, events[-1].operator_id) == ("c1", "ann")  # type: ignore[attr-defined]
        check_invariants(router)

    def test_to_an_away_operator_it_waits_until_they_are_back(self, router: Router) -> None:
        router.set_status("bob", Status.AWAY)
        events = router.transfer("c1", to_operator="bob")
        assert kinds(events) == ["Transferred", "Queued"]
        assert events[1].for_operator == "bob"  # type: ignore[attr-defined]
        events = router.set_status("bob", Status.ONLINE)
        assert kinds(events) == ["StatusChanged", "Assigned"]
        assert events[1].conversation_id == "c1"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_target_going_offline_lets_it_go(self, router: Router) -> None:
        router.submit(chat("x"))  # bob
        router.transfer("c1", to_operator="bob")
        events = router.set_status("bob", Status.OFFLINE)
        fallback = only(events, AffinityFallback)
        assert (fallback.conversation_id, fallback.reason) == ("c1", "operator_left")
        check_invariants(router)

    def test_to_a_group_it_goes_to_someone_else_there(self, router: Router) -> None:
        events = router.transfer("c1", to_group="h")
        assert kinds(events) == ["Transferred", "Assigned"]
        assert (events[0].to_group, events[0].to_operator) == ("h", None)  # type: ignore[attr-defined]
        assert (events[1].group, events[1].operator_id) == ("h", "cat")  # type: ignore[attr-defined]
        assert router.conversation("c1").conversation.group == "h"
        check_invariants(router)

    def test_to_a_group_the_previous_operator_takes_it_if_nobody_else_can(
        self, router: Router
    ) -> None:
        router.set_status("cat", Status.AWAY)
        events = router.transfer("c1", to_group="h")
        assert events[-1].operator_id == "ann"  # type: ignore[attr-defined]
        assert router.conversation("c1").operator_id == "ann"
        check_invariants(router)

    def test_to_a_group_the_previous_operator_is_passed_over_with_room_to_spare(
        self, staff: Staff
    ) -> None:
        router = staff(
            Group("g"),
            Group("h"),
            ann=Operator("ann", {"g", "h"}, capacity=Capacity(total=5)),
            cat=Operator("cat", {"h"}, capacity=Capacity(total=5)),
        )
        router.submit(chat("c1"), prefer_operator="ann")
        for i in range(3):
            router.submit(chat(f"x{i}", group="h"), prefer_operator="cat")
        # ann (0 of 5 after the transfer) is less loaded than cat (3 of 5)…
        events = router.transfer("c1", to_group="h")
        # …yet it goes to cat.
        assert events[-1].operator_id == "cat"  # type: ignore[attr-defined]
        check_invariants(router)

    def test_to_a_group_where_nobody_is_free_it_waits_in_its_line(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("h1", group="h"))  # cat
        router.submit(chat("h0", group="h"))  # waits
        clock.advance(1)
        events = router.transfer("c1", to_group="h")
        # It waits behind the older h0, which takes ann's freed slot.
        assert kinds(events) == ["Transferred", "Queued", "Assigned"]
        assert events[1].position == 2  # type: ignore[attr-defined]
        assert events[1].for_operator is None  # type: ignore[attr-defined]
        assert events[2].conversation_id == "h0"  # type: ignore[attr-defined]
        assert router.queue_length("h") == 1
        assert router.queue_length("g") == 0
        check_invariants(router)

    def test_to_an_operator_in_another_group(self, router: Router) -> None:
        events = router.transfer("c1", to_operator="cat", to_group="h")
        assert kinds(events) == ["Transferred", "Assigned"]
        assert (events[1].group, events[1].operator_id) == ("h", "cat")  # type: ignore[attr-defined]
        check_invariants(router)

    def test_to_an_operator_in_another_group_who_is_busy(self, router: Router) -> None:
        router.submit(chat("h1", group="h"), prefer_operator="cat")
        events = router.transfer("c1", to_operator="cat", to_group="h")
        assert kinds(events) == ["Transferred", "Queued"]
        assert (events[1].group, events[1].for_operator) == ("h", "cat")  # type: ignore[attr-defined]
        assert router.conversation("c1").waiting_for == "cat"
        check_invariants(router)

    def test_it_keeps_id_customer_metadata_and_history(self, router: Router) -> None:
        router.transfer("c1", to_group="h")
        conversation = router.conversation("c1").conversation
        assert (conversation.id, conversation.customer_id, conversation.metadata) == (
            "c1",
            "u",
            {"order": 7},
        )
        assert visit(router, "u") == [("c1", ("ann", "cat"), None)]
        check_invariants(router)

    def test_priority_overrides_its_own(self, router: Router) -> None:
        router.submit(chat("h1", group="h"))  # cat
        router.submit(chat("h2", group="h"))  # waits
        router.update_operator(Operator("ann", {"g"}))
        events = router.transfer("c1", to_group="h", priority=3)
        assert events[0].priority == 3  # type: ignore[attr-defined]
        assert events[1].position == 1  # type: ignore[attr-defined]  # ahead of the older h2
        assert router.conversation("c1").conversation.priority == 3
        assert [i.id for i in router.waiting("h")] == ["c1", "h2"]
        check_invariants(router)

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (lambda r: r.transfer("c1"), ValidationError, "transfer of 'c1': give to_operator="),
            (lambda r: r.transfer("c1", to_operator="zed"), UnknownOperator, "'zed'"),
            (lambda r: r.transfer("c1", to_group="nope"), UnknownGroup, "'nope'"),
            (
                lambda r: r.transfer("c1", to_operator="ann"),
                InvalidTransition,
                "cannot transfer 'c1' to 'ann': they hold it already",
            ),
            (
                lambda r: r.transfer("c1", to_operator="dan"),
                InvalidTransition,
                "cannot transfer 'c1' to 'dan': they are OFFLINE",
            ),
            (
                lambda r: r.transfer("c1", to_operator="cat"),
                InvalidTransition,
                r"cannot transfer 'c1' to 'cat': they serve none of group\(s\) \['g'\]",
            ),
            (
                lambda r: r.transfer("c1", to_operator="bob", to_group="h"),
                InvalidTransition,
                r"cannot transfer 'c1' to 'bob': they serve none of group\(s\) \['h'\]",
            ),
            (
                lambda r: r.transfer("d1", to_operator="bob"),
                InvalidTransition,
                "cannot transfer 'd1' to 'bob': they lack the required skills",
            ),
            (
                lambda r: r.transfer("c1", to_operator="bob", wait=-1),
                ValidationError,
                "transfer of 'c1': wait must be",
            ),
            (
                lambda r: r.transfer("c1", to_operator="bob", wait=math.nan),
                ValidationError,
                "transfer of 'c1': wait must be",
            ),
            (
                lambda r: r.transfer("c1", to_operator="bob", wait="10"),
                ValidationError,
                "transfer of 'c1': wait must be",
            ),
            (
                lambda r: r.transfer("c1", to_operator="bob", wait=True),
                ValidationError,
                "transfer of 'c1': wait must be",
            ),
            (
                lambda r: r.transfer("c1", to_group="h", priority=1.5),
                ValidationError,
                "transfer of 'c1': priority must be an int",
            ),
            (
                lambda r: r.transfer("c1", to_group="h", priority=True),
                ValidationError,
                "transfer of 'c1': priority must be an int",
            ),
            (
                lambda r: r.transfer("c1", to_group="h", reason=7),
                ValidationError,
                "transfer of 'c1': reason must be a string",
            ),
            (lambda r: r.transfer("zz", to_group="h"), UnknownConversation, "'zz'"),
            (
                lambda r: r.transfer("q1", to_group="h"),
                InvalidTransition,
                "cannot transfer conversation 'q1': it is queued",
            ),
        ],
    )
    def test_bad_transfers_change_nothing(
        self, call: Any, error: type[Exception], match: str, staff: Staff
    ) -> None:
        router = staff(
            Group("g"),
            Group("h"),
            ann=Operator("ann", {"g", "h"}, {"de": 1}, capacity=Capacity(total=2)),
            bob=({"g"},),
            cat=({"h"}, {"de": 2}),
        )
        router.add_operator(Operator("dan", {"g"}))  # OFFLINE
        router.submit(chat("c1"), prefer_operator="ann")
        router.submit(chat("d1", requires={"de": 1}), prefer_operator="ann")
        router.submit(chat("x"), prefer_operator="bob")
        router.submit(chat("q1"))  # waits: ann and bob are full
        assert router.conversation("q1").state is ConversationState.QUEUED
        unchanged(router, lambda: call(router), error, match)
        check_invariants(router)


# -- positions and estimated waits ------------------------------------------------------


class TestEstimates:
    def test_positions_in_a_personal_line(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("x"), prefer_operator="ann")
        router.submit(chat("y"), prefer_operator="bob")
        assert router.submit(chat("r1"), prefer_operator="ann")[-1].position == 1  # type: ignore[attr-defined]
        assert router.submit(chat("g1"))[-1].position == 1  # type: ignore[attr-defined]
        assert router.submit(chat("r2"), prefer_operator="ann")[-1].position == 2  # type: ignore[attr-defined]
        positions = {cid: router.position(cid) for cid in ("r1", "r2", "g1")}
        assert positions == {"r1": 1, "r2": 2, "g1": 1}
        assert router.conversation("r2").position == 2
        router.finish("x")  # ann takes r1 (older than g1)
        assert (router.position("r2"), router.position("g1")) == (1, 1)
        check_invariants(router)

    def test_no_estimate_or_position_unless_waiting(self, staff: Staff) -> None:
        router = staff(Group("g", release_held_after={"email": 0}), ann=({"g"},))
        router.submit(chat("assigned"))
        router.update_operator(Operator("ann", {"g"}, capacity=Capacity(total=3)))
        router.submit(chat("held"))
        router.hold("held")
        router.submit(Conversation("released", channel="email", group="g"))
        router.hold("released")
        for cid in ("assigned", "held", "released"):
            assert (router.estimated_wait(cid), router.position(cid)) == (None, None), cid
        check_invariants(router)

    def _two_busy(self, clock: FakeClock) -> Router:
        """ann and bob ONLINE and busy; the mean handle time learned is 120 s
        (100 s, then 300 s with smoothing 0.1); nothing has left a line yet."""
        router = staffed(clock, Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("a1"))  # ann
        router.submit(chat("a2"))  # bob
        clock.advance(100)
        router.finish("a1")
        router.submit(chat("a3"))  # ann
        clock.advance(200)
        router.finish("a2")
        router.submit(chat("a4"))  # bob
        return router

    def test_the_fallback_is_position_times_mean_handle_time_over_servers(
        self, clock: FakeClock
    ) -> None:
        router = self._two_busy(clock)
        queued = [router.submit(chat(f"q{i}"))[-1] for i in (1, 2, 3)]
        assert [q.estimated_wait for q in queued] == [60.0, 120.0, 180.0]  # type: ignore[attr-defined]
        assert [router.estimated_wait(f"q{i}") for i in (1, 2, 3)] == [60.0, 120.0, 180.0]
        check_invariants(router)

    def test_queued_carries_the_estimate_of_that_moment(self, clock: FakeClock) -> None:
        router = self._two_busy(clock)
        queued = router.submit(chat("q1"))[-1]
        assert isinstance(queued, Queued)
        assert queued.estimated_wait == router.estimated_wait("q1") == 60.0
        check_invariants(router)

    def test_before_any_finish_the_default_handle_time_is_assumed(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("a1"))
        router.submit(chat("a2"))
        assert router.submit(chat("q1"))[-1].estimated_wait == 150.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_the_configured_handle_time_is_assumed_and_learning_restarts(
        self, clock: FakeClock
    ) -> None:
        router = self._two_busy(clock)
        router.configure(wait_estimates=WaitEstimates(handle_time=40))
        assert router.submit(chat("q1"))[-1].estimated_wait == 20.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_conversation_finished_on_hold_does_not_teach_the_handle_time(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("a1"))
        clock.advance(100)
        router.finish("a1")  # mean 100
        router.submit(chat("held"))
        router.hold("held")
        clock.advance(1000)
        router.finish("held")  # not learnt from
        router.submit(chat("a2"))
        assert router.submit(chat("q1"))[-1].estimated_wait == 100.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_a_conversation_once_held_teaches_its_handle_time_without_the_hold(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.submit(chat("a1"))
        clock.advance(100)
        router.finish("a1")  # mean 100
        router.submit(chat("held"))
        router.hold("held")
        clock.advance(1000)
        router.resume("held")
        router.finish("held")  # handled 0 s besides the hold: 100 + 0.1 * (0 - 100)
        router.submit(chat("a2"))
        assert router.submit(chat("q1"))[-1].estimated_wait == 90.0  # type: ignore[attr-defined]
        check_invariants(router)

    def test_busy_slots_count_as_servers_when_more_than_the_people(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=Operator("ann", {"g"}, capacity=Capacity(total=3)))
        for i in range(3):
            router.submit(chat(f"a{i}"))
        assert router.submit(chat("q1"))[-1].estimated_wait == 100.0  # type: ignore[attr-defined]  # 300 / 3
        check_invariants(router)

    def test_a_personal_line_has_one_server(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=({"g"},), bob=({"g"},))
        router.submit(chat("a1"))
        router.submit(chat("a2"))
        events = router.submit(chat("r1"), prefer_operator="ann")
        assert events[-1].estimated_wait == 300.0  # type: ignore[attr-defined]
        assert router.submit(chat("g1"))[-1].estimated_wait == 150.0  # type: ignore[attr-defined]
        check_invariants(router)

    def _departures(self, clock: FakeClock) -> Router:
        """One operator; q1, q2 and q3 left the line at 10, 20 and 40 s; q4 and q5 wait."""
        router = staffed(clock, Group("g"), ann=({"g"},))
        router.submit(chat("h0"))
        for i in range(1, 6):
            router.submit(chat(f"q{i}"))
        for finished, at in (("h0", 10), ("q1", 20), ("q2", 40)):
            clock.advance(at - clock())
            router.finish(finished)
        return router

    def test_the_observed_rate_replaces_the_fallback(self, clock: FakeClock) -> None:
        router = self._departures(clock)
        # 3 departures over 30 s: one every 10 s.
        assert (router.estimated_wait("q4"), router.estimated_wait("q5")) == (10.0, 20.0)
        check_invariants(router)

    def test_the_observed_rate_decays_while_nobody_leaves(self, clock: FakeClock) -> None:
        router = self._departures(clock)
        clock.advance(10)
        assert router.estimated_wait("q4") == 1 / (3 / 40)
        check_invariants(router)

    def test_with_fewer_departures_than_min_samples_the_fallback_holds(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.configure(wait_estimates=WaitEstimates(handle_time=50, smoothing=1))
        router.submit(chat("h0"))
        for i in range(1, 4):
            router.submit(chat(f"q{i}"))
        clock.advance(10)
        router.finish("h0")  # q1 leaves; mean handle 10
        clock.advance(10)
        router.finish("q1")  # q2 leaves; mean handle 10; 2 departures < 3
        assert router.estimated_wait("q3") == 10.0
        check_invariants(router)

    def test_no_estimate_when_nobody_is_online(self, router: Router) -> None:
        router.set_status("ann", Status.AWAY)
        events = router.submit(chat("q1"))
        assert kinds(events) == ["Submitted", "Queued"]
        assert events[-1].estimated_wait is None  # type: ignore[attr-defined]
        assert router.estimated_wait("q1") is None
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("q2"))
        assert router.estimated_wait("q2") == 300.0
        check_invariants(router)

    def test_estimated_wait_reads_the_clock(self, clock: FakeClock) -> None:
        router = self._departures(clock)
        clock.advance(5)
        router.estimated_wait("q4")
        assert router.now == clock()


# -- position updates -----------------------------------------------------------------


def moves(events: list[Event]) -> list[tuple[str, int, int]]:
    """The PositionChanged events as (conversation id, position, previous position)."""
    return [
        (e.conversation_id, e.position, e.previous_position)
        for e in events
        if isinstance(e, PositionChanged)
    ]


class TestPositionUpdates:
    def make(self, clock: FakeClock, waiting: int, updates: PositionUpdates | None) -> Router:
        """ann, alone, busy with ``h``; ``waiting`` conversations q1, q2… queued
        one second apart."""
        router = staffed(clock, Group("g"), ann=({"g"},))
        if updates is not None:
            router.configure(position_updates=updates)
        router.submit(chat("h"))
        for i in range(1, waiting + 1):
            router.submit(chat(f"q{i}"))
            clock.advance(1)
        return router

    def test_off_by_default(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, None)
        assert router.config.position_updates is None
        assert moves(router.finish("h")) == []
        check_invariants(router)

    def test_every_place_tells_everyone_behind_a_departure(self, clock: FakeClock) -> None:
        router = self.make(clock, 4, PositionUpdates())
        events = router.finish("h")
        assert kinds(events)[:2] == ["Finished", "Assigned"]
        assert moves(events) == [("q2", 1, 2), ("q3", 2, 3), ("q4", 3, 4)]
        assert [e.estimated_wait for e in of(events, PositionChanged)] == [
            router.estimated_wait(cid) for cid in ("q2", "q3", "q4")
        ]
        assert moves(router.finish("q1")) == [("q3", 1, 2), ("q4", 2, 3)]
        check_invariants(router)

    def test_places_tells_only_every_so_many_places(self, clock: FakeClock) -> None:
        router = self.make(clock, 8, PositionUpdates(places=3))

        def behind_the_head(events: list[Event]) -> list[tuple[str, int, int]]:
            # Reaching the head is told at once (see the next test).
            return [move for move in moves(events) if move[1] > 1]

        assert behind_the_head(router.finish("h")) == []  # q1 left
        assert behind_the_head(router.finish("q1")) == []  # q2 left
        events = router.finish("q2")  # q3 left: three since they were queued
        assert behind_the_head(events) == [("q5", 2, 5), ("q6", 3, 6), ("q7", 4, 7), ("q8", 5, 8)]
        assert behind_the_head(router.finish("q3")) == []
        assert behind_the_head(router.finish("q4")) == []
        assert behind_the_head(router.finish("q5")) == [("q8", 2, 5)]
        check_invariants(router)

    def test_places_tells_the_head_of_the_line_at_once(self, clock: FakeClock) -> None:
        """The next to be served hears it however few places it moved."""
        router = self.make(clock, 4, PositionUpdates(places=3))
        assert moves(router.finish("h")) == [("q2", 1, 2)]
        assert moves(router.finish("q1")) == [("q3", 1, 3)]
        check_invariants(router)

    def test_seconds_defers_the_telling_to_tick_with_the_position_then(
        self, clock: FakeClock, router: Router
    ) -> None:
        router.configure(position_updates=PositionUpdates(seconds=30))
        router.submit(chat("h"))
        for cid in ("q1", "q2", "q3"):
            router.submit(chat(cid))  # told at 0
        clock.advance(10)
        assert moves(router.finish("h")) == []  # too soon
        clock.advance(10)
        assert moves(router.finish("q1")) == []
        clock.advance(9)
        assert router.tick() == []
        clock.advance(1)
        events = router.tick()
        assert kinds(events) == ["Ticked", "PositionChanged"]
        assert moves(events) == [("q3", 1, 3)]
        assert events[1].time == 30.0
        check_invariants(router)

    def test_seconds_lets_a_later_move_be_told_at_once(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, PositionUpdates(seconds=30))
        clock.advance(30)  # queued at 0, 1, 2 s: all may be told again
        assert moves(router.finish("h")) == [("q2", 1, 2), ("q3", 2, 3)]
        clock.advance(5)
        assert moves(router.finish("q1")) == []
        clock.advance(25)
        assert moves(router.tick()) == [("q3", 1, 2)]
        check_invariants(router)

    def test_an_abandon_ahead_moves_people_up(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, PositionUpdates())
        events = router.abandon("q1")
        assert kinds(events)[0] == "Abandoned"
        assert moves(events) == [("q2", 1, 2), ("q3", 2, 3)]
        check_invariants(router)

    def test_an_abandon_behind_moves_nobody(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, PositionUpdates())
        assert moves(router.abandon("q3")) == []
        check_invariants(router)

    def test_turning_it_on_watches_those_already_waiting(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, None)
        assert kinds(router.configure(position_updates=PositionUpdates())) == ["Configured"]
        assert moves(router.finish("h")) == [("q2", 1, 2), ("q3", 2, 3)]
        check_invariants(router)

    def test_turning_it_off_stops_the_events(self, clock: FakeClock) -> None:
        router = self.make(clock, 4, PositionUpdates())
        router.configure(position_updates=None)
        assert moves(router.finish("h")) == []
        assert moves(router.finish("q1")) == []
        check_invariants(router)

    def test_turning_it_off_drops_deferred_tellings(self, clock: FakeClock) -> None:
        router = self.make(clock, 3, PositionUpdates(seconds=30))
        router.finish("h")  # deferred
        router.configure(position_updates=None)
        clock.advance(60)
        assert moves(router.tick()) == []
        check_invariants(router)

    def test_a_requeued_conversation_counts_as_told(self, clock: FakeClock, staff: Staff) -> None:
        router = staff(
            Group("g"),
            ann=Operator("ann", {"g"}, capacity=Capacity(total=2)),
            bob=({"g"},),
        )
        router.configure(position_updates=PositionUpdates())
        router.submit(chat("a"), prefer_operator="ann")
        clock.advance(1)
        router.submit(chat("b"), prefer_operator="ann")
        clock.advance(1)
        router.submit(chat("c"), prefer_operator="bob")
        clock.advance(1)
        router.submit(chat("q1"))  # told 1
        events = router.set_status("ann", Status.OFFLINE)
        # a and b keep their waiting start: ahead of q1, which moved back, untold.
        assert [(e.conversation_id, e.position) for e in of(events, Requeued)] == [
            ("a", 1),
            ("b", 2),
        ]
        assert moves(events) == []
        # b was told 2 by Requeued; q1 is at 2, told 1: no news for it.
        assert moves(router.finish("c")) == [("b", 1, 2)]
        check_invariants(router)

    def test_personal_lines_are_told_too(self, staff: Staff) -> None:
        router = staff(Group("g"), ann=Operator("ann", {"g"}), bob=({"g"},))
        router.configure(position_updates=PositionUpdates())
        router.submit(chat("x"), prefer_operator="ann")
        router.submit(chat("y"), prefer_operator="bob")
        router.submit(chat("r1"), prefer_operator="ann")
        router.submit(chat("r2"), prefer_operator="ann")
        events = router.finish("x")
        assert moves(events) == [("r2", 1, 2)]
        check_invariants(router)

    def test_a_restored_router_tells_exactly_the_same(self, clock: FakeClock) -> None:
        router = self.make(clock, 9, PositionUpdates(places=2, seconds=15))
        router.finish("h")
        clock.advance(3)
        router.abandon("q4")
        clock.advance(5)
        router.finish("q1")  # some told, some deferred, some watched
        twin_clock = FakeClock(clock())
        twin = Router.restore(json.loads(json.dumps(router.snapshot())), clock=twin_clock)

        def script(r: Router, c: FakeClock) -> list[Event]:
            out: list[Event] = []
            for step in range(6):
                c.advance(4)
                out += r.tick()
                head = next(iter(r.operator("ann").conversations))
                out += r.finish(head)
                if step == 2:
                    out += r.abandon("q8")
            c.advance(30)
            out += r.tick()
            return out

        expected = script(router, clock)
        got = script(twin, twin_clock)
        assert moves(expected)  # the scenario tells something
        assert got == expected
        check_invariants(twin)

    def test_a_replayed_router_tells_exactly_the_same(self, clock: FakeClock, staff: Staff) -> None:
        journal: list[Event] = []
        router = staff(Group("g"), ann=({"g"},), on_event=journal.append)
        router.configure(position_updates=PositionUpdates(seconds=10))
        router.submit(chat("h"))
        for i in range(1, 6):
            router.submit(chat(f"q{i}"))
        clock.advance(5)
        router.finish("h")
        twin_clock = FakeClock(clock())
        twin = Router.replay(None, journal, clock=twin_clock)
        assert twin.snapshot() == router.snapshot()
        clock.advance(5)
        twin_clock.advance(5)
        expected = router.tick()  # the deferred tellings
        assert moves(expected) == [("q2", 1, 2), ("q3", 2, 3), ("q4", 3, 4), ("q5", 4, 5)]
        assert twin.tick() == expected
        assert twin.finish("q1") == router.finish("q1")
        check_invariants(twin)

    def test_bad_settings_are_refused(self, staff: Staff) -> None:
        router = staff(Group("g"))
        unchanged(
            router,
            lambda: router.configure(position_updates=3),  # type: ignore[arg-type]
            ValidationError,
            "position_updates must be PositionUpdates or None",
        )


# -- surviving restarts ---------------------------------------------------------------


def _waiting_for_ann(clock: FakeClock) -> Router:
    router = returning(clock)
    router.set_status("ann", Status.AWAY)
    router.submit(chat("new", customer_id="u"))
    router.set_status("bob", Status.AWAY)
    clock.advance(20)
    return router


def _held_with_grace(clock: FakeClock) -> Router:
    release = {"messenger": 100.0}
    router = staffed(clock, Group("g", release_held_after=release), ann=({"g"},))
    router.submit(Conversation("m1", channel="messenger", group="g", customer_id="u"))
    router.hold("m1")
    router.submit(chat("c2"))
    clock.advance(40)
    return router


def _released(clock: FakeClock) -> Router:
    router = staffed(clock, Group("g", release_held_after={"email": 0}), ann=({"g"},))
    router.submit(Conversation("e1", channel="email", group="g", customer_id="u"))
    router.hold("e1")
    router.submit(chat("x"))
    clock.advance(40)
    return router


def _transferred(clock: FakeClock) -> Router:
    router = staffed(clock, Group("g"), ann=({"g"},), bob=({"g"},))
    router.submit(chat("c1", customer_id="u"))  # ann
    router.submit(chat("x"))  # bob
    router.transfer("c1", to_operator="bob", wait=50)
    clock.advance(20)
    return router


def _then_waiting_for_ann(router: Router, clock: FakeClock) -> list[Event]:
    clock.advance(39)
    events = router.tick()
    router.set_status("bob", Status.ONLINE)
    clock.advance(1)
    return events + router.tick()


def _then_held_with_grace(router: Router, clock: FakeClock) -> list[Event]:
    clock.advance(60)
    return router.tick()


def _then_released(router: Router, clock: FakeClock) -> list[Event]:
    events = router.resume("e1")
    clock.advance(60)
    return events + router.tick() + router.finish("x")


def _then_transferred(router: Router, clock: FakeClock) -> list[Event]:
    clock.advance(30)
    return router.tick()


@pytest.mark.parametrize(
    ("build", "then", "expected"),
    [
        (_waiting_for_ann, _then_waiting_for_ann, ["Ticked", "AffinityFallback", "Assigned"]),
        (_held_with_grace, _then_held_with_grace, ["Ticked", "Released", "Assigned"]),
        (_released, _then_released, ["Resumed", "Queued", "Ticked", "AffinityFallback"]),
        (_transferred, _then_transferred, ["Ticked", "AffinityFallback", "Assigned"]),
    ],
    ids=["waiting for an operator", "held with grace", "released", "transferred with a wait"],
)
def test_a_restored_router_continues_exactly(
    build: Any, then: Any, expected: list[str], clock: FakeClock
) -> None:
    router = build(clock)
    twin_clock = FakeClock(clock())
    twin = Router.restore(json.loads(json.dumps(router.snapshot())), clock=twin_clock)
    assert twin.snapshot() == router.snapshot()
    events = then(router, clock)
    assert kinds(events)[: len(expected)] == expected
    assert then(twin, twin_clock) == events
    assert twin.snapshot() == router.snapshot()
    assert twin.history("u") == router.history("u")
    check_invariants(twin)


def test_a_journal_replays_holds_resumes_transfers_and_settings(
    clock: FakeClock, staff: Staff
) -> None:
    journal: list[Event] = []
    group = Group("g", affinity=Affinity(wait=30), release_held_after={"email": 5})
    router = staff(group, ann=({"g"},), bob=({"g"},), on_event=journal.append)
    router.configure(
        history=HistoryLimits(per_customer=4),
        position_updates=PositionUpdates(places=1),
        wait_estimates=WaitEstimates(handle_time=90),
    )
    router.submit(Conversation("e1", channel="email", group="g", customer_id="u"))
    router.hold("e1")
    clock.advance(5)
    router.tick()  # released
    router.submit(chat("c1", customer_id="v"), prefer_operator="ann")
    router.submit(chat("c2"))  # bob
    router.resume("e1")
    router.transfer("c1", to_operator="bob", reason="escalate")
    clock.advance(30)
    router.tick()
    router.submit(chat("c3", customer_id="u"))
    twin = Router.replay(None, journal, clock=clock)
    assert twin.snapshot() == router.snapshot()
    assert twin.config == router.config
    for customer in ("u", "v"):
        assert twin.history(customer) == router.history(customer)
    clock.advance(1)
    assert twin.finish("c2") == router.finish("c2")
    check_invariants(twin)
