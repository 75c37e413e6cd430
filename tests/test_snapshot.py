"""Snapshots: the round trip keeps every decision, and bad data never yields a Router.

The property that a restored Router answers every later call exactly as the original
lives in the stateful test (``RouterStateMachine.restart``); these are the examples
and the fuzzing of corrupt data.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omniroute import (
    Capacity,
    Conversation,
    Group,
    Offers,
    Operator,
    Overflow,
    Relaxation,
    Router,
    Rule,
    Rules,
    SnapshotError,
    Status,
)
from omniroute.snapshot import VERSION
from omniroute.strategies import LongestIdle, RoundRobin, SkillBased
from omniroute.testing import FakeClock, check_invariants, router_configs
from tests.helpers import chat, kinds


def busy_router(clock: FakeClock | None = None) -> Router:
    """Every kind of state: a round-robin pointer, AWAY and OFFLINE operators, a
    budget with an exclusive channel, priorities, skills, metadata, time passing."""
    clock = clock or FakeClock()
    router = Router(clock=clock)
    router.add_group(Group("sales", strategy=RoundRobin()))
    router.add_group(Group("tech", strategy=SkillBased()))
    router.add_group(Group("voice", strategy=LongestIdle()))
    budget = Capacity(units=100, cost={"voice": 100, "chat": 40}, exclusive={"voice"})
    router.add_operator(Operator("ann", groups={"sales", "tech"}, capacity=Capacity(total=2)))
    router.add_operator(Operator("bob", groups={"sales"}, skills={"de": 3}))
    router.add_operator(Operator("cat", groups={"tech", "voice"}, capacity=budget))
    router.add_operator(Operator("dan", groups={"sales"}))
    for name in ("ann", "bob", "cat"):
        clock.advance(1.5)
        router.set_status(name, Status.ONLINE)
    for i in range(6):
        clock.advance(0.25)
        metadata = {"topic": "refund", "tags": ["a", "b"]} if i % 2 else {}
        router.submit(chat(f"s{i}", group="sales", priority=i % 3, metadata=metadata))
    router.submit(chat("t1", group="tech", requires={"de": 1}, customer_id="u1"))
    router.submit(Conversation("v1", channel="voice", group="voice", created_at=-3.0))
    router.set_status("bob", Status.AWAY)
    clock.advance(10)
    router.finish("s0")
    return router


def through_json(data: Any) -> Any:
    return json.loads(json.dumps(data))


class TestRoundTrip:
    def test_snapshot_is_plain_json_with_a_version(self) -> None:
        data = busy_router().snapshot()
        assert data["schema"] == "omniroute.snapshot"
        assert data["version"] == VERSION
        assert through_json(data) == data

    @pytest.mark.parametrize("form", [through_json, json.dumps, lambda d: json.dumps(d).encode()])
    def test_restore_gives_back_the_same_state(self, form: Callable[[Any], Any]) -> None:
        original = busy_router()
        restored = Router.restore(form(original.snapshot()), clock=FakeClock(original.now))
        check_invariants(restored)
        assert restored.snapshot() == original.snapshot()
        assert list(restored.operators()) == list(original.operators())
        assert list(restored.conversations()) == list(original.conversations())
        assert [i.id for i in restored.waiting()] == [i.id for i in original.waiting()]
        assert restored.queue_lengths() == original.queue_lengths()

    def test_restored_router_decides_as_the_original(self) -> None:
        clock = FakeClock()
        original = busy_router(clock)
        restored = Router.restore(json.dumps(original.snapshot()), clock=clock)
        script: list[Callable[[Router], Any]] = [
            lambda r: r.submit(chat("n1", group="sales")),
            lambda r: r.set_status("dan", "online"),
            lambda r: r.finish("s1"),
            lambda r: r.set_status("ann", "offline"),
            lambda r: r.submit(chat("n2", group="tech", requires={"de": 1})),
            lambda r: r.set_status("bob", "online"),
            lambda r: r.remove_operator("cat"),
            lambda r: r.abandon("s5"),
        ]
        for step in script:
            clock.advance(2)
            assert step(restored) == step(original)
        assert restored.snapshot() == original.snapshot()

    def test_round_robin_pointer_survives(self) -> None:
        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=RoundRobin()))
        for name in ("a", "b", "c"):
            router.add_operator(Operator(name, groups={"g"}, capacity=Capacity(total=5)))
            router.set_status(name, "online")
        router.submit(chat("c1"))
        restored = Router.restore(router.snapshot(), clock=FakeClock())
        assert restored.submit(chat("c2"))[-1] == router.submit(chat("c2"))[-1]
        assert router.conversation("c2").operator_id == "b"

    def test_host_strategy_comes_back_from_its_factory(self) -> None:
        class Mine(RoundRobin):
            name = "mine"

        router = Router(clock=FakeClock())
        router.add_group(Group("g", strategy=Mine()))
        data = router.snapshot()
        with pytest.raises(SnapshotError, match=r"strategy 'mine'.*strategies=\{'mine': factory\}"):
            Router.restore(data)
        restored = Router.restore(data, strategies={"mine": Mine})
        assert isinstance(restored.group("g").strategy, Mine)

    def test_events_continue_the_sequence(self) -> None:
        original = busy_router()
        restored = Router.restore(original.snapshot(), clock=FakeClock(original.now))
        assert restored.submit(chat("n1", group="sales")) == original.submit(
            chat("n1", group="sales")
        )
        assert kinds(restored.tick()) == []

    def test_clock_behind_the_snapshot_holds_time_still(self) -> None:
        original = busy_router()
        restored = Router.restore(original.snapshot(), clock=FakeClock(0.0))
        events = restored.set_status("dan", "online")
        assert [event.time for event in events] == [original.now] * len(events)


def corrupt(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(busy_router().snapshot())
    mutate(data)
    return data


def setter(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def deleter(*path: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def first_assigned(data: dict[str, Any]) -> int:
    return next(i for i, c in enumerate(data["conversations"]) if c["state"] == "assigned")


def duplicate_entry(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data[name].append(copy.deepcopy(data[name][-1]))


def hold_twice(data: dict[str, Any]) -> None:
    held = data["operators"][0]["conversations"]
    held.append(held[0])


def hold_a_waiting_one(data: dict[str, Any]) -> None:
    waiting = next(c for c in data["conversations"] if c["state"] == "queued")
    data["operators"][2]["conversations"].append(waiting["conversation"]["id"])


def free_beside_work(data: dict[str, Any]) -> None:
    # dan is OFFLINE while sales work waits; bring him ONLINE in the data only
    dan = next(o for o in data["operators"] if o["operator"]["id"] == "dan")
    dan["status"] = "online"


BAD_SNAPSHOTS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("wrong schema", setter("schema", value="other"), "not an omniroute snapshot"),
    ("newer version", setter("version", value=VERSION + 1), "newer than this omniroute"),
    ("version zero", setter("version", value=0), "positive integer"),
    ("version bool", setter("version", value=True), "positive integer"),
    ("missing field", deleter("counters"), r"\$: missing field\(s\) \['counters'\]"),
    ("unknown field", setter("extra", value=1), r"unexpected field\(s\) \['extra'\]"),
    ("wrong type", setter("now", value="soon"), r"\$\.now: expected a number"),
    ("not finite", setter("now", value=math.nan), "finite"),
    ("negative counter", setter("counters", "joined", value=-1), ">= 0"),
    (
        "waiting since after now",
        setter("conversations", 0, "enqueued_at", value=1e9),
        r"\$\.conversations\[0\]\.enqueued_at: 1000000000\.0 is after the snapshot's now",
    ),
    (
        "told after now",
        setter("conversations", 0, "told_at", value=1e9),
        r"conversations\[0\]\.told_at: .* after the snapshot's now",
    ),
    (
        "a status since after now",
        setter("operators", 0, "status_since", value=1e9),
        r"\$\.operators\[0\]\.status_since: .* after the snapshot's now",
    ),
    (
        "idle since after now",
        setter("operators", 0, "idle_since", value=1e9),
        r"\$\.operators\[0\]\.idle_since: .* after the snapshot's now",
    ),
    ("now before what happened", setter("now", value=-100.0), "after the snapshot's now"),
    (
        "a visit after now",
        setter("history", "customers", 0, "visits", 0, "started_at", value=1e9),
        r"\$\.history: a visit at 1000000000\.0, after the snapshot's now",
    ),
    (
        "statistics after now",
        setter("metrics", "last", value=1e9),
        r"\$\.metrics\.last: 1000000000\.0 is after the snapshot's now",
    ),
    (
        "assigned before it waited",
        setter("conversations", 0, "assigned_at", value=-50.0),
        r"conversations\[0\]\.assigned_at: -50\.0 is before enqueued_at",
    ),
    (
        "negative time on hold",
        setter("conversations", 0, "held_for", value=-1.0),
        r"conversations\[0\]\.held_for: must be >= 0",
    ),
    (
        "in an unknown group",
        setter("conversations", 0, "group", value="nope"),
        r"conversations\[0\]\.group: unknown group 'nope'",
    ),
    (
        "a line that is not a queue's",
        setter("estimates", "lines", 0, "line", value=7),
        r"\$\.estimates\.lines\[0\]\.line: expected \[\[group",
    ),
    (
        "a line with a bad requirement",
        setter("estimates", "lines", 0, "line", value=[["sales"], "chat", [["de", "x"]], None]),
        r"estimates\.lines\[0\]\.line",
    ),
    (
        "unknown strategy",
        setter("groups", 0, "strategy", value="psychic"),
        r"groups\[0\]\.strategy: group 'sales' uses strategy 'psychic'",
    ),
    (
        "bad round-robin pointer",
        setter("groups", 0, "strategy_state", value=["x"]),
        r"strategy_state: 'round_robin' refused it",
    ),
    (
        "state for a stateless strategy",
        setter("groups", 1, "strategy_state", value=[1]),
        "has no load_state",
    ),
    ("duplicate group", duplicate_entry("groups"), "group ids are not unique"),
    ("duplicate operator", duplicate_entry("operators"), "operator 'dan' appears twice"),
    (
        "duplicate conversation",
        duplicate_entry("conversations"),
        "conversation 'v1' appears twice",
    ),
    (
        "reused join number",
        setter("operators", 3, "joined", value=1),
        "operator 'dan' reuses number 1",
    ),
    ("join number beyond counter", setter("operators", 3, "joined", value=99), r"1\.\.4"),
    ("seq beyond counter", setter("conversations", 0, "seq", value=999), r"1\.\.8"),
    (
        "operator of an unknown group",
        setter("operators", 0, "operator", "groups", value=["nope"]),
        r"unknown group\(s\) \['nope'\]",
    ),
    (
        "conversation of an unknown group",
        setter("conversations", 0, "groups", value=["nope"]),
        r"unknown group\(s\) \['nope'\]",
    ),
    ("invalid model value", setter("operators", 0, "operator", "id", value=""), "non-empty"),
    ("bad capacity", setter("operators", 0, "operator", "capacity", "total", value=0), "total"),
    ("unknown status", setter("operators", 0, "status", value="asleep"), "unknown status"),
    ("unknown state", setter("conversations", 0, "state", value="lost"), "expected one of"),
    ("held twice", hold_twice, "is not an assigned conversation|also held"),
    ("holds a waiting one", hold_a_waiting_one, "is not an assigned, held or offered"),
    (
        "assigned, held by nobody",
        setter("operators", 0, "conversations", value=[]),
        "is assigned but nobody holds it",
    ),
    (
        "assigned without a time",
        lambda d: d["conversations"][first_assigned(d)].update(assigned_at=None),
        "must be set exactly when assigned",
    ),
    (
        "over a limit",
        setter("operators", 0, "operator", "capacity", "total", value=1),
        "operator 'ann' holds 2 conversations, total limit is 1",
    ),
    (
        "OFFLINE holding work",
        setter("operators", 0, "status", value="offline"),
        "operator 'ann' is OFFLINE",
    ),
    ("idle beside waiting work", free_beside_work, "operator 'dan' is free to take"),
]


class TestBadSnapshots:
    @pytest.mark.parametrize(
        ("mutate", "message"),
        [case[1:] for case in BAD_SNAPSHOTS],
        ids=[case[0] for case in BAD_SNAPSHOTS],
    )
    def test_refused_with_a_clear_error(
        self, mutate: Callable[[dict[str, Any]], None], message: str
    ) -> None:
        data = corrupt(mutate)
        with pytest.raises(SnapshotError, match=message):
            Router.restore(data)
        with pytest.raises(SnapshotError, match=message):
            Router.restore(json.dumps(data))

    @pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '"x"', b"\xff\xfe", "[" * 100000])
    def test_not_a_snapshot_at_all(self, text: str | bytes) -> None:
        with pytest.raises(SnapshotError):
            Router.restore(text)

    def test_does_not_touch_the_callers_data(self) -> None:
        data = busy_router().snapshot()
        before = copy.deepcopy(data)
        Router.restore(data)
        assert data == before


# -- fuzzing -------------------------------------------------------------------------

# Values the host chooses freely: any key or any level is valid, so they are not
# "fields" whose loss or change of type must be refused.
FREE_FORM = {
    "skills",
    "requires",
    "per_channel",
    "cost",
    "metadata",
    "release_held_after",
    "thresholds",
}


@st.composite
def valid_snapshots(draw: st.DrawFn) -> dict[str, Any]:
    """A snapshot of a random Router with work assigned and waiting."""
    clock = FakeClock()
    config = draw(router_configs())
    router = config.build(clock)
    plan = st.tuples(st.sampled_from(sorted(config.groups)), st.sampled_from(["chat", "voice"]))
    for i, (group, channel) in enumerate(draw(st.lists(plan, min_size=1, max_size=12))):
        clock.advance(draw(st.sampled_from([0.0, 0.5, 2.0])))
        router.submit(Conversation(f"c{i}", channel=channel, group=group, metadata={"n": i}))
    return router.snapshot()


def fields(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every field of every record, outside free-form mappings."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append(((*path, key), value))
            if key not in FREE_FORM:
                found += fields(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.append(((*path, i), value))
            found += fields(value, (*path, i))
    return found


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


OTHER_VALUES = [True, 7, 2.5, -1, "text", [], [1], {}, {"a": 1}]


def locate(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    for key in path[:-1]:
        data = data[key]
    return data, path[-1]


@given(valid_snapshots(), st.data())
def test_fuzz_a_dropped_field_is_refused(data: dict[str, Any], draw: st.DataObject) -> None:
    record_fields = [path for path, _ in fields(data) if isinstance(path[-1], str)]
    parent, key = locate(data, draw.draw(st.sampled_from(record_fields)))
    del parent[key]
    with pytest.raises(SnapshotError):
        Router.restore(json.dumps(data))


@given(valid_snapshots(), st.data())
def test_fuzz_a_value_of_the_wrong_type_is_refused(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    # A null's proper type is unknown here (a nullable field): leave those out.
    path, value = draw.draw(st.sampled_from([f for f in fields(data) if f[1] is not None]))
    others = [v for v in OTHER_VALUES if json_kind(v) != json_kind(value)]
    parent, key = locate(data, path)
    parent[key] = draw.draw(st.sampled_from(others))
    with pytest.raises(SnapshotError):
        Router.restore(json.dumps(data))


@given(valid_snapshots(), st.data())
def test_fuzz_truncated_json_is_refused(data: dict[str, Any], draw: st.DataObject) -> None:
    text = json.dumps(data)
    cut = draw.draw(st.integers(0, len(text) - 1))
    with pytest.raises(SnapshotError):
        Router.restore(text[:cut])


@given(valid_snapshots(), st.data())
def test_fuzz_any_edit_gives_an_error_or_a_sound_router(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    """Swapped values, dropped list entries, edits inside free-form maps: some are
    still valid snapshots. Either way nothing but SnapshotError escapes, and a
    Router that comes back keeps every invariant and round-trips."""
    for _ in range(draw.draw(st.integers(1, 3))):
        path, _value = draw.draw(st.sampled_from(fields(data) or [((), None)]))
        if not path:
            break
        parent, key = locate(data, path)
        if draw.draw(st.booleans()):
            del parent[key]
        else:
            value = draw.draw(st.sampled_from([v for _, v in fields(data)] + OTHER_VALUES))
            parent[key] = copy.deepcopy(value)  # a copy: never a cycle
    try:
        router = Router.restore(json.dumps(data))
    except SnapshotError:
        return
    check_invariants(router)
    assert Router.restore(router.snapshot()).snapshot() == router.snapshot()


@given(
    st.one_of(
        # Not 1..VERSION: a current snapshot labelled older reads as that version,
        # whose reader knows every later field, so it is (rightly) not refused.
        st.integers().filter(lambda v: not 1 <= v <= VERSION),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    ),
    st.sampled_from(["version", "schema"]),
)
def test_fuzz_a_bad_version_or_schema_is_refused(value: Any, key: str) -> None:
    if key == "schema" and value == "omniroute.snapshot":
        return
    data = busy_router().snapshot()
    data[key] = value
    with pytest.raises(SnapshotError, match=r"version|schema"):
        Router.restore(json.dumps(data))


# -- routing policies ----------------------------------------------------------------


def policy_router(clock: FakeClock | None = None) -> Router:
    """State only policies make: rules, an offer, a decline, an escalation that kept
    its first group, a relaxation step, work kept for an OFFLINE operator."""
    clock = clock or FakeClock()
    router = Router(clock=clock)
    router.add_group(Group("general", keep_on_leave=60))
    keep = Overflow(to="general", after=10, keep=True)
    router.add_group(Group("desk", offers=Offers(timeout=30), overflow=keep, aging=5))
    router.set_rules(Rules([Rule("desk", when={"topic": "vip"})], default="general"))
    router.add_operator(Operator("eve", groups={"desk"}, skills={"x": 1}))
    router.add_operator(Operator("gus", groups={"general"}))
    router.add_operator(Operator("max", groups={"desk"}, skills={"x": 1}))
    for name in ("eve", "gus", "max"):
        router.set_status(name, Status.ONLINE)
    router.submit(Conversation("g1", channel="chat"))  # gus takes it
    router.set_status("gus", Status.OFFLINE)  # …and keeps it for 60 s
    router.submit(Conversation("d1", channel="chat", metadata={"topic": "vip"}))
    router.reject("d1", router.conversation("d1").offered_to[0])  # offered to the other
    relax = [Relaxation(5, {"x": 1}), Relaxation(50, {})]
    router.submit(Conversation("d2", channel="chat", group="desk", requires={"x": 2}, relax=relax))
    router.submit(Conversation("d3", channel="chat", group="desk", priority=1))
    clock.advance(20)
    router.tick()  # d2 relaxes; d2 and d3 overflow, keeping "desk"
    return router


POLICY_SNAPSHOTS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "overflow to a later group",
        lambda d: d["groups"].reverse(),
        r"overflows to 'general', which is not a group added before it",
    ),
    ("bad discipline", setter("groups", 0, "settings", "discipline", value="random"), "fifo"),
    ("bad offers", setter("groups", 1, "settings", "offers", "ring", value=0), "ring"),
    ("rules to an unknown group", setter("rules", "default", value="nope"), "nope"),
    ("offered without a time", setter("conversations", 1, "offered_at", value=None), "offered"),
    ("a time but not offered", setter("conversations", 2, "offered_at", value=1.0), "offered"),
    ("step beyond the steps", setter("conversations", 2, "step", value=3), r"0\.\.2"),
    ("groups not ending with its group", setter("conversations", 2, "group", value="desk"), "end"),
    (
        "kept by a group that keeps nothing",
        setter("groups", 0, "settings", "keep_on_leave", value=0.0),
        "OFFLINE and its group does not keep",
    ),
    ("offered to nobody", setter("operators", 2, "conversations", value=[]), "nobody holds it"),
]


class TestPolicySnapshots:
    def test_the_round_trip_keeps_every_decision(self) -> None:
        clock = FakeClock()
        router = policy_router(clock)
        kinds_seen = {c.state.value for c in router.conversations()}
        assert kinds_seen == {"assigned", "offered", "queued"}
        data = json.loads(json.dumps(router.snapshot()))
        restored = Router.restore(data, clock=clock)
        check_invariants(restored)
        assert restored.snapshot() == router.snapshot()
        clock.advance(40)
        assert restored.tick() == router.tick()  # offer expiry, keep timer, relaxation
        assert restored.snapshot() == router.snapshot()

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [case[1:] for case in POLICY_SNAPSHOTS],
        ids=[case[0] for case in POLICY_SNAPSHOTS],
    )
    def test_refused_with_a_clear_error(
        self, mutate: Callable[[dict[str, Any]], None], message: str
    ) -> None:
        data = json.loads(json.dumps(policy_router().snapshot()))
        mutate(data)
        with pytest.raises(SnapshotError, match=message):
            Router.restore(data)

    def test_a_version_1_snapshot_restores(self) -> None:
        """Written before policies: no settings, rules, offers or relaxation."""
        router = busy_router()
        data = json.loads(json.dumps(router.snapshot()))
        data["version"] = 1
        del data["rules"]
        for group in data["groups"]:
            del group["settings"]
        for operator in data["operators"]:
            del operator["missed"], operator["operator"]["bot"]
        for record in data["conversations"]:
            for name in ("group", "groups", "step", "entered_at", "offered_at", "declined"):
                del record[name]
            del record["conversation"]["relax"]
        assert Router.restore(data).snapshot() == router.snapshot()

    def test_version_2_fields_are_required_in_version_2(self) -> None:
        data = json.loads(json.dumps(busy_router().snapshot()))
        del data["operators"][0]["operator"]["bot"]
        with pytest.raises(SnapshotError, match=r"missing field\(s\) \['bot'\]"):
            Router.restore(data)


# -- the previous version's data -----------------------------------------------------

PREVIOUS = Path(__file__).parent / "data" / "v4_from_568ec10.json"


def same_but_newer(new: dict[str, Any], old: dict[str, Any]) -> None:
    """``new`` is ``old`` in this version's format: the version, and statistics that
    carried nothing in."""
    assert new["version"] == VERSION
    skip = {"version", "metrics"}
    assert {k: v for k, v in new.items() if k not in skip} == {
        k: v for k, v in old.items() if k not in skip
    }
    if old["metrics"] is not None:
        assert new["metrics"] == {**old["metrics"], "carried": []}


def test_the_previous_versions_snapshots_restore_and_its_journals_replay() -> None:
    """Written by commit 568ec10 (snapshot version 4): busy_router, policy_router and
    a journal from nothing."""
    data = json.loads(PREVIOUS.read_text(encoding="utf-8"))
    for name in ("busy", "policies"):
        old = data[name]["snapshot"]
        restored = Router.restore(old, clock=FakeClock(old["now"]))
        check_invariants(restored)
        same_but_newer(restored.snapshot(), old)
    journal = data["journal"]
    replayed = Router.replay(None, journal["events"], clock=FakeClock(journal["now"]))
    check_invariants(replayed)
    same_but_newer(replayed.snapshot(), journal["final"])
