"""The cost of surviving restarts: snapshots, restores and journal replay.

Run ``python benchmarks/bench_snapshot.py`` (about two minutes) or add ``--quick`` for
a smoke run (a few seconds). It builds a busy Router, then measures, in the same run,
what it costs to save it and bring it back, and prints one table per question with
one column per size: 1 000 operators with 10 000 waiting conversations and 10 000
operators with 100 000 waiting (``--quick``: 100 / 1 000 and 1 000 / 10 000).

The state. Ten groups ``g0`` .. ``g9``, each with its own ``LeastLoaded``. Operator
``i`` serves group ``g{i % 10}`` and every fourth also ``g{(i + 1) % 10}``; skills
``billing`` ``i % 3`` and ``ru`` on every fifth; ``Capacity(total=3)``; all ONLINE.
Then chats arrive, spread evenly over the groups, until every operator is full (3
of 3: 3 per operator assigned) and the given number wait. Every fifth chat requires
``billing >= 1``; every other one carries a ``customer_id`` and ``metadata`` such as
``{"customer": "u123", "topic": "billing"}``. The clock is virtual (a float the
script moves forward: 10 ms per arrival), so every conversation has its own times.

1. Save and load. ``router.snapshot()`` (plain dicts and lists), ``json.dumps`` of
   it, its size and its gzip size (``gzip.compress`` level 6), then ``json.loads``
   and ``Router.restore`` of the parsed data. "save" = snapshot + dumps, "load" =
   loads + restore. For scale: the live calls that built the state. The restored
   Router's snapshot must equal the one it was restored from. The peak memory of
   ``snapshot()`` is traced by ``tracemalloc``, in a separate untimed call.

2. A naive baseline: ``pickle.dumps`` / ``pickle.loads`` of the Router object graph
   as it is (highest protocol). The Router's clock is an instance of a module-level
   class, so it pickles; the default structlog logger is tried as it is. Pickle is
   what a host could do without any snapshot support: it ties the data to the
   Python classes of this exact omniroute version and is unsafe to load from
   untrusted storage, but it is the speed to compare with.

3. Journal replay. After the snapshot, the Router performs further calls: finish()
   of a random assigned conversation (its operator at once takes the next waiting
   one), submit() of a new one, abandon() of a random waiting one, set_status() of
   a random operator between ONLINE and AWAY (weights 40/40/10/10). The events they
   return are the journal; it is serialised with ``as_dict`` + ``json.dumps`` and
   parsed back. ``Router.replay(snapshot, journal)`` is timed, as is a replay with an
   empty journal (which is a restore). The journal's share is timed on its own:
   ``omniroute.journal.replay`` (what ``Router.replay`` runs once it has restored
   the snapshot) on a freshly restored Router: decoding the dicts, re-running each
   call and comparing its events with the recorded ones. It is shown per event and
   per call, against the time the live Router took for the same calls (the sum of
   those calls' own times). The replayed Router's snapshot must equal the live
   Router's.

Timing: ``time.perf_counter``; each step runs 3 times and the median is shown,
except the steps marked "one run" and, in table 3, the live calls and the journal's
encoding and parsing, which run once. ``gc.collect()`` runs before each timed step
and the garbage collector stays enabled, as in production.
MB = 10^6 bytes.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import pickle
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omniroute import (
    Abandoned,
    Assigned,
    Capacity,
    Conversation,
    Event,
    Finished,
    Group,
    Operator,
    Queued,
    Requeued,
    Router,
    Status,
)
from omniroute import journal as journal_module
from omniroute import snapshot as snapshots
from omniroute.strategies import LeastLoaded
from report import markdown, num, print_header, progress

# -- the workload ------------------------------------------------------------------

GROUPS = tuple(f"g{i}" for i in range(10))
LIMIT = 3
CAPACITY = Capacity(total=LIMIT)
CHANNEL = "chat"
TOPICS = ("billing", "delivery", "refund", "account")
STEP = 0.01  # seconds of virtual time between two calls
SEED = 20_240_601


@dataclass(frozen=True)
class Plan:
    sizes: tuple[tuple[int, int], ...]  # (operators, waiting conversations)
    journal_calls: int  # calls recorded after the snapshot
    repeat: int  # runs of each timed step of tables 1 and 2; the median is shown


FULL = Plan(((1_000, 10_000), (10_000, 100_000)), journal_calls=20_000, repeat=3)
QUICK = Plan(((100, 1_000), (1_000, 10_000)), journal_calls=2_000, repeat=3)

# finish, submit, abandon, set_status
WEIGHTS = (40, 40, 10, 10)


class VirtualClock:
    """A clock the script moves by hand. Module-level, so that pickle can save it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class IdBag:
    """Ids with O(1) add, remove and random pick (swap-remove)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: str) -> None:
        self.index[item] = len(self.items)
        self.items.append(item)

    def discard(self, item: str) -> None:
        i = self.index.pop(item, None)
        if i is None:
            return
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.index[last] = i

    def pick(self, rng: random.Random) -> str:
        return self.items[rng.randrange(len(self.items))]


def make_operator(i: int) -> Operator:
    groups = {GROUPS[i % len(GROUPS)]}
    if i % 4 == 0:
        groups.add(GROUPS[(i + 1) % len(GROUPS)])
    skills = {"billing": i % 3}
    if i % 5 == 0:
        skills["ru"] = 2
    return Operator(f"op{i}", groups=groups, skills=skills, capacity=CAPACITY)


def make_conversation(k: int) -> Conversation:
    """Chat ``k`` of group ``g{k % 10}``; which of them carry metadata or require a
    skill is decided by ``k // 10``, so that every group gets its share."""
    group = GROUPS[k % len(GROUPS)]
    round_ = k // len(GROUPS)
    requires = {"billing": 1} if round_ % 5 == 0 else None
    if round_ % 2 == 0:
        customer = f"u{k % 50_021}"
        return Conversation(
            f"c{k}",
            CHANNEL,
            group,
            customer_id=customer,
            requires=requires,
            metadata={"customer": customer, "topic": TOPICS[round_ % len(TOPICS)]},
        )
    return Conversation(f"c{k}", CHANNEL, group, requires=requires)


@dataclass
class Tracker:
    """What the script needs to pick the next call: who is assigned, who waits."""

    active: IdBag = field(default_factory=IdBag)
    waiting: IdBag = field(default_factory=IdBag)

    def hear(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Assigned):
                self.waiting.discard(event.conversation_id)
                self.active.add(event.conversation_id)
            elif isinstance(event, (Queued, Requeued)):
                self.active.discard(event.conversation_id)
                self.waiting.add(event.conversation_id)
            elif isinstance(event, Finished):
                self.active.discard(event.conversation_id)
            elif isinstance(event, Abandoned):
                self.waiting.discard(event.conversation_id)


@dataclass
class Scenario:
    router: Router
    clock: VirtualClock
    tracker: Tracker
    status: dict[str, Status]
    next_conversation: int
    build_s: float  # time of the live calls that built the state


def build(operators: int, waiting: int) -> Scenario:
    clock = VirtualClock()
    router = Router(clock=clock)
    tracker = Tracker()
    status: dict[str, Status] = {}
    t0 = time.perf_counter()
    for group_id in GROUPS:
        router.add_group(Group(group_id, strategy=LeastLoaded()))
    for i in range(operators):
        operator = make_operator(i)
        clock.now += STEP
        router.add_operator(operator)
        router.set_status(operator.id, Status.ONLINE)
        status[operator.id] = Status.ONLINE
    total = LIMIT * operators + waiting
    for k in range(total):
        clock.now += STEP
        tracker.hear(router.submit(make_conversation(k)))
    build_s = time.perf_counter() - t0
    assert len(tracker.active) == LIMIT * operators, "every operator is full"
    assert router.queue_length() == waiting == len(tracker.waiting)
    return Scenario(router, clock, tracker, status, total, build_s)


# -- measuring -----------------------------------------------------------------------


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs of ``call``, and its last result."""
    times = []
    result = None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        gc.collect()
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def traced_peak(call: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``call`` runs (tracemalloc; slow, untimed)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


class PicklableLogger:
    """A silent logger that pickle can save, for when structlog's cannot be."""

    def is_enabled_for(self, level: int) -> bool:
        return False

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


@dataclass
class Measured:
    operators: int
    waiting: int
    build_s: float = 0.0
    # table 1
    snapshot_s: float = 0.0
    dumps_s: float = 0.0
    json_bytes: int = 0
    gzip_bytes: int = 0
    gzip_s: float = 0.0
    loads_s: float = 0.0
    restore_s: float = 0.0
    restore_text_s: float = 0.0
    snapshot_peak: int = 0
    live_conversations: int = 0
    # table 2
    pickle_note: str = ""
    pickle_ok: bool = False
    pickle_dumps_s: float = 0.0
    pickle_loads_s: float = 0.0
    pickle_bytes: int = 0
    # table 3
    calls: int = 0
    events: int = 0
    live_s: float = 0.0
    journal_bytes: int = 0
    journal_encode_s: float = 0.0
    journal_loads_s: float = 0.0
    journal_decode_s: float = 0.0
    replay_s: float = 0.0
    replay_empty_s: float = 0.0
    journal_s: float = 0.0  # the journal's share of a replay, timed on its own

    @property
    def save_s(self) -> float:
        return self.snapshot_s + self.dumps_s

    @property
    def load_s(self) -> float:
        return self.loads_s + self.restore_s


def measure_pickle(m: Measured, scenario: Scenario, snap: dict[str, Any], repeat: int) -> None:
    router = scenario.router
    notes = ["clock: a module-level VirtualClock instance"]
    try:
        pickle.dumps(router, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # whatever the object graph holds that pickle refuses
        # The likely culprit is the structlog logger: swap in a picklable one.
        notes.append(f"default logger refused ({type(exc).__name__}: {exc}); "[:120])
        saved = router._log
        router._log = PicklableLogger()
        try:
            pickle.dumps(router, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc2:
            router._log = saved
            m.pickle_note = f"pickle fails: {type(exc2).__name__}: {exc2}"[:200]
            return
        notes.append("a picklable no-op logger was put in its place")
    else:
        notes.append("the default structlog logger pickled as it is")
    blob: bytes
    m.pickle_dumps_s, blob = timed(
        lambda: pickle.dumps(router, protocol=pickle.HIGHEST_PROTOCOL), repeat
    )
    m.pickle_bytes = len(blob)
    m.pickle_loads_s, copy = timed(lambda: pickle.loads(blob), repeat)
    # The copy is a working Router in the same state.
    assert copy.snapshot() == snap, "the unpickled Router differs"
    m.pickle_ok = True
    m.pickle_note = "; ".join(notes)


def run_journal(m: Measured, scenario: Scenario, calls: int) -> list[Event]:
    """Perform ``calls`` calls on the live Router; return the events (the journal)."""
    router, clock, tracker, status = (
        scenario.router,
        scenario.clock,
        scenario.tracker,
        scenario.status,
    )
    rng = random.Random(f"{SEED}/{m.operators}")
    operator_ids = list(status)
    kinds = rng.choices(range(len(WEIGHTS)), weights=WEIGHTS, k=calls)
    journal: list[Event] = []
    perf = time.perf_counter_ns
    live_ns = 0
    k = scenario.next_conversation
    gc.collect()
    for kind in kinds:
        clock.now += STEP
        if kind == 0 and len(tracker.active):
            cid = tracker.active.pick(rng)
            t0 = perf()
            events = router.finish(cid)
        elif kind == 2 and len(tracker.waiting):
            cid = tracker.waiting.pick(rng)
            t0 = perf()
            events = router.abandon(cid)
        elif kind == 3:
            operator_id = operator_ids[rng.randrange(len(operator_ids))]
            new = Status.AWAY if status[operator_id] is Status.ONLINE else Status.ONLINE
            status[operator_id] = new
            t0 = perf()
            events = router.set_status(operator_id, new)
        else:
            conversation = make_conversation(k)
            k += 1
            t0 = perf()
            events = router.submit(conversation)
        live_ns += perf() - t0
        tracker.hear(events)
        journal.extend(events)
    scenario.next_conversation = k
    m.calls = calls
    m.events = len(journal)
    m.live_s = live_ns / 1e9
    return journal


def measure_save_load(m: Measured, router: Router, repeat: int) -> dict[str, Any]:
    """Table 1; returns the snapshot as parsed back from its JSON text."""
    m.snapshot_s, snap = timed(router.snapshot, repeat)
    m.snapshot_peak = traced_peak(router.snapshot)
    m.dumps_s, text = timed(lambda: json.dumps(snap), repeat)
    raw = text.encode()
    m.json_bytes = len(raw)
    m.gzip_s, packed = timed(lambda: gzip.compress(raw, compresslevel=6), 1)
    m.gzip_bytes = len(packed)
    m.loads_s, data = timed(lambda: json.loads(text), repeat)
    assert data == snap, "the JSON round trip changed the snapshot"
    now = router.now
    progress(f"{m.operators} operators: restore")
    m.restore_s, restored = timed(lambda: Router.restore(data, clock=VirtualClock(now)), repeat)
    assert restored.snapshot() == data, "the restored Router's snapshot differs"
    m.restore_text_s, _ = timed(lambda: Router.restore(text, clock=VirtualClock(now)), 1)
    result: dict[str, Any] = data
    return result


def measure_replay(
    m: Measured, scenario: Scenario, data: dict[str, Any], journal: list[Event], repeat: int
) -> None:
    """Table 3, once ``run_journal`` has made the journal."""
    router = scenario.router
    t0 = time.perf_counter()
    journal_text = json.dumps([event.as_dict() for event in journal])
    m.journal_encode_s = time.perf_counter() - t0
    m.journal_bytes = len(journal_text.encode())
    m.journal_loads_s, journal_dicts = timed(lambda: json.loads(journal_text), 1)
    m.journal_decode_s, _ = timed(lambda: [Event.from_dict(item) for item in journal_dicts], repeat)
    start, end = data["now"], router.now
    m.replay_empty_s, _ = timed(lambda: Router.replay(data, [], clock=VirtualClock(start)), repeat)
    m.replay_s, replayed = timed(
        lambda: Router.replay(data, journal_dicts, clock=VirtualClock(end)), repeat
    )
    assert replayed.snapshot() == router.snapshot(), "the replayed Router differs"
    del replayed
    # The journal's share, timed on its own: what Router.replay does once it has
    # restored the snapshot. (The difference of the two times above drowns in the
    # noise of a multi-second restore at the big size.)
    factories = snapshots.factories(None)
    times = []
    for _ in range(repeat):
        clock = journal_module.ScriptedClock()
        restored = Router.restore(data, clock=clock)
        gc.collect()
        t0 = time.perf_counter()
        unheard = journal_module.replay(restored, clock, journal_dicts, factories)
        times.append(time.perf_counter() - t0)
        assert unheard == []
        assert restored.snapshot()["counters"] == router.snapshot()["counters"]
        del restored
    m.journal_s = statistics.median(times)


def measure(operators: int, waiting: int, plan: Plan) -> Measured:
    m = Measured(operators, waiting)
    progress(f"{operators} operators: building")
    scenario = build(operators, waiting)
    m.build_s = scenario.build_s
    m.live_conversations = LIMIT * operators + waiting
    progress(f"{operators} operators: snapshot")
    data = measure_save_load(m, scenario.router, plan.repeat)
    progress(f"{operators} operators: pickle")
    measure_pickle(m, scenario, data, plan.repeat)
    progress(f"{operators} operators: journal")
    journal = run_journal(m, scenario, plan.journal_calls)
    progress(f"{operators} operators: replay")
    measure_replay(m, scenario, data, journal, plan.repeat)
    return m


# -- reporting -----------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}".replace(",", " ")


def mb(size: float) -> str:
    return f"{size / 1e6:.2f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


Row = tuple[str, Callable[[Measured], str]]


def table(rows: Sequence[Row], results: Sequence[Measured]) -> str:
    head = ("", *(f"{num(m.operators)} ops / {num(m.waiting)} waiting" for m in results))
    body = [(label, *(cell(m) for m in results)) for label, cell in rows]
    return markdown(head, body, {0})


SAVE_LOAD: tuple[Row, ...] = (
    ("live conversations (3 per operator + waiting)", lambda m: num(m.live_conversations)),
    ("for scale: live calls that built the state, ms", lambda m: ms(m.build_s)),
    ("router.snapshot(), ms", lambda m: ms(m.snapshot_s)),
    ("json.dumps, ms", lambda m: ms(m.dumps_s)),
    ("save = snapshot + dumps, ms", lambda m: ms(m.save_s)),
    ("JSON size, MB", lambda m: mb(m.json_bytes)),
    ("JSON bytes per live conversation", lambda m: num(m.json_bytes / m.live_conversations)),
    ("gzip -6 size, MB", lambda m: mb(m.gzip_bytes)),
    ("gzip.compress -6 (one run), ms", lambda m: ms(m.gzip_s)),
    ("json.loads, ms", lambda m: ms(m.loads_s)),
    ("Router.restore(parsed dict), ms", lambda m: ms(m.restore_s)),
    ("load = loads + restore, ms", lambda m: ms(m.load_s)),
    ("Router.restore(JSON text) (one run), ms", lambda m: ms(m.restore_text_s)),
    ("restore / building live", lambda m: ratio(m.restore_s, m.build_s)),
    ("peak memory during snapshot(), MB", lambda m: mb(m.snapshot_peak)),
)


def pickled(cell: Callable[[Measured], str]) -> Callable[[Measured], str]:
    return lambda m: cell(m) if m.pickle_ok else "failed"


PICKLE: tuple[Row, ...] = (
    ("pickle.dumps(router), ms", pickled(lambda m: ms(m.pickle_dumps_s))),
    ("pickle size, MB", pickled(lambda m: mb(m.pickle_bytes))),
    ("pickle.loads, ms", pickled(lambda m: ms(m.pickle_loads_s))),
    (
        "save: (snapshot + dumps) / pickle.dumps",
        pickled(lambda m: ratio(m.save_s, m.pickle_dumps_s)),
    ),
    (
        "load: (loads + restore) / pickle.loads",
        pickled(lambda m: ratio(m.load_s, m.pickle_loads_s)),
    ),
    ("size: JSON / pickle", pickled(lambda m: ratio(m.json_bytes, m.pickle_bytes))),
)

JOURNAL: tuple[Row, ...] = (
    ("calls after the snapshot", lambda m: num(m.calls)),
    ("events they returned (the journal)", lambda m: num(m.events)),
    ("journal JSON size, MB", lambda m: mb(m.journal_bytes)),
    ("as_dict + json.dumps of the journal, ms", lambda m: ms(m.journal_encode_s)),
    ("json.loads of the journal, ms", lambda m: ms(m.journal_loads_s)),
    ("live: the calls' own time, ms", lambda m: ms(m.live_s)),
    ("live: µs per call", lambda m: f"{m.live_s / m.calls * 1e6:.2f}"),
    ("Router.replay(snapshot, journal), ms", lambda m: ms(m.replay_s)),
    ("Router.replay(snapshot, []) = restore, ms", lambda m: ms(m.replay_empty_s)),
    ("journal's share, timed on its own, ms", lambda m: ms(m.journal_s)),
    ("  of which Event.from_dict of the journal, ms", lambda m: ms(m.journal_decode_s)),
    ("replay: µs per event", lambda m: f"{m.journal_s / m.events * 1e6:.2f}"),
    ("replay: µs per call", lambda m: f"{m.journal_s / m.calls * 1e6:.2f}"),
    ("replay / live, per call", lambda m: ratio(m.journal_s, m.live_s)),
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 100 and 1 000 operators, 2 000 journal calls",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()

    print_header("snapshot", args.quick)
    print(
        f"State: {len(GROUPS)} groups (LeastLoaded); operators Capacity(total={LIMIT}), "
        "all ONLINE and full;"
    )
    print(
        "the rest of the chats wait. 1 in 5 requires billing >= 1; half carry "
        "customer_id and metadata."
    )
    print(
        f"Timing: perf_counter, median of {plan.repeat} runs unless marked; gc.collect() "
        "before each, gc enabled."
    )
    print()

    results = []
    for operators, waiting in plan.sizes:
        results.append(measure(operators, waiting, plan))
        gc.collect()
    progress("")

    print("1. Save and load a snapshot (JSON). Restored snapshot == original: checked.")
    print()
    print(table(SAVE_LOAD, results))
    print()
    print("2. Naive baseline: pickle of the live Router object graph (highest protocol).")
    for m in results:
        print(f"   {num(m.operators)} operators: {m.pickle_note}")
    print()
    print(table(PICKLE, results))
    print()
    print(
        f"3. Journal replay: {num(plan.journal_calls)} calls after the snapshot "
        "(finish/submit/abandon/set_status"
    )
    print(
        "   40/40/10/10), replayed from the JSON-parsed snapshot and journal. "
        "Replayed == live: checked."
    )
    print()
    print(table(JOURNAL, results))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
