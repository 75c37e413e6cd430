"""The customer history store on its own: its bounds (per customer, customers, age),
what it remembers of a conversation, the routing question it answers, its snapshot
form, and a stateful test against a naive model made of plain lists.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from omniroute.errors import ConfigurationError, SnapshotError, ValidationError
from omniroute.history import _COMPACT_AT, History, HistoryLimits, Record, Visit

ANYONE: Callable[[str], bool] = lambda operator: True  # noqa: E731 - a tiny predicate


def fail(path: str, reason: str) -> SnapshotError:
    return SnapshotError(f"{path}: {reason}")


def history(**limits: Any) -> History:
    return History(HistoryLimits(**limits))


def ids(store: History, customer: str) -> list[str]:
    """The customer's conversation ids, newest first."""
    return [visit.conversation_id for visit in store.of(customer)]


def visit(conversation_id: str, **fields: Any) -> dict[str, Any]:
    """An encoded visit, ended and served unless told otherwise."""
    return {
        "conversation_id": conversation_id,
        "channel": "chat",
        "group": "sales",
        "operators": ["o1"],
        "started_at": 1.0,
        "served_at": 2.0,
        "ended_at": 3.0,
        "outcome": "finished",
        **fields,
    }


class TestLimits:
    def test_defaults(self) -> None:
        """Ten entries a customer, thirty days, a hundred thousand customers."""
        limits = HistoryLimits()
        assert (
            limits.per_customer,
            limits.max_age,
            limits.max_customers,
        ) == (10, 30 * 86400.0, 100_000)

    def test_unbounded_by_age_or_customers(self) -> None:
        """None turns the age and customer bounds off; an int age is fine."""
        assert HistoryLimits(max_age=None, max_customers=None).max_age is None
        assert HistoryLimits(max_age=60).max_age == 60

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("per_customer", 0),
            ("per_customer", True),
            ("per_customer", 2.0),
            ("per_customer", None),
            ("per_customer", "3"),
            ("max_customers", 0),
            ("max_customers", False),
            ("max_customers", 1.5),
            ("max_age", 0),
            ("max_age", -1.0),
            ("max_age", math.inf),
            ("max_age", math.nan),
            ("max_age", True),
            ("max_age", "60"),
        ],
    )
    def test_malformed(self, field: str, value: Any) -> None:
        """A bad limit raises ConfigurationError (a ValidationError) naming the field
        and the value."""
        with pytest.raises(ConfigurationError, match=f"{field} must be .*got {value!r}"):
            HistoryLimits(**{field: value})
        assert issubclass(ConfigurationError, ValidationError)


class TestRecord:
    def test_operators_without_consecutive_repeats(self) -> None:
        """Served again by the same operator (held, resumed) counts once; coming back
        after someone else counts again. served_at follows the last service."""
        store = history()
        record = store.start("alice", "c1", "chat", "sales", 0.0)
        for t, operator in enumerate(["bob", "bob", "eve", "bob", "bob"], start=1):
            record.served_by(operator, float(t))
        [seen] = store.of("alice")
        assert seen.operators == ("bob", "eve", "bob")
        assert seen.served_at == 5.0

    def test_moved_and_live_view(self) -> None:
        """A live entry shows its current group, no end and no outcome."""
        store = history()
        record = store.start("alice", "c1", "voice", "sales", 7.0)
        record.moved("support")
        expected = Visit(
            conversation_id="c1",
            channel="voice",
            group="support",
            operators=(),
            started_at=7.0,
            served_at=None,
            ended_at=None,
            outcome=None,
        )
        assert [expected] == store.of("alice")

    def test_end(self) -> None:
        """Ending sets when and how."""
        store = history()
        record = store.start("alice", "c1", "chat", "sales", 0.0)
        store.end(record, "abandoned", 9.0)
        [seen] = store.of("alice")
        assert (seen.ended_at, seen.outcome) == (9.0, "abandoned")


class TestBounds:
    def test_newest_first_across_channels(self) -> None:
        """of() lists every channel's conversations, newest first; [] for a stranger."""
        store = history()
        for n, channel in enumerate(["chat", "voice", "email"]):
            store.start("alice", f"c{n}", channel, "sales", float(n))
        assert ids(store, "alice") == ["c2", "c1", "c0"]
        assert [v.channel for v in store.of("alice")] == ["email", "voice", "chat"]
        assert store.of("bob") == []
        assert (len(store), store.customers()) == (3, 1)

    def test_per_customer(self) -> None:
        """Only the newest per_customer entries stay, live or not; other customers
        keep theirs."""
        store = history(per_customer=2)
        store.start("bob", "b0", "chat", "sales", 0.0)
        for n in range(5):
            store.start("alice", f"c{n}", "chat", "sales", float(n))
        assert ids(store, "alice") == ["c4", "c3"]
        assert ids(store, "bob") == ["b0"]
        assert len(store) == 3
        store._check()

    def test_max_customers_forgets_least_recently_active(self) -> None:
        """Starting a conversation makes a customer the most recently active; a new
        customer beyond the limit forgets the least recently active one, whole.
        Being served does not count as activity."""
        store = history(max_customers=2)
        a = store.start("alice", "a0", "chat", "sales", 0.0)
        store.start("bob", "b0", "chat", "sales", 1.0)
        store.start("alice", "a1", "chat", "sales", 2.0)  # alice is active again
        a.served_by("o1", 3.0)
        store.start("carol", "c0", "chat", "sales", 4.0)  # forgets bob
        assert store.of("bob") == []
        assert ids(store, "alice") == ["a1", "a0"]
        store.start("dave", "d0", "chat", "sales", 5.0)  # forgets alice
        assert (store.of("alice"), ids(store, "carol"), ids(store, "dave")) == ([], ["c0"], ["d0"])
        assert (len(store), store.customers()) == (2, 2)
        store._check()

    def test_end_of_an_evicted_record_is_harmless(self) -> None:
        """The Router may end (or serve) a conversation whose entry was already
        forgotten: nothing changes, and it never expires anything later."""
        store = history(per_customer=1, max_age=10.0)
        old = store.start("alice", "c0", "chat", "sales", 0.0)
        store.start("alice", "c1", "chat", "sales", 1.0)
        old.served_by("o1", 2.0)
        old.moved("support")
        store.end(old, "finished", 3.0)
        assert ids(store, "alice") == ["c1"]
        assert len(store) == 1
        store._check()
        assert store.expire(100.0) == 0  # c1 is live
        assert ids(store, "alice") == ["c1"]

    def test_expiry_queue_stays_bounded(self) -> None:
        """Ended entries forgotten by size do not pile up in the expiry queue."""
        store = history(per_customer=1, max_age=1e9)
        for n in range(10 * _COMPACT_AT):
            store.end(store.start("alice", f"c{n}", "chat", "g", float(n)), "finished", float(n))
            store._check()
        assert store._ended is not None
        assert len(store._ended) <= 2 * len(store) + _COMPACT_AT + 1

    def test_scattered_evictions_are_compacted(self) -> None:
        """Forgotten entries in the middle of the queue are compacted away too."""
        store = history(per_customer=1, max_age=1e9, max_customers=None)
        store.end(store.start("keep", "k", "chat", "g", 0.0), "finished", 0.0)
        for n in range(4 * _COMPACT_AT):
            store.end(store.start(f"x{n}", f"c{n}", "chat", "g", 1.0), "finished", 1.0)
        for n in range(4 * _COMPACT_AT):
            store.forget(f"x{n}")
            store._check()
        assert store._ended is not None
        assert len(store._ended) <= 2 * len(store) + _COMPACT_AT + 1
        assert ids(store, "keep") == ["k"]


class TestExpire:
    def test_boundary(self) -> None:
        """An entry is forgotten once it ended max_age seconds ago, not before."""
        store = history(max_age=5.0)
        record = store.start("alice", "c0", "chat", "sales", 0.0)
        store.end(record, "finished", 10.0)
        assert store.expire(14.5) == 0
        assert ids(store, "alice") == ["c0"]
        assert store.expire(15.0) == 1
        assert record.customer is None  # no longer kept
        assert (store.of("alice"), len(store), store.customers()) == ([], 0, 0)
        store._check()

    def test_by_end_not_by_start(self) -> None:
        """Age counts from the end: a newer entry that ended first goes first, and a
        live one never ages out."""
        store = history(max_age=5.0)
        live = store.start("alice", "c0", "chat", "sales", 0.0)
        long = store.start("alice", "c1", "chat", "sales", 1.0)
        short = store.start("alice", "c2", "chat", "sales", 2.0)
        store.end(short, "finished", 3.0)
        store.end(long, "finished", 20.0)
        assert store.expire(8.0) == 1
        assert ids(store, "alice") == ["c1", "c0"]
        assert store.expire(1000.0) == 1
        assert ids(store, "alice") == ["c0"]
        store.end(live, "abandoned", 1000.0)
        assert store.expire(1005.0) == 1
        assert store.customers() == 0
        store._check()

    def test_never_by_age(self) -> None:
        """With max_age=None nothing expires and no expiry queue is kept."""
        store = history(max_age=None)
        store.end(store.start("alice", "c0", "chat", "sales", 0.0), "finished", 1.0)
        assert store.expire(1e12) == 0
        assert store._ended is None
        assert ids(store, "alice") == ["c0"]


class TestForget:
    def test_forget(self) -> None:
        """Forgetting a customer drops all their entries; their live record may still
        be told things, harmlessly. Unknown customers are a no-op."""
        store = history(max_age=5.0)
        live = store.start("alice", "c0", "chat", "sales", 0.0)
        store.end(store.start("alice", "c1", "chat", "sales", 1.0), "finished", 2.0)
        store.start("bob", "b0", "chat", "sales", 3.0)
        store.forget("alice")
        store.forget("nobody")
        live.served_by("o1", 4.0)
        store.end(live, "finished", 5.0)
        assert (
            store.of("alice"),
            ids(store, "bob"),
            len(store),
            store.customers(),
        ) == ([], ["b0"], 1, 1)
        assert store.expire(100.0) == 0
        store._check()


class TestLastOperator:
    def store(self) -> History:
        """alice: c0 served by o1 then o2 at 10; c1 served by o3 at 20; c2 unserved."""
        store = history()
        c0 = store.start("alice", "c0", "chat", "sales", 0.0)
        c0.served_by("o1", 5.0)
        c0.served_by("o2", 10.0)
        store.end(c0, "finished", 11.0)
        c1 = store.start("alice", "c1", "voice", "sales", 15.0)
        c1.served_by("o3", 20.0)
        store.end(c1, "finished", 21.0)
        store.start("alice", "c2", "chat", "sales", 30.0)
        return store

    @pytest.mark.parametrize(
        ("since", "eligible", "expected"),
        [
            (0.0, ANYONE, "o3"),
            (20.0, ANYONE, "o3"),  # served_at == since counts
            (20.5, ANYONE, None),
            (0.0, lambda op: op != "o3", "o2"),  # then the last of the entry before
            (0.0, lambda op: op == "o1", "o1"),  # then that entry's earlier ones
            (10.0, lambda op: op == "o1", "o1"),  # since applies to the entry's served_at
            (10.5, lambda op: op == "o1", None),
            (0.0, lambda op: False, None),
        ],
    )
    def test_last_operator(
        self, since: float, eligible: Callable[[str], bool], expected: str | None
    ) -> None:
        """Newest entry first, its last operator first, only entries served since
        ``since``, only operators ``eligible`` accepts."""
        assert expected == self.store().last_operator("alice", since, eligible)

    def test_unknown_customer(self) -> None:
        """A customer it does not remember has no last operator."""
        assert self.store().last_operator("bob", 0.0, ANYONE) is None


class TestCodec:
    def store(self) -> tuple[History, Record]:
        """a: k2, k4; d: k6 (live); b: k5, k7 — in that recency order; c forgotten,
        and k0, k1 evicted by size."""
        store = history(per_customer=2, max_customers=3, max_age=10.0)
        t = 0.0
        for n, customer in enumerate("abacabdb"):
            t += 1.0
            record = store.start(customer, f"k{n}", ["chat", "voice"][n % 2], "g", t)
            if n % 3:
                record.served_by(f"o{n % 2}", t)
                record.served_by("o9", t + 0.25)
            if n != 6:
                store.end(record, "finished" if n % 2 else "abandoned", t + 0.25 * (n % 3))
            else:
                live = record
        store._check()
        return store, live

    def test_round_trip(self) -> None:
        """decode(encode()) remembers the same visits of every customer, in the same
        recency order, and hands back the live records by conversation id."""
        store, live = self.store()
        data = json.loads(json.dumps(store.encode()))
        assert store.encode() == data
        again, records = History.decode(store.limits, data, fail)
        again._check()
        assert data == again.encode()
        assert [c["id"] for c in data["customers"]] == ["a", "d", "b"]
        assert ids(again, "a") == ["k4", "k2"]
        for customer in "abcd":
            assert store.of(customer) == again.of(customer)
        assert (len(store), store.customers()) == (len(again), again.customers())
        assert list(records) == ["k6"]
        assert live.view() == records["k6"].view()

    def test_relinked_live_record(self) -> None:
        """The live record decode returns is the store's own entry."""
        store, _ = self.store()
        again, records = History.decode(store.limits, store.encode(), fail)
        records["k6"].served_by("o5", 20.0)
        again.end(records["k6"], "finished", 21.0)
        [seen] = again.of("d")
        assert (seen.operators, seen.outcome) == (("o5",), "finished")
        again._check()

    def test_behaves_the_same_after(self) -> None:
        """After a round trip the store evicts and expires exactly as the original."""
        store, _ = self.store()
        again, _ = History.decode(store.limits, store.encode(), fail)
        for t in [9.0, 12.0, 15.0, 18.0, 25.0]:
            assert store.expire(t) == again.expire(t)
            assert store.encode() == again.encode()
        store, _ = self.store()
        again, _ = History.decode(store.limits, store.encode(), fail)
        for n, customer in enumerate(["e", "b", "f", "g"]):
            store.start(customer, f"new{n}", "chat", "g", 30.0)
            again.start(customer, f"new{n}", "chat", "g", 30.0)
            assert store.encode() == again.encode()

    def test_expiry_order_is_the_order_they_ended(self) -> None:
        """Entries that ended in another order than they are encoded in (an older
        customer's, an older visit's ending last) expire in the order they ended."""
        store = history(max_age=10.0, max_customers=None)
        late = store.start("a", "a0", "chat", "g", 0.0)
        early = store.start("a", "a1", "chat", "g", 1.0)
        b = store.start("b", "b0", "chat", "g", 2.0)
        store.end(early, "finished", 3.0)
        store.end(b, "finished", 4.0)
        store.end(late, "finished", 5.0)
        again, _ = History.decode(store.limits, store.encode(), fail)
        again._check()
        assert again._ended is not None
        assert [r.conversation_id for r in again._ended] == ["a1", "b0", "a0"]
        assert again.expire(13.0) == 1
        assert ids(again, "a") == ["a0"]

    def test_trimmed_to_smaller_limits(self) -> None:
        """Data saved under larger limits is trimmed as start() would."""
        store, _ = self.store()
        smaller = HistoryLimits(per_customer=1, max_customers=2, max_age=10.0)
        again, _ = History.decode(smaller, store.encode(), fail)
        again._check()
        assert (len(again), again.customers()) == (2, 2)
        assert [[], store.of("b")[:1], store.of("d")] == [again.of(c) for c in "abd"]
        smallest = HistoryLimits(per_customer=1, max_customers=1, max_age=10.0)
        again, records = History.decode(smallest, store.encode(), fail)
        again._check()
        assert again.of("d") == []
        assert store.of("b")[:1] == again.of("b")
        assert records["k6"].customer is None  # forgotten, but still a live record
        assert again.expire(1000.0) == 1

    MALFORMED: ClassVar[list[tuple[Callable[[Any], Any], str, str]]] = [
        (lambda d: [], "history", "expected an object"),
        (lambda d: {}, "history", "missing field(s) ['customers']"),
        (lambda d: {**d, "x": 1}, "history", "unexpected field(s) ['x']"),
        (lambda d: {"customers": {}}, "history.customers", "expected a list"),
        (lambda d: {"customers": [1]}, "history.customers[0]", "expected an object"),
        (
            lambda d: {"customers": [{"id": "", "visits": [visit("a")]}]},
            "history.customers[0].id",
            "non-empty string",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": []}]},
            "history.customers[0].visits",
            "non-empty list",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", channel=3)]}]},
            "history.customers[0].visits[0].channel",
            "expected a non-empty string, got int 3",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", started_at=math.nan)]}]},
            "history.customers[0].visits[0].started_at",
            "finite number",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", served_at=True)]}]},
            "history.customers[0].visits[0].served_at",
            "a boolean",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", operators=["o1", "o1"])]}]},
            "history.customers[0].visits[0].operators[1]",
            "repeats",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", operators=[])]}]},
            "history.customers[0].visits[0].served_at",
            "exactly when operators",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", ended_at=None)]}]},
            "history.customers[0].visits[0].outcome",
            "exactly when ended_at",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", served_at=0.5)]}]},
            "history.customers[0].visits[0].served_at",
            "before started_at",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [visit("a", ended_at=1.5)]}]},
            "history.customers[0].visits[0].ended_at",
            "before it started or was served",
        ),
        (
            lambda d: {"customers": [{"id": "x", "visits": [{**visit("a"), "extra": 1}]}]},
            "history.customers[0].visits[0]",
            "unexpected field(s) ['extra']",
        ),
        (
            lambda d: {
                "customers": [{"id": "x", "visits": [visit("a", started_at=1.5), visit("b")]}]
            },
            "history.customers[0].visits[1].started_at",
            "oldest first",
        ),
        (
            lambda d: {
                "customers": [
                    {"id": "x", "visits": [visit("a")]},
                    {"id": "x", "visits": [visit("b")]},
                ]
            },
            "history.customers[1].id",
            "appears twice",
        ),
        (
            lambda d: {
                "customers": [
                    {"id": "x", "visits": [visit("a", ended_at=None, outcome=None)]},
                    {"id": "y", "visits": [visit("a", ended_at=None, outcome=None)]},
                ]
            },
            "history.customers[1].visits[0].conversation_id",
            "live conversation 'a' appears twice",
        ),
    ]

    @pytest.mark.parametrize(("mutate", "path", "reason"), MALFORMED)
    def test_malformed(self, mutate: Callable[[Any], Any], path: str, reason: str) -> None:
        """Malformed data raises fail(path, reason) for the first bad field."""
        store, _ = self.store()
        data = mutate(copy.deepcopy(store.encode()))
        with pytest.raises(SnapshotError) as caught:
            History.decode(store.limits, data, fail)
        message = str(caught.value)
        assert message.startswith(f"{path}: "), message
        assert reason in message

    def test_ended_twice_by_the_same_id_is_fine(self) -> None:
        """Conversation ids may repeat among ended entries (a host reusing ids)."""
        data = {"customers": [{"id": "x", "visits": [visit("a"), visit("a", started_at=2.0)]}]}
        store, live = History.decode(HistoryLimits(), data, fail)
        assert (live, len(store)) == ({}, 2)


# -- the stateful test against a naive model ---------------------------------------


class Entry:
    """The model of one conversation's entry: plain fields, plain list."""

    def __init__(self, conversation_id: str, channel: str, group: str, now: float) -> None:
        self.conversation_id, self.channel, self.group = conversation_id, channel, group
        self.operators: list[str] = []
        self.started_at = now
        self.served_at: float | None = None
        self.ended_at: float | None = None
        self.outcome: str | None = None

    def visit(self) -> Visit:
        return Visit(
            conversation_id=self.conversation_id,
            channel=self.channel,
            group=self.group,
            operators=tuple(self.operators),
            started_at=self.started_at,
            served_at=self.served_at,
            ended_at=self.ended_at,
            outcome=self.outcome,
        )


class Handle:
    """What the Router keeps on a live ticket: the record (replaced after a round
    trip through encode/decode) and, for the test, the model entry."""

    def __init__(self, record: Record, entry: Entry) -> None:
        self.record = record
        self.entry = entry


CUSTOMERS = ["a", "b", "c", "d"]
OPERATORS = ["o1", "o2", "o3"]
DT = st.sampled_from([0.0, 0.5, 1.0, 2.5])
BACK = [0.0, 1.0, math.inf]  # last_operator's since, as seconds before now
ELIGIBLE = [frozenset(OPERATORS), frozenset({"o1"}), frozenset({"o1", "o2"})]


class HistoryMachine(RuleBasedStateMachine):
    live = Bundle("live")

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.seq = 0
        self.model: dict[str, list[Entry]] = {}  # least recently active first
        self.handles: list[Handle] = []

    @initialize(
        per_customer=st.integers(1, 3),
        max_age=st.sampled_from([1.0, 2.5, None]),
        max_customers=st.sampled_from([1, 2, 3, None]),
    )
    def setup(self, per_customer: int, max_age: float | None, max_customers: int | None) -> None:
        self.limits = HistoryLimits(
            per_customer=per_customer, max_age=max_age, max_customers=max_customers
        )
        self.store = History(self.limits)

    # Time moves on before starts, ends and expiries, by steps that land exactly on
    # the ages (1.0, 2.5) so the boundaries get tested.
    @rule(
        target=live,
        customer=st.sampled_from(CUSTOMERS),
        channel=st.sampled_from(["c", "v"]),
        dt=DT,
    )
    def start(self, customer: str, channel: str, dt: float) -> Handle:
        self.now += dt
        self.seq += 1
        conversation_id = f"k{self.seq}"
        record = self.store.start(customer, conversation_id, channel, "g0", self.now)
        entry = Entry(conversation_id, channel, "g0", self.now)
        visits = self.model.pop(customer, [])
        visits.append(entry)
        del visits[: -self.limits.per_customer]
        self.model[customer] = visits
        limit = self.limits.max_customers
        if limit is not None and len(self.model) > limit:
            del self.model[next(iter(self.model))]
        handle = Handle(record, entry)
        self.handles.append(handle)
        return handle

    @rule(
        handle=live,
        operator=st.sampled_from(OPERATORS),
        group=st.sampled_from([None, "g1", "g2"]),
    )
    def served_by(self, handle: Handle, operator: str, group: str | None) -> None:
        """Served, after moving to another group first if ``group`` is given (one rule
        for both keeps the machine's few steps on the interesting ones)."""
        entry = handle.entry
        if group is not None:
            handle.record.moved(group)
            entry.group = group
        handle.record.served_by(operator, self.now)
        if not entry.operators or entry.operators[-1] != operator:
            entry.operators.append(operator)
        entry.served_at = self.now

    @rule(handle=consumes(live), outcome=st.sampled_from(["finished", "abandoned"]), dt=DT)
    def end(self, handle: Handle, outcome: str, dt: float) -> None:
        self.now += dt
        self.store.end(handle.record, outcome, self.now)
        handle.entry.ended_at, handle.entry.outcome = self.now, outcome
        self.handles.remove(handle)

    @rule(dt=DT)
    def expire(self, dt: float) -> None:
        self.now += dt
        dropped = self.store.expire(self.now)
        expected = 0
        if self.limits.max_age is not None:
            cutoff = self.now - self.limits.max_age
            for customer, visits in list(self.model.items()):
                kept = [e for e in visits if e.ended_at is None or e.ended_at > cutoff]
                expected += len(visits) - len(kept)
                if kept:
                    self.model[customer] = kept
                else:
                    del self.model[customer]
            for customer in CUSTOMERS:
                for seen in self.store.of(customer):
                    assert seen.ended_at is None or seen.ended_at > cutoff
        assert expected == dropped

    @rule(customer=st.sampled_from(CUSTOMERS))
    def forget(self, customer: str) -> None:
        self.store.forget(customer)
        self.model.pop(customer, None)

    @precondition(lambda self: len(self.store) > 1)  # the first rule, chosen too often
    @rule()
    def round_trip(self) -> None:
        """Restart from encoded data (through JSON), re-linking the live records as
        the Router would; the rest of the run goes on with the restored store."""
        data = json.loads(json.dumps(self.store.encode()))
        store, records = History.decode(self.limits, data, fail)
        assert data == store.encode()
        kept = {id(e) for visits in self.model.values() for e in visits}
        for handle in self.handles:
            record = records.get(handle.entry.conversation_id)
            assert (record is not None) == (id(handle.entry) in kept)
            if record is None:  # forgotten already: the Router keeps no record
                e = handle.entry
                record = Record(None, e.conversation_id, e.channel, e.group, e.started_at)
            handle.record = record
        self.store = store

    @invariant()
    def matches_the_model(self) -> None:
        if not hasattr(self, "store"):
            return
        store = self.store
        store._check()
        for customer in CUSTOMERS:
            assert [e.visit() for e in reversed(self.model.get(customer, []))] == store.of(customer)
        assert list(self.model) == [c["id"] for c in store.encode()["customers"]]
        assert sum(map(len, self.model.values())) == len(store)
        assert len(self.model) == store.customers()
        limit = self.limits.max_customers
        assert limit is None or store.customers() <= limit
        assert all(len(store.of(c)) <= self.limits.per_customer for c in CUSTOMERS)

    @invariant()
    def last_operator(self) -> None:
        """last_operator() agrees with the model for every customer, several ``since``
        (served just now counts) and several sets of eligible operators."""
        if not hasattr(self, "store"):
            return
        for customer, back, allowed in itertools.product(CUSTOMERS, BACK, ELIGIBLE):
            since = self.now - back
            expected = None
            for entry in reversed(self.model.get(customer, [])):
                if entry.served_at is not None and entry.served_at >= since:
                    expected = next((o for o in reversed(entry.operators) if o in allowed), None)
                    if expected is not None:
                        break
            assert expected == self.store.last_operator(customer, since, allowed.__contains__)


# A quarter of the profile's examples (150 by default, 500 when thorough): the store
# is small and the model naive, so this finds its bugs in about a second.
HistoryMachine.TestCase.settings = settings(max_examples=max(50, settings().max_examples // 4))
TestHistoryMachine = HistoryMachine.TestCase
