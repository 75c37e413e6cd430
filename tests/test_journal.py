"""The journal: events serialise, and a snapshot plus the events since rebuild the
Router. The property over random call sequences lives in the stateful test
(``RouterStateMachine.restart``); these are the examples and the refusals."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omniroute import (
    Affinity,
    Assigned,
    Capacity,
    Conversation,
    Event,
    Group,
    JournalError,
    Offers,
    Operator,
    Overflow,
    PositionUpdates,
    Relaxation,
    Router,
    Rule,
    Rules,
    SnapshotError,
    Status,
    StatusChanged,
    Submitted,
    Ticked,
)
from omniroute.events import EVENT_TYPES
from omniroute.journal import CALLS
from omniroute.seam import core_of
from omniroute.strategies import RoundRobin
from omniroute.testing import FakeClock, check_invariants
from tests.helpers import chat
from tests.test_snapshot import OTHER_VALUES, busy_router, fields, locate


def recorded(clock: FakeClock) -> tuple[Router, str, list[dict[str, Any]]]:
    """A busy Router, a snapshot of it as JSON, and the journal of what came after,
    as a host stores it: one JSON object per event."""
    router = busy_router(clock)
    snapshot = json.dumps(router.snapshot())
    journal: list[Event] = []
    core_of(router).on_event = journal.append
    clock.advance(1)
    router.submit(chat("n1", group="sales"))
    router.set_status("dan", Status.ONLINE)
    clock.advance(4)
    router.finish("s1")
    router.update_operator(Operator("dan", groups={"sales", "tech"}))
    router.abandon("s3")
    router.set_status("ann", Status.OFFLINE)
    router.remove_operator("cat")
    router.add_group(Group("new", strategy=RoundRobin()))
    router.remove_group("new")
    with_policies(router, clock)
    stored = [json.loads(json.dumps(event.as_dict())) for event in journal]
    return router, snapshot, stored


def with_policies(router: Router, clock: FakeClock) -> None:
    """Calls that make every policy act: rules, offers (ring-all, accepted, rejected,
    expired), a bot's hand-off, relaxation and an overflow."""
    router.add_group(Group("bots"))
    offers = Offers(timeout=10, ring=2)
    router.add_group(Group("desk", offers=offers, overflow=Overflow(to="sales", after=30)))
    router.set_rules(Rules([Rule("desk", when={"topic": "vip"})], default="sales"))
    router.add_operator(Operator("bot", groups={"bots"}, capacity=Capacity(total=50), bot=True))
    for name in ("bot", "eve", "fay"):
        if name != "bot":
            router.add_operator(Operator(name, groups={"desk"}))
        router.set_status(name, Status.ONLINE)
    vip = {"topic": "vip"}
    router.submit(Conversation("d1", channel="chat", metadata=vip))
    router.accept("d1", "eve")
    router.submit(Conversation("d2", channel="chat", metadata=vip))
    router.reject("d2", "fay")
    clock.advance(10)
    router.tick()
    relax = [Relaxation(5, {})]
    router.submit(Conversation("r1", channel="chat", group="tech", requires={"x": 9}, relax=relax))
    router.submit(Conversation("b1", channel="chat", group="bots"))
    router.handoff("b1", "desk", reason="human please")
    clock.advance(30)
    router.tick()
    with_continuity(router, clock)


def with_continuity(router: Router, clock: FakeClock) -> None:
    """Calls that make every continuity feature act: settings, affinity (kept and
    fallen back), holds (kept, released, resumed), first responses, transfers, position
    updates."""
    router.configure(position_updates=PositionUpdates(places=1))
    router.add_group(
        Group("care", affinity=Affinity(wait=20), release_held_after={"messenger": 60})
    )
    for name in ("kim", "lou"):
        router.add_operator(Operator(name, groups={"care"}))
        router.set_status(name, Status.ONLINE)
    router.submit(Conversation("k1", channel="chat", group="care", customer_id="cust"))
    [served] = [op for op in ("kim", "lou") if router.conversation("k1").operator_id == op]
    router.finish("k1")
    router.submit(Conversation("k2", channel="messenger", group="care", customer_id="cust"))
    assert router.conversation("k2").operator_id == served
    router.responded("k2")
    router.hold("k2")
    router.resume("k2")
    router.hold("k2")
    clock.advance(60)
    router.tick()  # Released
    other = "lou" if served == "kim" else "kim"
    router.submit(Conversation("k3", channel="chat", group="care"))
    router.submit(Conversation("k4", channel="chat", group="care"))
    router.submit(Conversation("k5", channel="chat", group="care"))
    router.resume("k2")  # both busy: waits for its operator
    clock.advance(20)
    router.tick()  # AffinityFallback
    router.transfer("k3", to_group="care", reason="wrong desk")
    router.finish(router.operator(other).conversations[0])  # PositionChanged


class TestEventData:
    def test_every_event_type_round_trips(self) -> None:
        _router, _, stored = recorded(FakeClock())
        seen = {data["type"] for data in stored}
        assert seen == set(EVENT_TYPES)
        for data in stored:
            event = Event.from_dict(data)
            assert event.as_dict() == data

    def test_as_dict_is_plain(self) -> None:
        event = StatusChanged(
            seq=3, time=1.5, operator_id="ann", previous=Status.OFFLINE, status=Status.ONLINE
        )
        assert event.as_dict() == {
            "type": "StatusChanged",
            "seq": 3,
            "time": 1.5,
            "operator_id": "ann",
            "previous": "offline",
            "status": "online",
        }

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ([], "expected an object"),
            ({"type": "Exploded", "seq": 1}, "unknown event type 'Exploded'"),
            ({"type": ["Queued"], "seq": 1}, r"unknown event type \['Queued'\]"),
            ({"type": "Abandoned", "seq": 1}, r"missing field\(s\)"),
            (
                {"type": "Abandoned", "seq": 1, "time": 0.0, "conversation_id": "c",
                 "group": "g", "channel": "chat", "waited": "long"},
                r"Abandoned seq 1\.waited: expected a number",
            ),
            (
                {"type": "StatusChanged", "seq": 1, "time": 0.0, "operator_id": "a",
                 "previous": "offline", "status": "asleep"},
                "unknown status 'asleep'",
            ),
        ],
    )  # fmt: skip
    def test_malformed_event_data_is_refused(self, data: Any, message: str) -> None:
        with pytest.raises(JournalError, match=message):
            Event.from_dict(data)


def test_the_events_that_start_a_call_are_the_ones_replay_can_run() -> None:
    starting = {kind for kind in EVENT_TYPES.values() if kind.starts_call}
    assert starting == set(CALLS)


class TestReplay:
    def test_snapshot_plus_journal_is_the_router(self) -> None:
        clock = FakeClock()
        router, snapshot, stored = recorded(clock)
        rebuilt = Router.replay(snapshot, stored, clock=clock)
        check_invariants(rebuilt)
        assert rebuilt.snapshot() == router.snapshot()
        clock.advance(3)
        assert rebuilt.submit(chat("n2", group="sales")) == router.submit(chat("n2", group="sales"))

    def test_the_whole_journal_from_nothing(self) -> None:
        clock = FakeClock()
        journal: list[Event] = []
        router = Router(clock=clock, on_event=journal.append)
        router.add_group(Group("g", strategy=RoundRobin()))
        for name in ("a", "b"):
            router.add_operator(Operator(name, groups={"g"}))
            router.set_status(name, "online")
        clock.advance(2)
        for i in range(3):
            router.submit(chat(f"c{i}"))
        rebuilt = Router.replay(None, journal, clock=clock)
        assert rebuilt.snapshot() == router.snapshot()

    def test_events_the_snapshot_holds_are_skipped(self) -> None:
        clock = FakeClock()
        journal: list[Event] = []
        router = Router(clock=clock, on_event=journal.append)
        router.add_group(Group("g"))
        router.add_operator(Operator("a", groups={"g"}))
        snapshot = router.snapshot()
        router.set_status("a", "online")
        rebuilt = Router.replay(snapshot, journal, clock=clock)
        assert rebuilt.snapshot() == router.snapshot()

    def test_a_journal_cut_inside_a_call_is_completed_and_told(self) -> None:
        clock = FakeClock()
        _, snapshot, stored = recorded(clock)
        router_events = [Event.from_dict(data) for data in stored]
        # the host stopped after hearing a call's first event, before the Assigned after it
        cut = next(
            i
            for i, e in enumerate(router_events[:-1])
            if e.starts_call and isinstance(router_events[i + 1], Assigned)
        )
        heard: list[Event] = []
        rebuilt = Router.replay(snapshot, stored[: cut + 1], clock=clock, on_event=heard.append)
        assert heard == [router_events[cut + 1]]
        assert rebuilt.conversation(router_events[cut + 1].conversation_id).operator_id

    def test_host_strategy_needs_its_factory(self) -> None:
        class Mine(RoundRobin):
            name = "mine"

        journal: list[Event] = []
        router = Router(clock=FakeClock(), on_event=journal.append)
        router.add_group(Group("g", strategy=Mine()))
        with pytest.raises(JournalError, match=r"strategy 'mine'.*strategies="):
            Router.replay(None, journal)
        rebuilt = Router.replay(None, journal, strategies={"mine": Mine})
        assert isinstance(rebuilt.group("g").strategy, Mine)

    def test_gap_is_refused(self) -> None:
        clock = FakeClock()
        _, snapshot, stored = recorded(clock)
        with pytest.raises(JournalError, match="skips from seq"):
            Router.replay(snapshot, stored[3:], clock=clock)

    def test_out_of_order_is_refused(self) -> None:
        clock = FakeClock()
        _, snapshot, stored = recorded(clock)
        stored[1], stored[2] = stored[2], stored[1]
        with pytest.raises(JournalError, match="out of order"):
            Router.replay(snapshot, stored, clock=clock)

    def test_starting_mid_call_is_refused(self) -> None:
        clock = FakeClock()
        router = busy_router(clock)
        snapshot = router.snapshot()
        events = router.submit(chat("n1", group="sales"))
        assert isinstance(events[0], Submitted)
        shifted = [
            {**e.as_dict(), "seq": e.seq - 1} for e in events[1:]
        ]  # an Assigned where a call should start
        with pytest.raises(JournalError, match="does not start a call"):
            Router.replay(snapshot, shifted, clock=clock)

    def test_divergence_is_refused(self) -> None:
        clock = FakeClock()
        _, snapshot, stored = recorded(clock)
        i = next(i for i, d in enumerate(stored) if d["type"] == "Assigned")
        stored[i]["operator_id"] = "someone-else"
        with pytest.raises(JournalError, match=f"diverges at seq {stored[i]['seq']}"):
            Router.replay(snapshot, stored, clock=clock)

    def test_a_call_the_snapshot_cannot_take_is_refused(self) -> None:
        clock = FakeClock()
        _, snapshot, stored = recorded(clock)
        first = stored[0]
        assert first["type"] == "Submitted"
        first["conversation"]["group"] = "nope"
        first["group"] = "nope"
        with pytest.raises(JournalError, match="cannot be replayed: unknown group 'nope'"):
            Router.replay(snapshot, stored, clock=clock)

    def test_bad_snapshot_is_a_snapshot_error(self) -> None:
        with pytest.raises(SnapshotError):
            Router.replay("{", [])


@given(st.data())
def test_fuzz_a_corrupt_journal_raises_journal_error_or_replays_soundly(
    draw: st.DataObject,
) -> None:
    clock = FakeClock()
    _, snapshot, stored = recorded(clock)
    for _ in range(draw.draw(st.integers(1, 3))):
        path, _value = draw.draw(st.sampled_from(fields(stored)))
        parent, key = locate(stored, path)
        if draw.draw(st.booleans()):
            del parent[key]
        else:
            value = draw.draw(st.sampled_from([v for _, v in fields(stored)] + OTHER_VALUES))
            parent[key] = copy.deepcopy(value)
    try:
        router = Router.replay(snapshot, stored, clock=clock)
    except JournalError:
        return
    check_invariants(router)


def test_a_recorded_tick_that_finds_nothing_due_is_refused() -> None:
    """A ``Ticked`` with no timer behind it would make replay produce nothing: it
    must fail, not loop forever."""
    clock = FakeClock()
    router = Router(clock=clock)
    router.add_group(Group("g"))
    snapshot = router.snapshot()
    forged = Ticked(seq=core_of(router).event_seq + 1, time=1.0)
    with pytest.raises(JournalError, match="replay gives no events"):
        Router.replay(snapshot, [forged], clock=clock)
