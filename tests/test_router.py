"""The Router's behaviour, one rule at a time, with a virtual clock."""

from __future__ import annotations

import pytest

from omniroute import (
    Abandoned,
    Assigned,
    Capacity,
    Conversation,
    ConversationState,
    Event,
    Finished,
    Group,
    GroupAdded,
    GroupRemoved,
    Operator,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    Queued,
    Requeued,
    Router,
    Status,
    StatusChanged,
)
from omniroute.seam import core_of
from omniroute.strategies import LongestIdle, RoundRobin
from omniroute.testing import check_invariants
from tests.helpers import FakeClock, chat, kinds, team


class TestSubmit:
    def test_assigns_at_once_when_someone_is_free(self, clock: FakeClock) -> None:
        router = team(operators=1, clock=clock)
        clock.advance(5)
        _, event = router.submit(chat("c1"))
        assert event == Assigned(
            seq=event.seq,
            time=5.0,
            conversation_id="c1",
            operator_id="o0",
            group="g",
            channel="chat",
            waited=0.0,
        )
        assert router.conversation("c1").state is ConversationState.ASSIGNED

    def test_queues_when_everyone_is_full(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        _, event = router.submit(chat("c2"))
        assert isinstance(event, Queued)
        assert (event.conversation_id, event.group, event.channel, event.position) == (
            "c2",
            "g",
            "chat",
            1,
        )
        assert router.position("c2") == 1

    def test_queues_when_nobody_is_online(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        router.add_operator(Operator("ann", groups={"g"}))
        assert kinds(router.submit(chat("c1"))) == ["Submitted", "Queued"]

    def test_positions_count_from_one(self) -> None:
        router = team(operators=0)
        positions = [router.submit(chat(f"c{i}"))[-1] for i in range(3)]
        assert [e.position for e in positions if isinstance(e, Queued)] == [1, 2, 3]

    def test_higher_priority_queues_ahead(self) -> None:
        router = team(operators=0)
        router.submit(chat("low"))
        _, event = router.submit(chat("high", priority=5))
        assert isinstance(event, Queued)
        assert event.position == 1
        assert router.position("low") == 2

    def test_required_skills_are_never_violated(self) -> None:
        """Even with a strategy that knows nothing of skills."""
        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=RoundRobin()))
        router.add_operator(Operator("novice", groups={"g"}, skills={"ru": 1}))
        router.add_operator(Operator("expert", groups={"g"}, skills={"ru": 5}))
        router.set_status("novice", Status.ONLINE)
        router.set_status("expert", Status.ONLINE)
        _, event = router.submit(chat("c1", requires={"ru": 3}))
        assert isinstance(event, Assigned)
        assert event.operator_id == "expert"
        assert kinds(router.submit(chat("c2", requires={"ru": 3}))) == ["Submitted", "Queued"]
        assert kinds(router.submit(chat("c3", requires={"de": 1}))) == ["Submitted", "Queued"]

    def test_only_operators_of_the_group(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("sales"))
        router.add_group(Group("support"))
        router.add_operator(Operator("ann", groups={"sales"}))
        router.set_status("ann", Status.ONLINE)
        assert kinds(router.submit(chat("c1", group="support"))) == ["Submitted", "Queued"]


class TestFinish:
    def test_frees_the_slot_for_the_head_of_the_line(self, clock: FakeClock) -> None:
        router = team(operators=1, clock=clock)
        router.submit(chat("c1"))
        clock.advance(1)
        router.submit(chat("c2"))
        clock.advance(1)
        router.submit(chat("c3"))
        clock.advance(10)
        finished, assigned = router.finish("c1")
        assert finished == Finished(
            seq=finished.seq,
            time=12.0,
            conversation_id="c1",
            operator_id="o0",
            group="g",
            channel="chat",
            handle_time=12.0,
        )
        assert isinstance(assigned, Assigned)
        assert (assigned.conversation_id, assigned.waited) == ("c2", 11.0)
        assert router.position("c3") == 1

    def test_priority_then_fifo(self) -> None:
        router = team(operators=1)
        router.submit(chat("busy"))
        for cid, priority in [("a", 0), ("b", 2), ("c", 0), ("d", 2)]:
            router.submit(chat(cid, priority=priority))
        order = []
        current = "busy"
        for _ in range(4):
            assigned = router.finish(current)[1]
            assert isinstance(assigned, Assigned)
            current = assigned.conversation_id
            order.append(current)
        assert order == ["b", "d", "a", "c"]

    def test_longest_waiting_across_groups_wins(self, clock: FakeClock) -> None:
        router = Router(clock=clock)
        for g in ("sales", "support"):
            router.add_group(Group(g))
        router.add_operator(Operator("ann", groups={"sales", "support"}))
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("first", group="sales"))
        clock.advance(1)
        router.submit(chat("old", group="support"))
        clock.advance(1)
        router.submit(chat("new", group="sales"))
        assigned = router.finish("first")[1]
        assert isinstance(assigned, Assigned)
        assert assigned.conversation_id == "old"

    def test_priority_beats_waiting_time_across_groups(self, clock: FakeClock) -> None:
        router = Router(clock=clock)
        for g in ("sales", "support"):
            router.add_group(Group(g))
        router.add_operator(Operator("ann", groups={"sales", "support"}))
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("first", group="sales"))
        router.submit(chat("old", group="support"))
        clock.advance(30)
        router.submit(chat("vip", group="sales", priority=1))
        assigned = router.finish("first")[1]
        assert isinstance(assigned, Assigned)
        assert assigned.conversation_id == "vip"

    def test_skips_lines_the_operator_cannot_take(self) -> None:
        """A waiting call the operator may not take does not block a later chat."""
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        cap = Capacity(total=2, per_channel={"voice": 0})
        router.add_operator(Operator("ann", groups={"g"}, capacity=cap))
        router.set_status("ann", Status.ONLINE)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        router.submit(Conversation("call", channel="voice", group="g"))
        router.submit(chat("c3"))
        assert kinds(router.finish("c1")) == ["Finished", "Assigned"]
        assert router.conversation("c3").operator_id == "ann"
        assert router.conversation("call").state is ConversationState.QUEUED

    def test_finishing_an_exclusive_call_lets_several_chats_in(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        cap = Capacity(total=3, exclusive={"voice"})
        router.add_operator(Operator("ann", groups={"g"}, capacity=cap))
        router.set_status("ann", Status.ONLINE)
        router.submit(Conversation("call", channel="voice", group="g"))
        for i in range(4):
            assert kinds(router.submit(chat(f"c{i}"))) == ["Submitted", "Queued"]
        events = router.finish("call")
        assert kinds(events) == ["Finished", "Assigned", "Assigned", "Assigned"]
        assert router.queue_length("g") == 1

    def test_a_queued_conversation_cannot_be_finished(self) -> None:
        router = team(operators=0)
        router.submit(chat("c1"))
        with pytest.raises(ValueError, match=r"cannot finish conversation 'c1': it is queued"):
            router.finish("c1")

    def test_ended_conversations_are_forgotten(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        router.finish("c1")
        with pytest.raises(KeyError, match="already finished or abandoned"):
            router.finish("c1")
        # and the id may be used again
        assert kinds(router.submit(chat("c1"))) == ["Submitted", "Assigned"]


class TestAbandon:
    def test_leaves_the_line(self, clock: FakeClock) -> None:
        router = team(operators=0, clock=clock)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        clock.advance(7)
        [event] = router.abandon("c1")
        assert event == Abandoned(
            seq=event.seq, time=7.0, conversation_id="c1", group="g", channel="chat", waited=7.0
        )
        assert router.position("c2") == 1
        assert router.queue_length() == 1

    def test_an_assigned_conversation_cannot_be_abandoned(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        with pytest.raises(ValueError, match=r"it is assigned; legal now: finish\(\)"):
            router.abandon("c1")


class TestStatus:
    def test_new_operators_are_offline(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        router.add_operator(Operator("ann", groups={"g"}))
        assert router.operator("ann").status is Status.OFFLINE

    def test_coming_online_takes_at_most_the_limit(self) -> None:
        """No operator is flooded: the rest stays queued."""
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        router.add_operator(Operator("ann", groups={"g"}, capacity=Capacity(total=3)))
        for i in range(5):
            router.submit(chat(f"c{i}"))
        events = router.set_status("ann", Status.ONLINE)
        assert kinds(events) == ["StatusChanged", "Assigned", "Assigned", "Assigned"]
        assert [e.conversation_id for e in events if isinstance(e, Assigned)] == ["c0", "c1", "c2"]
        assert router.queue_length("g") == 2

    def test_away_keeps_work_and_receives_nothing(self) -> None:
        router = team(operators=1, total=2)
        router.submit(chat("c1"))
        [changed] = router.set_status("o0", Status.AWAY)
        assert changed == StatusChanged(
            seq=changed.seq, time=0.0, operator_id="o0", previous=Status.ONLINE, status=Status.AWAY
        )
        assert router.operator("o0").conversations == ("c1",)
        assert kinds(router.submit(chat("c2"))) == ["Submitted", "Queued"]
        assert kinds(router.finish("c1")) == ["Finished"]
        assert kinds(router.set_status("o0", "online")) == ["StatusChanged", "Assigned"]

    def test_offline_requeues_with_original_waiting_time(self, clock: FakeClock) -> None:
        router = team(operators=1, total=2, clock=clock)
        router.submit(chat("c1"))
        clock.advance(1)
        router.submit(chat("c2"))
        clock.advance(1)
        router.submit(chat("c3"))
        clock.advance(1)
        router.submit(chat("c4"))
        clock.advance(10)
        events = router.set_status("o0", Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "Requeued", "Requeued"]
        requeued = [e for e in events if isinstance(e, Requeued)]
        assert [(e.conversation_id, e.position, e.waited) for e in requeued] == [
            ("c1", 1, 13.0),
            ("c2", 2, 12.0),
        ]
        assert [c.id for c in router.waiting("g")] == ["c1", "c2", "c3", "c4"]
        assert router.conversation("c1").enqueued_at == 0.0

    def test_offline_work_goes_to_a_free_colleague(self) -> None:
        router = team(operators=2, total=1, strategy=RoundRobin())
        router.submit(chat("c1"))
        assert router.conversation("c1").operator_id == "o0"
        events = router.set_status("o0", Status.OFFLINE)
        assert kinds(events) == ["StatusChanged", "Requeued", "Assigned"]
        assert router.conversation("c1").operator_id == "o1"

    def test_setting_the_same_status_does_nothing(self) -> None:
        router = team(operators=1)
        seq = core_of(router).event_seq
        assert router.set_status("o0", Status.ONLINE) == []
        assert core_of(router).event_seq == seq

    def test_unknown_status_is_refused(self) -> None:
        router = team(operators=1)
        with pytest.raises(ValueError, match="unknown status 'busy' for operator 'o0'"):
            router.set_status("o0", "busy")


class TestOperators:
    def test_add_needs_known_groups(self) -> None:
        router = Router(clock=FakeClock())
        with pytest.raises(KeyError, match=r"operator 'ann' serves unknown group\(s\) \['g'\]"):
            router.add_operator(Operator("ann", groups={"g"}))

    def test_update_raising_capacity_takes_waiting_work(self) -> None:
        router = team(operators=1, total=1)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        events = router.update_operator(Operator("o0", groups={"g"}, capacity=Capacity(total=2)))
        assert kinds(events) == ["OperatorUpdated", "Assigned"]
        assert isinstance(events[0], OperatorUpdated)
        assert events[0].operator.capacity.total == 2

    def test_update_below_current_load_is_refused(self) -> None:
        router = team(operators=1, total=2)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        with pytest.raises(ValueError, match="'o0' cannot take the new capacity: it holds 2"):
            router.update_operator(Operator("o0", groups={"g"}, capacity=Capacity(total=1)))

    def test_update_can_move_an_operator_between_groups(self) -> None:
        router = team(operators=1)
        router.add_group(Group("vip"))
        router.submit(chat("v1", group="vip"))
        events = router.update_operator(Operator("o0", groups={"vip"}))
        assert kinds(events) == ["OperatorUpdated", "Assigned"]
        assert kinds(router.submit(chat("c1"))) == ["Submitted", "Queued"]

    def test_update_with_new_skills_unlocks_a_line(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1", requires={"de": 2}))
        events = router.update_operator(Operator("o0", groups={"g"}, skills={"de": 3}))
        assert kinds(events) == ["OperatorUpdated", "Assigned"]

    def test_remove_requeues_their_work(self) -> None:
        router = team(operators=1, total=2)
        router.submit(chat("c1"))
        events = router.remove_operator("o0")
        assert kinds(events) == ["OperatorRemoved", "Requeued"]
        assert events[0] == OperatorRemoved(seq=events[0].seq, time=0.0, operator_id="o0")
        assert router.position("c1") == 1
        with pytest.raises(KeyError, match="unknown operator 'o0'"):
            router.operator("o0")

    def test_views_are_copies(self) -> None:
        router = team(operators=1, total=3)
        router.submit(chat("c1"))
        info = router.operator("o0")
        router.submit(chat("c2"))
        assert info.conversations == ("c1",)
        assert router.operator("o0").conversations == ("c1", "c2")
        assert router.operator("o0").active_by_channel == {"chat": 2}
        assert router.operator("o0").utilisation == pytest.approx(2 / 3)

    def test_events_of_configuration(self) -> None:
        router = Router(clock=FakeClock())
        [added] = router.add_group(Group("g", strategy=LongestIdle()))
        settings = {
            "discipline": "fifo",
            "aging": None,
            "overflow": None,
            "offers": None,
            "keep_on_leave": 0.0,
            "affinity": None,
            "release_held_after": {},
        }
        assert added == GroupAdded(
            seq=1, time=0.0, group="g", strategy="longest_idle", settings=settings
        )
        op = Operator("ann", groups={"g"})
        assert router.add_operator(op) == [OperatorAdded(seq=2, time=0.0, operator=op)]
        router.remove_operator("ann")
        assert router.remove_group("g") == [GroupRemoved(seq=4, time=0.0, group="g")]


class TestGroups:
    def test_a_strategy_instance_serves_one_group(self) -> None:
        router = Router(clock=FakeClock())
        shared = RoundRobin()
        router.add_group(Group("a", strategy=shared))
        with pytest.raises(ValueError, match="reuses the strategy instance of group 'a'"):
            router.add_group(Group("b", strategy=shared))

    def test_remove_refuses_while_served(self) -> None:
        router = team(operators=1)
        with pytest.raises(ValueError, match=r"still served by operator\(s\) \['o0'\]"):
            router.remove_group("g")

    def test_remove_refuses_while_conversations_live(self) -> None:
        router = team(operators=0)
        router.submit(chat("c1"))
        with pytest.raises(ValueError, match="still has 1 live conversation"):
            router.remove_group("g")

    def test_remove_then_add_again(self) -> None:
        router = team(operators=0)
        router.submit(chat("c1"))
        router.abandon("c1")
        router.remove_group("g")
        router.add_group(Group("g"))
        assert kinds(router.submit(chat("c2"))) == ["Submitted", "Queued"]
        check_invariants(router)

    def test_submit_to_unknown_group(self) -> None:
        router = Router(clock=FakeClock())
        with pytest.raises(KeyError, match="unknown group 'nope'"):
            router.submit(chat("c1", group="nope"))


class TestQueries:
    def test_queue_lengths_per_group_and_channel(self) -> None:
        router = team(operators=0)
        router.add_group(Group("h"))
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        router.submit(Conversation("m1", channel="email", group="g"))
        router.submit(chat("h1", group="h"))
        assert router.queue_length() == 4
        assert router.queue_length("g") == 3
        assert router.queue_length("g", "chat") == 2
        assert router.queue_length(channel="chat") == 3
        assert router.queue_lengths() == {("g", "chat"): 2, ("g", "email"): 1, ("h", "chat"): 1}

    def test_position_is_per_line(self) -> None:
        """A line is one group, one channel and one set of required skills."""
        router = team(operators=0)
        router.submit(chat("c1"))
        router.submit(Conversation("m1", channel="email", group="g"))
        router.submit(chat("c2", requires={"de": 1}))
        assert [router.position(c) for c in ("c1", "m1", "c2")] == [1, 1, 1]

    def test_position_of_an_assigned_conversation_is_none(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        assert router.position("c1") is None

    def test_waiting_is_best_first_across_lines(self, clock: FakeClock) -> None:
        router = team(operators=0, clock=clock)
        router.submit(chat("c1"))
        clock.advance(1)
        router.submit(Conversation("m1", channel="email", group="g"))
        clock.advance(1)
        router.submit(chat("vip", priority=3))
        assert [c.id for c in router.waiting()] == ["vip", "c1", "m1"]
        assert [c.position for c in router.waiting("g")] == [1, 2, 1]

    def test_conversations_lists_live_ones(self) -> None:
        router = team(operators=1)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
        router.submit(chat("c3"))
        router.finish("c1")
        assert {c.id: c.state.value for c in router.conversations()} == {
            "c2": "assigned",
            "c3": "queued",
        }

    def test_metadata_is_carried_untouched(self) -> None:
        router = team(operators=0)
        router.submit(chat("c1", metadata={"topic": "cards"}, customer_id="u1"))
        conversation = router.conversation("c1").conversation
        assert (conversation.metadata, conversation.customer_id) == ({"topic": "cards"}, "u1")


class TestEventsAndTime:
    def test_seq_grows_by_one_per_event(self) -> None:
        router = team(operators=1)
        events: list[Event] = []
        for i in range(3):
            events += router.submit(chat(f"c{i}"))
        events += router.finish("c0")
        seqs = [e.seq for e in events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))

    def test_on_event_sees_what_the_call_returns(self) -> None:
        seen: list[Event] = []
        router = Router(clock=FakeClock(), on_event=seen.append)
        router.add_group(Group("g"))
        router.add_operator(Operator("ann", groups={"g"}))
        returned = router.set_status("ann", Status.ONLINE)
        returned += router.submit(chat("c1"))
        assert seen[2:] == returned
        assert kinds(seen) == [
            "GroupAdded",
            "OperatorAdded",
            "StatusChanged",
            "Submitted",
            "Assigned",
        ]

    def test_on_event_is_called_after_state_changed(self) -> None:
        router: Router
        positions: list[int | None] = []

        def look(event: Event) -> None:
            if isinstance(event, Queued):
                positions.append(router.position(event.conversation_id))

        router = Router(clock=FakeClock(), on_event=look)
        router.add_group(Group("g"))
        router.submit(chat("c1"))
        assert positions == [1]

    def test_a_clock_stepping_back_does_not_make_negative_waits(self) -> None:
        clock = FakeClock(100.0)
        router = team(operators=0, clock=clock)
        router.submit(chat("c1"))
        clock.now = 50.0
        [event] = router.abandon("c1")
        assert isinstance(event, Abandoned)
        assert event.waited == 0.0
        assert router.now == 100.0

    def test_tick_reads_the_clock_and_fires_nothing_yet(self, clock: FakeClock) -> None:
        router = team(operators=0, clock=clock)
        clock.advance(3)
        assert router.tick() == []
        assert router.now == 3.0


class TestUnits:
    def test_budget_mixes_channels(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))
        cap = Capacity(units=100, cost={"voice": 100, "chat": 30, "email": 10})
        router.add_operator(Operator("ann", groups={"g"}, capacity=cap))
        router.set_status("ann", Status.ONLINE)
        for i in range(3):
            assert kinds(router.submit(chat(f"c{i}"))) == ["Submitted", "Assigned"]
        assert kinds(router.submit(Conversation("m1", channel="email", group="g"))) == [
            "Submitted",
            "Assigned",
        ]
        assert kinds(router.submit(Conversation("m2", channel="email", group="g"))) == [
            "Submitted",
            "Queued",
        ]
        assert kinds(router.submit(Conversation("v1", channel="voice", group="g"))) == [
            "Submitted",
            "Queued",
        ]
        assert router.operator("ann").units_used == 100
        assert kinds(router.submit(Conversation("s1", channel="sms", group="g"))) == [
            "Submitted",
            "Queued",
        ]


def test_an_exclusive_conversation_fills_the_operator() -> None:
    """Utilisation is 100% while an exclusive call blocks everything else."""
    router = Router(clock=FakeClock())
    router.add_group(Group("g"))
    router.add_operator(
        Operator("ann", groups={"g"}, capacity=Capacity(total=3, exclusive={"voice"}))
    )
    router.set_status("ann", Status.ONLINE)
    router.submit(Conversation("call", channel="voice", group="g"))
    assert router.operator("ann").utilisation == 1.0
    router.finish("call")
    assert router.operator("ann").utilisation == 0.0
