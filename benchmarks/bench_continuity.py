"""Continuity: what customer history, affinity, hold/resume, transfers, wait
estimates and position updates cost.

Run ``python benchmarks/bench_continuity.py`` (about three and a half minutes) or
add ``--quick`` for a smoke run (about 20 s: 100 000 decisions, 20 000 customers, a
queue of 1 000). It prints five markdown tables.

**1. History and affinity at scale** (three tables: speed, memory, affinity).
200 operators, ``Capacity(total=3)``, one group ``support`` (``LeastLoaded``).
570 live conversations (95 % of the 600 slots) stay live: after a fill of 570
submits one second apart, each of 1 000 000 decisions advances a ``FakeClock`` by
1 s, ``finish()``-es a random assigned conversation, ``submit()``-s a new one and
calls ``tick()``. The run covers 11.6 virtual days. ``tick()`` runs once a virtual
second, as the Router asks ("every second or so"). With ticks 100 s apart an
affinity wait of 30 s would last 30 to 130 s: in one full run that doubled the mean
wait in (c), 16.5 s against 7.6 s. A tick with nothing due costs well under 1 µs.
Arrivals are 70 % chat, 20 % messenger and 10 % email. Each names a customer drawn
**uniformly at random** from 200 000 ids, so a customer comes back about every
200 000 decisions (2.3 days), and about a third of the conversations come from a
customer served less than a day before. Every variant has the same seeds, so it
sees the same arrivals and the same random picks:

* (a) *history off*: ``router.configure(history=None)``;
* (b) *history on*: the defaults, ``HistoryLimits()`` (10 per customer, 30 days,
  100 000 customers). The 100 000-customer bound is what limits it here, because
  30 days is longer than the run;
* (c) *history + affinity*: (b) and ``Group(affinity=Affinity(within=86400,
  wait=30))``. A returning customer goes back to their last operator if that
  operator has room, else waits up to 30 s for them alone;
* (d) *tight limit*: ``HistoryLimits(per_customer=3, max_customers=50_000)``;
* (e) *age limit only*: ``HistoryLimits(max_age=86400, max_customers=None)``, so
  only age bounds it: an entry goes one day after its conversation ended.

Each variant runs in a fresh Python process (``--worker``), one after the other.
Time: the decisions run in batches of 1 000, each timed with ``perf_counter_ns``.
The arrivals are built before each batch, outside the timing. "Median" and "mean"
are over the batches, per decision, and include the bench's own bookkeeping
(the same in every variant). The garbage collector stays enabled.

Memory: tracemalloc slows these decisions down about four times (about 170 µs per
decision), so tracing five runs of a million decisions would take about fifteen
minutes. Instead each worker reports its peak resident set size (``ru_maxrss``),
and how much it grew after 25 %, 50 % and 100 % of the decisions, counted from just
before the first decision. The bench's own bookkeeping is allocated before that,
so the growth is the Router's. Each worker also reports, at the end,
``len(router._history)`` (entries kept) and ``router._history.customers()``. It
reports the History's ``Record`` objects alive: the entries kept plus the ones
forgotten by size that still wait in its expiry queue until it is compacted. Those
are counted at the end and at their most, sampled after every batch. Last, the
bytes reachable from ``router._history`` (``sys.getsizeof`` over
``gc.get_referents``, id strings included).

Affinity: the bench remembers who served each customer last, and when. A
conversation is *returning* if its customer was last served less than a day before
it was assigned. For those it counts how many went to that same operator, at once
or after waiting for them alone. It also counts ``Queued`` events with
``for_operator`` and ``AffinityFallback`` events by reason. It reports the mean
``Assigned.waited`` too, which is what affinity costs the customers.

**2. Single calls.** Median µs per call over batches:

* ``hold()`` then ``resume()`` of 200 assigned chats (the operator keeps the
  slot). The same for email, whose group releases held email at once
  (``release_held_after={"email": 0}``), so ``resume()`` assigns it again to the
  same operator, who has room;
* ``transfer(to_operator=...)`` of a fresh assigned chat to an operator with room,
  and ``transfer(to_group="billing")`` to a group where everyone has room (the
  previous operator is passed over);
* ``position()`` and ``estimated_wait()`` of random waiting conversations among
  10 000 waiting in one line, while 200 operators are full. The line has had
  departures, so the estimate uses the observed rate.

**3. Position updates on a drain.** 200 full operators and 10 000 waiting in one
line, with ``configure(position_updates=...)`` set before the fill. Each decision
advances the clock by 1 s, finishes a random assigned conversation (its operator
takes the head of the line) and calls ``tick()``; nothing new arrives. The first
300 decisions are timed (the queue goes from 10 000 to 9 700) for off,
``PositionUpdates(places=10)``, ``places=1`` and ``places=1, seconds=30``. The
table gives the mean µs per decision (throttled updates are told on ``tick()``, in
bursts) and the ``PositionChanged`` events per decision.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from omniroute import (
    Affinity,
    AffinityFallback,
    Assigned,
    Capacity,
    Conversation,
    Group,
    HistoryLimits,
    Operator,
    PositionChanged,
    PositionUpdates,
    Queued,
    Router,
    Status,
)
from omniroute.strategies import LeastLoaded
from omniroute.testing import FakeClock
from report import markdown, num, print_header, progress

OPERATORS = 200
LIMIT = 3
CAPACITY = Capacity(total=LIMIT)
GROUP = "support"
DT = 1.0  # virtual seconds per decision
CHANNELS = ("chat",) * 7 + ("messenger",) * 2 + ("email",)
WITHIN = 86400.0
AFFINITY = Affinity(within=WITHIN, wait=30.0)


# -- part 1: history and affinity at scale --------------------------------------------


@dataclass(frozen=True)
class Scale:
    decisions: int  # timed, after the fill
    customers: int
    live: int  # conversations kept live
    batch: int
    queue: int  # part 2: waiting conversations
    drain: int  # part 3: timed drain decisions
    call_batches: int  # part 2: batches of 200 calls


FULL = Scale(
    decisions=1_000_000,
    customers=200_000,
    live=570,
    batch=1_000,
    queue=10_000,
    drain=300,
    call_batches=60,
)
QUICK = Scale(
    decisions=100_000,
    customers=20_000,
    live=570,
    batch=1_000,
    queue=1_000,
    drain=100,
    call_batches=10,
)


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    history: HistoryLimits | None
    affinity: Affinity | None


VARIANTS = (
    Variant("a", "(a) history off", None, None),
    Variant("b", "(b) history on, defaults", HistoryLimits(), None),
    Variant("c", "(c) history + affinity", HistoryLimits(), AFFINITY),
    Variant(
        "d",
        "(d) per_customer=3, max_customers=50 000",
        HistoryLimits(per_customer=3, max_customers=50_000),
        None,
    ),
    Variant(
        "e",
        "(e) max_age=1 day, max_customers=None",
        HistoryLimits(max_age=86400.0, max_customers=None),
        None,
    ),
)


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def deep_size(root: object) -> int:
    """Bytes of every object reachable from ``root`` (types, modules and functions
    excepted), each counted once."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType | FunctionType):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


@dataclass
class WorkerResult:
    key: str
    batch_ns: list[int] = field(default_factory=list)
    rss_growth: list[int] = field(default_factory=list)  # bytes, at 25, 50, 100 % of the run
    rss_peak: int = 0  # bytes: the process's peak resident set size
    records_max: int = 0  # most Records alive after any batch: kept + forgotten still queued
    records_end: int = 0
    history_bytes: int = 0
    entries: int = 0
    customers: int = 0
    assigned: int = 0
    returning: int = 0  # assigned while their customer was served less than a day before
    same: int = 0  # ... to that same operator
    after_wait: int = 0  # ... of which after waiting for them alone
    personal: int = 0  # Queued with for_operator
    fallbacks: dict[str, int] = field(default_factory=dict)
    waited: float = 0.0  # sum of Assigned.waited
    waited_returning: float = 0.0  # ... of the returning ones


def build_router(variant: Variant, clock: FakeClock) -> Router:
    router = Router(clock=clock)
    router.configure(history=variant.history)
    router.add_group(Group(GROUP, strategy=LeastLoaded(), affinity=variant.affinity))
    for i in range(OPERATORS):
        router.add_operator(Operator(f"op{i}", groups={GROUP}, capacity=CAPACITY))
        router.set_status(f"op{i}", Status.ONLINE)
    return router


def run_worker(variant: Variant, scale: Scale) -> WorkerResult:
    """One variant of part 1, in this (fresh) process."""
    rng = random.Random("continuity")
    customers = [f"cust{i:06d}" for i in range(scale.customers)]
    # The bench's own memory, allocated before the baseline: who served each
    # customer last, and when.
    last_op: list[str | None] = [None] * scale.customers
    last_at = array("d", [-math.inf]) * scale.customers
    customer_of: dict[str, int] = {}  # live conversation id → customer index
    clock = FakeClock()
    router = build_router(variant, clock)

    serial = 0

    def arrivals(count: int) -> tuple[list[Conversation], list[int]]:
        nonlocal serial
        convs = []
        custs = []
        for _ in range(count):
            c = rng.randrange(scale.customers)
            convs.append(
                Conversation(f"c{serial}", rng.choice(CHANNELS), GROUP, customer_id=customers[c])
            )
            custs.append(c)
            serial += 1
        return convs, custs

    result = WorkerResult(variant.key)
    fallbacks: dict[str, int] = {}
    active: list[str] = []
    waiting_for: dict[str, str] = {}  # conversation id → the operator it waits for alone

    def scan(events: list[Any]) -> None:
        for event in events:
            kind = type(event)
            if kind is Assigned:
                cid = event.conversation_id
                active.append(cid)
                c = customer_of[cid]
                now = event.time
                op = event.operator_id
                result.assigned += 1
                result.waited += event.waited
                awaited = waiting_for.pop(cid, None) if waiting_for else None
                if last_at[c] >= now - WITHIN:
                    result.returning += 1
                    result.waited_returning += event.waited
                    if last_op[c] == op:
                        result.same += 1
                        if awaited == op:
                            result.after_wait += 1
                last_op[c] = op
                last_at[c] = now
            elif kind is Queued:
                if event.for_operator is not None:
                    result.personal += 1
                    waiting_for[event.conversation_id] = event.for_operator
            elif kind is AffinityFallback:
                fallbacks[event.reason] = fallbacks.get(event.reason, 0) + 1

    convs, custs = arrivals(scale.live)
    for conversation, c in zip(convs, custs, strict=True):
        clock.advance(DT)
        customer_of[conversation.id] = c
        scan(router.submit(conversation))
    # Fill counted too: the table is about every conversation.
    picks_rng = random.Random("picks")
    batches = scale.decisions // scale.batch
    checkpoints = {batches // 4, batches // 2, batches}
    submit, finish, tick, advance = router.submit, router.finish, router.tick, clock.advance
    gc.collect()
    base = peak_rss()
    for b in range(1, batches + 1):
        convs, custs = arrivals(scale.batch)
        picks = [picks_rng.random() for _ in range(scale.batch)]
        t0 = time.perf_counter_ns()
        for j in range(scale.batch):
            advance(DT)
            k = int(picks[j] * len(active))
            cid = active[k]
            last = active.pop()
            if k < len(active):
                active[k] = last
            del customer_of[cid]
            conversation = convs[j]
            customer_of[conversation.id] = custs[j]
            scan(finish(cid) + submit(conversation) + tick())
        result.batch_ns.append(time.perf_counter_ns() - t0)
        history = router._history
        if history is not None:
            # Records forgotten by size stay in the expiry queue until compacted.
            alive = len(history) + history._stale
            result.records_max = max(result.records_max, alive)
        if b in checkpoints:
            result.rss_growth.append(peak_rss() - base)
    result.rss_peak = peak_rss()
    history = router._history
    if history is not None:
        result.entries = len(history)
        result.customers = history.customers()
        result.records_end = len(history) + history._stale
        result.history_bytes = deep_size(history)
    result.fallbacks = fallbacks
    return result


def spawn(variant: Variant, quick: bool) -> WorkerResult:
    """Run one variant in a fresh interpreter and read its result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", variant.key]
    if quick:
        command.append("--quick")
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return WorkerResult(**json.loads(out.splitlines()[-1]))


def mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def speed_table(results: Sequence[WorkerResult], batch: int) -> str:
    base = results[0]
    head = ("variant", "median µs/decision", "mean µs/decision", "median vs (a)", "mean vs (a)")
    body = []
    for variant, r in zip(VARIANTS, results, strict=True):
        body.append(
            (
                variant.label,
                f"{statistics.median(r.batch_ns) / batch / 1e3:.1f}",
                f"{statistics.fmean(r.batch_ns) / batch / 1e3:.1f}",
                f"{statistics.median(r.batch_ns) / statistics.median(base.batch_ns):.2f}x",
                f"{statistics.fmean(r.batch_ns) / statistics.fmean(base.batch_ns):.2f}x",
            )
        )
    return markdown(head, body, {0})


def memory_table(results: Sequence[WorkerResult]) -> str:
    base = results[0]
    head = (
        "variant",
        "peak RSS MB",
        "vs (a)",
        "RSS growth MB at 25 / 50 / 100 %",
        "entries kept",
        "customers kept",
        "records alive: end / max",
        "history MB at end",
        "bytes/record",
    )
    body = []
    for variant, r in zip(VARIANTS, results, strict=True):
        on = r.records_end > 0
        body.append(
            (
                variant.label,
                mb(r.rss_peak),
                f"{r.rss_peak / base.rss_peak:.2f}x",
                " / ".join(mb(g) for g in r.rss_growth),
                num(r.entries),
                num(r.customers),
                f"{num(r.records_end)} / {num(r.records_max)}" if on else "-",
                mb(r.history_bytes) if on else "-",
                f"{r.history_bytes / r.records_end:.0f}" if on else "-",
            )
        )
    return markdown(head, body, {0})


def affinity_table(results: Sequence[WorkerResult]) -> str:
    head = (
        "variant",
        "returning within a day",
        "back to previous operator: in all",
        "at once",
        "after waiting for them",
        "waited for them alone (Queued.for_operator)",
        "AffinityFallback timeout",
        "AffinityFallback unavailable",
        "mean wait s, returning",
        "mean wait s, all",
    )
    body = []
    for variant, r in zip(VARIANTS, results, strict=True):
        ret = r.returning or 1

        def share(n: int, of: int = ret) -> str:
            return f"{100 * n / of:.1f} %"

        body.append(
            (
                variant.label,
                share(r.returning, r.assigned),
                share(r.same),
                share(r.same - r.after_wait),
                share(r.after_wait),
                share(r.personal),
                share(r.fallbacks.get("timeout", 0)),
                share(r.fallbacks.get("unavailable", 0)),
                f"{r.waited_returning / ret:.2f}",
                f"{r.waited / r.assigned:.2f}",
            )
        )
    return markdown(head, body, {0})


# -- part 2: single calls ---------------------------------------------------------------


def team_router(clock: FakeClock, groups: Sequence[Group]) -> Router:
    router = Router(clock=clock)
    for group in groups:
        router.add_group(group)
    ids = [g.id for g in groups]
    for i in range(OPERATORS):
        router.add_operator(Operator(f"op{i}", groups=set(ids), capacity=CAPACITY))
        router.set_status(f"op{i}", Status.ONLINE)
    return router


def timed_calls(call: Callable[[str], object], ids: Sequence[str]) -> int:
    t0 = time.perf_counter_ns()
    for cid in ids:
        call(cid)
    return time.perf_counter_ns() - t0


def assigned_to(events: list[Any]) -> str:
    assert type(events[-1]) is Assigned, events[-1]
    return str(events[-1].operator_id)


def call_costs(scale: Scale) -> dict[str, float]:
    """Median µs per call of hold/resume, transfers, position and estimated_wait."""
    costs: dict[str, list[float]] = {}

    def note(name: str, ns: int, calls: int) -> None:
        costs.setdefault(name, []).append(ns / calls / 1e3)

    # hold / resume: 200 chats (slot kept) and 200 emails (released at once).
    clock = FakeClock()
    router = team_router(
        clock, [Group(GROUP, strategy=LeastLoaded(), release_held_after={"email": 0})]
    )
    chats, emails = [], []
    for i in range(OPERATORS):
        clock.advance(DT)
        chat = Conversation(f"chat{i}", "chat", GROUP, customer_id=f"cust{i}")
        email = Conversation(f"mail{i}", "email", GROUP, customer_id=f"cust{i}")
        assigned_to(router.submit(chat))
        assigned_to(router.submit(email))
        chats.append(chat.id)
        emails.append(email.id)
    gc.collect()
    for b in range(scale.call_batches):
        clock.advance(DT)
        warm = b < 2
        ns = timed_calls(router.hold, chats)
        if not warm:
            note("hold(), slot kept", ns, len(chats))
        clock.advance(DT)
        ns = timed_calls(router.resume, chats)
        if not warm:
            note("resume() of a held conversation", ns, len(chats))
        clock.advance(DT)
        ns = timed_calls(router.hold, emails)
        if not warm:
            note("hold(), released at once (email, grace 0)", ns, len(emails))
        clock.advance(DT)
        ns = timed_calls(router.resume, emails)
        if not warm:
            note("resume() of a released one: assigned again to its operator", ns, len(emails))
    for cid in emails:
        assert router.conversation(cid).state.name == "ASSIGNED"

    # transfers: fresh chats, one per operator, to the next operator or to billing.
    clock = FakeClock()
    router = team_router(
        clock, [Group(GROUP, strategy=LeastLoaded()), Group("billing", strategy=LeastLoaded())]
    )
    serial = 0
    for b in range(2 * scale.call_batches):
        to_group = b % 2 == 1
        holders: list[tuple[str, int]] = []
        for _ in range(OPERATORS):
            clock.advance(DT)
            conversation = Conversation(
                f"t{serial}", "chat", GROUP, customer_id=f"cust{serial % 5000}"
            )
            serial += 1
            holders.append((conversation.id, int(assigned_to(router.submit(conversation))[2:])))
        assert len({h for _, h in holders}) == OPERATORS, "one each"
        holders.sort(key=lambda pair: pair[1])
        clock.advance(DT)
        if to_group:
            t0 = time.perf_counter_ns()
            for cid, _ in holders:
                router.transfer(cid, to_group="billing")
            ns = time.perf_counter_ns() - t0
        else:
            targets = [(cid, f"op{(h + 1) % OPERATORS}") for cid, h in holders]
            t0 = time.perf_counter_ns()
            for cid, target in targets:
                router.transfer(cid, to_operator=target)
            ns = time.perf_counter_ns() - t0
        for cid, _ in holders:
            assert router.conversation(cid).state.name == "ASSIGNED"
            router.finish(cid)
        if b >= 4:
            name = (
                "transfer(to_group=...), everyone has room"
                if to_group
                else "transfer(to_operator=...) who has room"
            )
            note(name, ns, len(holders))

    # position() and estimated_wait() with scale.queue waiting.
    clock = FakeClock()
    router = team_router(clock, [Group(GROUP, strategy=LeastLoaded())])
    active: list[str] = []
    waiting: list[str] = []
    for i in range(LIMIT * OPERATORS + scale.queue):
        clock.advance(DT)
        conversation = Conversation(f"q{i}", "chat", GROUP, customer_id=f"cust{i}")
        if type(router.submit(conversation)[-1]) is Assigned:
            active.append(conversation.id)
    rng = random.Random("queries")
    serial = LIMIT * OPERATORS + scale.queue
    for _ in range(200):  # departures, so the estimate uses the observed rate
        clock.advance(DT)
        k = rng.randrange(len(active))
        for event in router.finish(active[k]):
            if type(event) is Assigned:
                active[k] = event.conversation_id
        router.submit(Conversation(f"q{serial}", "chat", GROUP, customer_id=f"c{serial}"))
        serial += 1
    waiting = [info.conversation.id for info in router.waiting()]
    assert len(waiting) == scale.queue
    assert router.estimated_wait(waiting[-1]) is not None
    gc.collect()
    for b in range(scale.call_batches):
        sample = [rng.choice(waiting) for _ in range(1_000)]
        ns_position = timed_calls(router.position, sample)
        ns_estimate = timed_calls(router.estimated_wait, sample)
        if b >= 2:
            note(f"position(), {num(scale.queue)} waiting", ns_position, len(sample))
            note(f"estimated_wait(), {num(scale.queue)} waiting", ns_estimate, len(sample))
    return {name: statistics.median(values) for name, values in costs.items()}


def calls_table(costs: dict[str, float], plain_us: float) -> str:
    head = ("call", "µs per call")
    body = [(name, f"{us:.1f}") for name, us in costs.items()]
    body.append(
        ("for scale: one decision of (a) above (finish + submit + tick)", f"{plain_us:.1f}")
    )
    return markdown(head, body, {0})


# -- part 3: position updates on a drain -------------------------------------------------


UPDATES: tuple[tuple[str, PositionUpdates | None], ...] = (
    ("off", None),
    ("PositionUpdates(places=10)", PositionUpdates(places=10)),
    ("PositionUpdates(places=1)", PositionUpdates(places=1)),
    ("PositionUpdates(places=1, seconds=30)", PositionUpdates(places=1, seconds=30.0)),
)


@dataclass(frozen=True)
class DrainRow:
    label: str
    us: float  # mean µs per decision
    changed: float  # PositionChanged per decision


def drain(updates: PositionUpdates | None, scale: Scale) -> tuple[float, float]:
    clock = FakeClock()
    router = team_router(clock, [Group(GROUP, strategy=LeastLoaded())])
    router.configure(position_updates=updates)
    active: list[str] = []
    for i in range(LIMIT * OPERATORS + scale.queue):
        clock.advance(DT)
        conversation = Conversation(f"q{i}", "chat", GROUP, customer_id=f"cust{i}")
        if type(router.submit(conversation)[-1]) is Assigned:
            active.append(conversation.id)
    assert router.queue_length() == scale.queue
    rng = random.Random("drain")
    picks = [rng.random() for _ in range(scale.drain)]
    batch = 25
    times = []
    changed = 0
    gc.collect()
    for start in range(0, scale.drain, batch):
        t0 = time.perf_counter_ns()
        for j in range(start, start + batch):
            clock.advance(DT)
            k = int(picks[j] * len(active))
            for event in router.finish(active[k]) + router.tick():
                kind = type(event)
                if kind is PositionChanged:
                    changed += 1
                elif kind is Assigned:
                    active[k] = event.conversation_id  # type: ignore[attr-defined]
        times.append(time.perf_counter_ns() - t0)
    assert router.queue_length() == scale.queue - scale.drain
    # Deferred updates are told on tick(), in bursts: the mean, not the median.
    return sum(times) / scale.drain / 1e3, changed / scale.drain


def drain_table(rows: Sequence[DrainRow]) -> str:
    head = ("position updates", "µs/decision", "vs off", "PositionChanged per decision")
    base = rows[0].us
    body = [(r.label, f"{r.us:.1f}", f"{r.us / base:.1f}x", f"{r.changed:.1f}") for r in rows]
    return markdown(head, body, {0})


# -- main --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer decisions")
    parser.add_argument("--worker", choices=[v.key for v in VARIANTS], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    if args.worker:
        variant = next(v for v in VARIANTS if v.key == args.worker)
        print(json.dumps(asdict(run_worker(variant, scale))))
        return
    started = time.perf_counter()
    print_header("continuity", args.quick)
    print(
        f"Part 1: {OPERATORS} operators x Capacity(total={LIMIT}), one group, LeastLoaded; "
        f"{scale.live} live conversations;"
    )
    print(
        f"{num(scale.decisions)} decisions (clock +{DT:g} s, finish() a random assigned one, "
        f"submit() a new one, tick());"
    )
    print(
        f"customers uniformly random among {num(scale.customers)}; same seed in every variant; "
        "each variant in a fresh process."
    )
    print()
    results = []
    for variant in VARIANTS:
        progress(f"part 1, {variant.label}")
        results.append(spawn(variant, args.quick))
    progress("part 2: calls")
    costs = call_costs(scale)
    progress("part 3: drain")
    rows = []
    for label, updates in UPDATES:
        progress(f"part 3: drain, {label}")
        us, changed = drain(updates, scale)
        rows.append(DrainRow(label, us, changed))
        gc.collect()
    progress("")

    print(speed_table(results, scale.batch))
    print()
    print(memory_table(results))
    print()
    print(affinity_table(results))
    print()
    print("Percentages of returning conversations (customer served less than a day before),")
    print("except 'returning within a day' (of all conversations).")
    print()
    plain_us = statistics.median(results[0].batch_ns) / scale.batch / 1e3
    print(calls_table(costs, plain_us))
    print()
    print(
        f"Drain: {OPERATORS} full operators, {num(scale.queue)} waiting in one line; "
        f"{scale.drain} decisions timed (finish() + tick(), no arrivals)."
    )
    print()
    print(drain_table(rows))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
