"""Statistics: what feeding ``router.metrics`` adds to the cost of a routing decision.

Run ``python benchmarks/bench_metrics.py`` (about a minute and a half) or add
``--quick`` for a smoke run (about 40 s: fewer decisions, 10 000 waiting in (c)).
``--profile`` instead profiles workload (a) with the statistics on under cProfile and
prints the functions that take the most time of their own, the statistics' apart.
The issue's goal: the statistics add at most 25 % to the cost of a routing
decision, i.e. ON / OFF <= 1.25. A row meets it if both its median and its mean
ratio do.

**ON and OFF.** Both are the lean Router (``configure(history=None)``: no customer
history, no policies). ON keeps statistics (``configure(metrics=MetricsSettings(...))``:
the Router counts every event on its tickets as it makes it); OFF keeps none
(``configure(metrics=None)``), and its calls skip the counting altogether. OFF is
the baseline "routing alone" that the 25 % budget is measured against.
Every workload builds one ON and one OFF Router in the same process, with the same
seed: the same team, the same arrivals, the same clock readings and the same random
picks, so they make the same decisions (checked at the end of each row).

**Timing.** Decisions run in batches of 1 000, timed with ``perf_counter_ns``.
After untimed warm-up batches, ON and OFF batches alternate, the order swapped every
round (OFF ON, ON OFF, OFF ON, ...) to cancel drift. "median" is the median batch
time / 1 000, "mean" is all timed time / timed decisions (what rare costs such as an
interval rollover add, amortised). The ratios are ON / OFF. ``gc.collect()`` runs
before timing and the garbage collector stays enabled. The times include the
bench's own loop (list indexing, setting the clock: the same in ON and OFF, about
0.15 µs per decision). The clock is a ``FakeClock`` set before each decision to a
precomputed time: each decision advances it by ``step`` seconds times a uniform
jitter in [0.5, 1.5].

**Workloads** (one row each; LeastLoaded in every group; every operator ONLINE):

* (a) *steady chat*: 200 operators, ``Capacity(total=3)``, one group; 570 live
  chats (95 % of the 600 slots). A decision = ``finish()`` of a random live chat
  (``Finished``; nobody waits) + ``submit()`` of a new one (``Submitted,
  Assigned``). Step 1 s, so a chat lasts 570 s on average;
* (b) *three channels*: 200 operators, ``Capacity(total=3, per_channel={"voice":
  1}, exclusive={"voice"})``, five groups, operator ``i`` in groups ``i % 5`` and
  ``(i + 1) % 5``; arrivals 20 % voice, 50 % chat, 30 % email, in a random group.
  570 conversations in the system (live or waiting: a voice call needs an empty
  operator, so some wait). A decision = ``finish()`` of a random live one (whose
  operator may take waiting ones) + ``submit()`` of a new one. Step 1 s;
* (c) *long queue*: 1 000 operators, ``Capacity(total=3)``, all full; 100 000 chats
  wait in their one group. A decision = ``finish()`` (the freed slot takes the head
  of the queue: ``Finished, Assigned``) + ``submit()`` (``Submitted, Queued``).
  Step 0.19 s (3 000 live: the same 570 s mean handling as (a));
* (d) *10 000 operators* (the project's scale goal), as (c) with 1 000 waiting.
  Step 0.019 s (30 000 live), so a 15-minute boundary comes every ~47 000 decisions;
* (e) *continuity*: (a), and each decision also calls ``responded()`` on the new
  conversation (``Responded``), ``resume()``-s the conversation held longest and
  ``hold()``-s a random live one (``Resumed``, ``Held``; 28 are held at a time,
  keeping their slot);
* (f) *interval rollover*: (d) with ``MetricsSettings(interval=60)`` and a step of
  1 s: a boundary every ~60 decisions, each visiting all 10 000 ONLINE operators
  (``Metrics._roll``). The mean is the amortised cost.

**Rollovers and garbage collection** (second table). In every row the ON Router's
``Metrics._roll`` and ``Metrics._retire`` (folding the oldest kept interval into the
totals once 96 are kept) are wrapped, on the instance, to time each call on its
own; the wrappers cost well under a µs per boundary and nothing in between. A
``gc.callbacks`` hook times every collection; the table gives the collection time
that fell inside each Router's timed batches, per decision. A collection scans the
objects of both Routers, but it runs when the allocations of the Router at work
call for it.

**Single calls**: on a Router pair as in (a), batches of 200 calls each: the first
``responded()`` of 200 newly assigned chats, ``responded()`` again (no event),
``hold()``, then ``resume()`` of the same 200; ON and OFF batches alternate.

**Memory and reads** (ON, default ``MetricsSettings()``: 96 kept intervals of 15
minutes). After (a) and (d) the ON Router goes on with untimed decisions (the
clock stepping faster) until it has crossed at least 97 boundaries: more than a
simulated day, every kept interval filled and older ones folded into the totals.
Memory is the bytes reachable from ``router.metrics`` (``sys.getsizeof`` over
``gc.get_referents``, each object once), leaving out the Router it reads its clock
from, and strings: every id it keeps is the same string object the Router and the
events hold. Split: the kept/current/folded intervals, the live conversations (with
the waiting heaps) and the operators. Then the median time of ``stats()``,
``stats(channel="chat")``, ``intervals()`` and ``operator_stats()`` (all operators).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FunctionType, MethodType, ModuleType
from typing import Any

from omniroute import (
    Assigned,
    Capacity,
    Conversation,
    Event,
    Group,
    MetricsSettings,
    Operator,
    Router,
    Status,
)
from omniroute.seam import core_of
from omniroute.strategies import LeastLoaded
from omniroute.testing import FakeClock
from report import markdown, num, print_header, progress

GOAL = 1.25  # ON / OFF at most
BATCH = 1_000  # decisions per timed batch
WARMUP = 3  # untimed batches per Router first
LIMIT = 3
CAPACITY = Capacity(total=LIMIT)
MIXED_CAPACITY = Capacity(total=LIMIT, per_channel={"voice": 1}, exclusive={"voice"})
MIXED_CHANNELS = ("voice",) * 2 + ("chat",) * 5 + ("email",) * 3
MIXED_GROUPS = 5
HANDLE = 570.0  # mean virtual seconds a conversation stays live in (a)
HELD = 28  # conversations on hold at a time in (e): 5 % of the 570 live
DAY_BOUNDARIES = 97  # crossed before measuring memory: 96 kept intervals filled


# -- the workloads ---------------------------------------------------------------------


@dataclass
class Inputs:
    """What both Routers of a row are fed, built once: decision ``j`` happens at
    ``times[j]``, submits ``arrivals[j]`` and finishes live conversation ``picks[j]``
    (``picks2[j]``: which one (e) holds)."""

    times: list[float]
    arrivals: list[Conversation]
    picks: list[int]
    picks2: list[int] = field(default_factory=list)
    fractions: list[float] = field(default_factory=list)  # (b): picks as fractions


@dataclass
class Sim:
    """One Router going through a row's decisions, batch by batch."""

    router: Router
    clock: FakeClock
    active: list[str]  # ids of live (assigned, not held) conversations
    held: deque[str] = field(default_factory=deque)
    done: int = 0  # decisions made so far
    times: list[int] = field(default_factory=list)  # ns per timed batch
    waiting: list[int] = field(default_factory=list)  # queue length after each batch
    rollovers: list[int] = field(default_factory=list)  # ns per interval rollover (ON)
    folds: list[int] = field(default_factory=list)  # ns per oldest interval folded (ON)
    gc_ns: int = 0  # spent collecting garbage during the timed batches


Batch = Callable[[Sim, Inputs, int, int], None]


def new_router(on: bool, settings: MetricsSettings | None) -> tuple[Router, FakeClock]:
    """The lean Router (no history), with statistics (ON) or without (OFF)."""
    clock = FakeClock()
    router = Router(clock=clock)
    router.configure(history=None, metrics=(settings or MetricsSettings()) if on else None)
    return router, clock


def chats(prefix: str, group: str, count: int) -> list[Conversation]:
    return [Conversation(f"{prefix}{i}", "chat", group) for i in range(count)]


def jittered(start: float, step: float, count: int, rng: random.Random) -> list[float]:
    """``count`` clock readings after ``start``, ``step`` apart times 0.5 to 1.5."""
    increments = (step * (0.5 + rng.random()) for _ in range(count))
    return list(itertools.accumulate(increments, initial=start))[1:]


def track(events: list[Event], active: list[str]) -> None:
    for event in events:
        if type(event) is Assigned:
            active.append(event.conversation_id)


@dataclass(frozen=True)
class Shape:
    """A workload: how to build a Router in its starting state, and its decisions."""

    key: str
    label: str
    operators: int
    waiting: int  # chats waiting at the start (drain workloads)
    step: float  # virtual seconds per decision, before jitter
    settings: MetricsSettings | None
    build: Callable[[Shape, bool, Inputs], Sim]
    batch: Batch
    inputs: Callable[[Shape, int, random.Random], Inputs]


def steady_inputs(shape: Shape, count: int, rng: random.Random) -> Inputs:
    live = int(0.95 * LIMIT * shape.operators)
    active = live - HELD if shape.key == "e" else live  # (e) holds some apart
    return Inputs(
        times=jittered(live * shape.step, shape.step, count, rng),
        arrivals=chats("n", "support", count),
        picks=[rng.randrange(active) for _ in range(count)],
        picks2=[rng.randrange(active) for _ in range(count)] if shape.key == "e" else [],
    )


def build_steady(shape: Shape, on: bool, inputs: Inputs) -> Sim:
    router, clock = new_router(on, shape.settings)
    router.add_group(Group("support", strategy=LeastLoaded()))
    for i in range(shape.operators):
        router.add_operator(Operator(f"op{i}", groups={"support"}, capacity=CAPACITY))
        router.set_status(f"op{i}", Status.ONLINE)
    sim = Sim(router, clock, [])
    live = int(0.95 * LIMIT * shape.operators)
    for conversation in chats("f", "support", live):
        clock.advance(shape.step)
        track(router.submit(conversation), sim.active)
    assert len(sim.active) == live, "the fill is all assigned"
    if shape.key == "e":
        for _ in range(HELD):
            cid = sim.active.pop()
            router.hold(cid)
            sim.held.append(cid)
    return sim


def steady_batch(sim: Sim, inputs: Inputs, start: int, stop: int) -> None:
    clock, active, router = sim.clock, sim.active, sim.router
    finish, submit = router.finish, router.submit
    times, arrivals, picks = inputs.times, inputs.arrivals, inputs.picks
    for j in range(start, stop):
        clock.now = times[j]
        k = picks[j]
        finish(active[k])  # [Finished]: nobody waits
        conversation = arrivals[j]
        submit(conversation)  # [Submitted, Assigned]: someone has room
        active[k] = conversation.id


def continuity_batch(sim: Sim, inputs: Inputs, start: int, stop: int) -> None:
    clock, active, held, router = sim.clock, sim.active, sim.held, sim.router
    finish, submit, responded = router.finish, router.submit, router.responded
    hold, resume = router.hold, router.resume
    times, arrivals, picks, picks2 = inputs.times, inputs.arrivals, inputs.picks, inputs.picks2
    for j in range(start, stop):
        clock.now = times[j]
        k = picks[j]
        finish(active[k])  # [Finished]
        conversation = arrivals[j]
        cid = conversation.id
        submit(conversation)  # [Submitted, Assigned]
        responded(cid)  # [Responded]
        active[k] = cid
        back = held.popleft()
        resume(back)  # [Resumed]: it kept its slot
        k = picks2[j]
        cid = active[k]
        hold(cid)  # [Held]
        held.append(cid)
        active[k] = back


def mixed_inputs(shape: Shape, count: int, rng: random.Random) -> Inputs:
    def conversation(prefix: str, i: int) -> Conversation:
        return Conversation(
            f"{prefix}{i}",
            rng.choice(MIXED_CHANNELS),
            f"g{rng.randrange(MIXED_GROUPS)}",
        )

    live = int(0.95 * LIMIT * shape.operators)
    fill = [conversation("f", i) for i in range(live)]
    return Inputs(
        times=jittered(live * shape.step, shape.step, count, rng),
        arrivals=fill + [conversation("n", i) for i in range(count)],  # fill first
        picks=[],
        fractions=[rng.random() for _ in range(count)],
    )


def build_mixed(shape: Shape, on: bool, inputs: Inputs) -> Sim:
    router, clock = new_router(on, shape.settings)
    for g in range(MIXED_GROUPS):
        router.add_group(Group(f"g{g}", strategy=LeastLoaded()))
    for i in range(shape.operators):
        groups = {f"g{i % MIXED_GROUPS}", f"g{(i + 1) % MIXED_GROUPS}"}
        router.add_operator(Operator(f"op{i}", groups=groups, capacity=MIXED_CAPACITY))
        router.set_status(f"op{i}", Status.ONLINE)
    sim = Sim(router, clock, [])
    live = int(0.95 * LIMIT * shape.operators)
    for conversation in inputs.arrivals[:live]:
        clock.advance(shape.step)
        track(router.submit(conversation), sim.active)
    return sim


def mixed_batch(sim: Sim, inputs: Inputs, start: int, stop: int) -> None:
    clock, active, router = sim.clock, sim.active, sim.router
    finish, submit = router.finish, router.submit
    times, arrivals, fractions = inputs.times, inputs.arrivals, inputs.fractions
    for j in range(start, stop):
        clock.now = times[j]
        k = int(fractions[j] * len(active))
        cid = active[k]
        last = active.pop()
        if k < len(active):
            active[k] = last
        for event in finish(cid):  # [Finished, Assigned...]: the freed room refills
            if type(event) is Assigned:
                active.append(event.conversation_id)
        for event in submit(arrivals[j]):  # [Submitted, Assigned] or [..., Queued]
            if type(event) is Assigned:
                active.append(event.conversation_id)


def drain_inputs(shape: Shape, count: int, rng: random.Random) -> Inputs:
    live = LIMIT * shape.operators
    return Inputs(
        times=jittered((live + shape.waiting) * shape.step, shape.step, count, rng),
        arrivals=chats("n", "support", count),
        picks=[rng.randrange(live) for _ in range(count)],
    )


def build_drain(shape: Shape, on: bool, inputs: Inputs) -> Sim:
    router, clock = new_router(on, shape.settings)
    router.add_group(Group("support", strategy=LeastLoaded()))
    for i in range(shape.operators):
        router.add_operator(Operator(f"op{i}", groups={"support"}, capacity=CAPACITY))
    # Everyone waits first; then each operator comes ONLINE and fills up from the head.
    for conversation in chats("f", "support", LIMIT * shape.operators + shape.waiting):
        clock.advance(shape.step)
        router.submit(conversation)
    sim = Sim(router, clock, [])
    for i in range(shape.operators):
        track(router.set_status(f"op{i}", Status.ONLINE), sim.active)
    assert len(sim.active) == LIMIT * shape.operators, "every operator is full"
    assert router.queue_length() == shape.waiting
    return sim


def drain_batch(sim: Sim, inputs: Inputs, start: int, stop: int) -> None:
    clock, active, router = sim.clock, sim.active, sim.router
    finish, submit = router.finish, router.submit
    times, arrivals, picks = inputs.times, inputs.arrivals, inputs.picks
    for j in range(start, stop):
        clock.now = times[j]
        k = picks[j]
        # [Finished, Assigned]: the freed slot took the head of the queue
        active[k] = finish(active[k])[1].conversation_id
        submit(arrivals[j])  # [Submitted, Queued] at the tail


def shapes(waiting_c: int) -> tuple[Shape, ...]:
    steady = (build_steady, steady_batch, steady_inputs)
    mixed = (build_mixed, mixed_batch, mixed_inputs)
    drain = (build_drain, drain_batch, drain_inputs)
    continuity = (build_steady, continuity_batch, steady_inputs)
    every_minute = MetricsSettings(interval=60.0)
    queue = f"(c) long queue ({num(waiting_c)} waiting)"
    return (
        Shape("a", "(a) steady chat", 200, 0, HANDLE / 570, None, *steady),
        Shape("b", "(b) 3 channels, 5 groups", 200, 0, HANDLE / 570, None, *mixed),
        Shape("c", queue, 1_000, waiting_c, HANDLE / 3_000, None, *drain),
        Shape("d", "(d) 10 000 operators", 10_000, 1_000, HANDLE / 30_000, None, *drain),
        Shape("e", "(e) + responded, hold, resume", 200, 0, HANDLE / 570, None, *continuity),
        Shape("f", "(f) rollover: interval=60", 10_000, 1_000, 1.0, every_minute, *drain),
    )


# -- measuring -----------------------------------------------------------------------


class _Collections:
    """Time spent in the garbage collector, via ``gc.callbacks``."""

    def __init__(self) -> None:
        self.ns = 0
        self._since = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._since = time.perf_counter_ns()
        else:
            self.ns += time.perf_counter_ns() - self._since


COLLECTIONS = _Collections()


def run(sim: Sim, batch: Batch, inputs: Inputs, size: int) -> int:
    start = sim.done
    t0 = time.perf_counter_ns()
    batch(sim, inputs, start, start + size)
    elapsed = time.perf_counter_ns() - t0
    sim.done = start + size
    return elapsed


def time_rollovers(sim: Sim) -> None:
    """Record how long each interval rollover of ``sim``'s statistics takes, and
    how much of it folding the oldest kept interval into the totals takes."""
    metrics = sim.router.metrics
    if not hasattr(metrics, "_roll") or not hasattr(metrics, "_retire"):
        return  # the statistics changed shape: no rollover timings
    roll, retire = metrics._roll, metrics._retire
    clock = time.perf_counter_ns

    def timed_roll(now: float) -> None:
        t0 = clock()
        roll(now)
        sim.rollovers.append(clock() - t0)

    def timed_retire(interval: Any) -> None:
        t0 = clock()
        retire(interval)
        sim.folds.append(clock() - t0)

    metrics._roll = timed_roll  # type: ignore[method-assign]
    metrics._retire = timed_retire  # type: ignore[method-assign]


@dataclass(frozen=True)
class Timing:
    median_us: float
    mean_us: float


def timing_of(sim: Sim) -> Timing:
    return Timing(
        statistics.median(sim.times) / BATCH / 1e3,
        sum(sim.times) / (len(sim.times) * BATCH) / 1e3,
    )


@dataclass
class Row:
    shape: Shape
    off: Timing
    on: Timing
    events: float  # per decision
    waiting: float  # mean queue length after the timed batches
    rollovers: list[int]  # ns each, ON
    folds: list[int]  # ns each, ON: the part of the rollovers that folds an interval
    gc_us: tuple[float, float]  # µs per decision collecting garbage, OFF and ON
    decisions: int  # timed, per Router
    sim: Sim  # the ON Router, kept for the memory and read measurements
    inputs: Inputs

    @property
    def ratio(self) -> float:
        return self.on.median_us / self.off.median_us

    @property
    def mean_ratio(self) -> float:
        return self.on.mean_us / self.off.mean_us


def run_row(shape: Shape, decisions: int, extra: int) -> Row:
    """Build the ON and OFF Routers of ``shape`` and time ``decisions`` of each;
    ``extra`` more decisions' inputs stay for the ON Router to go on with."""
    batches = decisions // BATCH
    count = (WARMUP + batches) * BATCH
    rng = random.Random(f"metrics/{shape.key}")
    inputs = shape.inputs(shape, count + extra, rng)
    progress(f"{shape.label}: building")
    off = shape.build(shape, False, inputs)
    on = shape.build(shape, True, inputs)
    if shape.build is build_mixed:
        del inputs.arrivals[: int(0.95 * LIMIT * shape.operators)]  # the fill, once
    time_rollovers(on)
    seq0 = core_of(on.router).event_seq
    progress(f"{shape.label}: timing")
    for _ in range(WARMUP):
        for sim in (off, on):
            run(sim, shape.batch, inputs, BATCH)
    on.rollovers.clear()
    on.folds.clear()
    gc.collect()
    for i in range(batches):
        for sim in (off, on) if i % 2 == 0 else (on, off):
            gc_ns = COLLECTIONS.ns
            sim.times.append(run(sim, shape.batch, inputs, BATCH))
            sim.gc_ns += COLLECTIONS.ns - gc_ns
            sim.waiting.append(sim.router.queue_length())
    # The statistics change no decision: both hold the same work.
    assert off.active == on.active, "ON and OFF made different decisions"
    assert off.router.queue_lengths() == on.router.queue_lengths()
    events = (core_of(on.router).event_seq - seq0) / on.done
    return Row(
        shape,
        timing_of(off),
        timing_of(on),
        events,
        statistics.mean(on.waiting),
        list(on.rollovers),
        list(on.folds),
        (off.gc_ns / (batches * BATCH) / 1e3, on.gc_ns / (batches * BATCH) / 1e3),
        batches * BATCH,
        on,
        inputs,
    )


# -- memory and reads --------------------------------------------------------------------


def deep_size(roots: Sequence[object], seen: set[int]) -> int:
    """Bytes of every object reachable from ``roots`` not yet in ``seen`` (types,
    modules, functions, methods and strings excepted), each counted once. The
    objects stay alive meanwhile, so their ids stay theirs."""
    stack = list(roots)
    total = 0
    skip = (type, ModuleType, FunctionType, MethodType, str)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


@dataclass(frozen=True)
class Memory:
    intervals: int  # bytes
    contacts: int
    agents: int
    total: int
    kept: int  # intervals kept one by one
    work: int  # operator tallies in the kept and current intervals


def memory_of(router: Router) -> Memory:
    """The statistics' memory, split by the Metrics' private parts (those it has)."""
    metrics = router.metrics
    seen = {id(router)}  # reached through the clock the statistics read
    gc.collect()

    def part(*names: str) -> int:
        return deep_size([getattr(metrics, name, None) for name in names], seen)

    intervals = part("_kept", "_current", "_retired")
    contacts = part("_contacts", "_heaps", "_waiting")
    agents = part("_agents")
    rest = deep_size([metrics], seen)
    kept = [*getattr(metrics, "_kept", ()), getattr(metrics, "_current", None)]
    return Memory(
        intervals,
        contacts,
        agents,
        intervals + contacts + agents + rest,
        len(metrics.intervals()) - 1,
        sum(len(getattr(interval, "work", ())) for interval in kept),
    )


def span_a_day(row: Row, rng: random.Random) -> None:
    """Go on with the ON Router, untimed, until its statistics crossed at least
    ``DAY_BOUNDARIES`` boundaries since they started."""
    sim, inputs = row.sim, row.inputs
    interval = sim.router.metrics.settings.interval
    left = len(inputs.times) - sim.done
    target = (DAY_BOUNDARIES + 1) * interval
    if sim.clock.now < target:
        times = jittered(sim.clock.now, (target - sim.clock.now) / (left - 1), left, rng)
        inputs.times[sim.done :] = times
    progress(f"{row.shape.label}: a simulated day")
    while sim.done + BATCH <= len(inputs.times):
        run(sim, row.shape.batch, inputs, BATCH)
    kept = sim.router.metrics.settings.keep_intervals
    assert len(sim.router.metrics.intervals()) == kept + 1, "every kept interval is filled"


def median_time(call: Callable[[], Any], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@dataclass(frozen=True)
class Reads:
    stats: float
    stats_channel: float
    intervals: float
    operator_stats: float


@dataclass(frozen=True)
class Day:
    """The ON Router of a row after a simulated day: its statistics' memory and
    how long reading them takes."""

    label: str
    operators: int
    decisions: int  # made by then, timed or not
    days: float  # virtual time covered
    memory: Memory
    reads: Reads


def reads_of(router: Router, repeats: int) -> Reads:
    metrics = router.metrics
    return Reads(
        median_time(metrics.stats, repeats * 5),
        median_time(lambda: metrics.stats(channel="chat"), repeats * 5),
        median_time(metrics.intervals, repeats * 5),
        median_time(metrics.operator_stats, repeats),
    )


# -- single calls ----------------------------------------------------------------------


CALLS = ("responded() first reply", "responded() again", "hold()", "resume()")


def single_calls(rounds: int) -> list[tuple[str, Timing, Timing]]:
    """Median µs per call of ``CALLS``, ON and OFF, as in workload (a)."""
    shape = shapes(0)[0]
    calls = 200
    rng = random.Random("metrics/calls")
    live = int(0.95 * LIMIT * shape.operators)
    inputs = Inputs(times=[], arrivals=chats("n", "support", (rounds + 1) * calls), picks=[])
    sims = [shape.build(shape, on, inputs) for on in (False, True)]
    samples = [rng.sample(range(live), calls) for _ in range(rounds + 1)]
    ns: list[dict[str, list[int]]] = [{name: [] for name in CALLS} for _ in sims]
    clock = time.perf_counter_ns
    gc.collect()
    for r in range(rounds + 1):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for s in order:
            sim = sims[s]
            router, active = sim.router, sim.active
            sim.clock.advance(60.0)
            new = inputs.arrivals[r * calls : (r + 1) * calls]
            for k, conversation in zip(samples[r], new, strict=True):
                router.finish(active[k])
                router.submit(conversation)  # [Submitted, Assigned]
                active[k] = conversation.id
            ids = [conversation.id for conversation in new]
            for name, call in zip(
                CALLS,
                (router.responded, router.responded, router.hold, router.resume),
                strict=True,
            ):
                t0 = clock()
                for cid in ids:
                    call(cid)
                if r:  # the first round warms up
                    ns[s][name].append(clock() - t0)
    return [
        (
            name,
            Timing(
                statistics.median(ns[0][name]) / calls / 1e3,
                sum(ns[0][name]) / len(ns[0][name]) / calls / 1e3,
            ),
            Timing(
                statistics.median(ns[1][name]) / calls / 1e3,
                sum(ns[1][name]) / len(ns[1][name]) / calls / 1e3,
            ),
        )
        for name in CALLS
    ]


# -- reporting -------------------------------------------------------------------------


def verdict(ratio: float) -> str:
    """Met or MISSED, with what the statistics add: +60 % at a ratio of 1.60."""
    added = f"+{(ratio - 1) * 100:.0f} %"
    return f"met ({added})" if ratio <= GOAL else f"MISSED ({added})"


def main_table(rows: list[Row]) -> str:
    head = (
        "workload",
        "operators",
        "waiting",
        "events/decision",
        "OFF median µs",
        "ON median µs",
        "ON/OFF median",
        "OFF mean µs",
        "ON mean µs",
        "ON/OFF mean",
        f"goal: at most +{(GOAL - 1) * 100:.0f} %",
    )
    body = [
        (
            row.shape.label,
            num(row.shape.operators),
            num(row.waiting),
            f"{row.events:.1f}",
            f"{row.off.median_us:.2f}",
            f"{row.on.median_us:.2f}",
            f"{row.ratio:.2f}",
            f"{row.off.mean_us:.2f}",
            f"{row.on.mean_us:.2f}",
            f"{row.mean_ratio:.2f}",
            verdict(max(row.ratio, row.mean_ratio)),
        )
        for row in rows
    ]
    return markdown(head, body, {0, 10})


def rollover_table(rows: list[Row]) -> str:
    head = (
        "workload",
        "virtual s/decision",
        "timed decisions",
        "boundaries crossed",
        "ms per rollover",
        "of which folding ms",
        "ns per operator",
        "amortised µs/decision",
        "share of ON-OFF mean",
        "gc µs/decision OFF",
        "gc µs/decision ON",
    )
    body = []
    for row in rows:
        count = len(row.rollovers)
        each = sum(row.rollovers) / count if count else 0.0
        fold = sum(row.folds) / count if count else 0.0
        amortised = sum(row.rollovers) / row.decisions / 1e3
        extra = row.on.mean_us - row.off.mean_us
        body.append(
            (
                row.shape.label,
                f"{row.shape.step:g}",
                num(row.decisions),
                num(count),
                f"{each / 1e6:.2f}" if count else "-",
                f"{fold / 1e6:.2f}" if count else "-",
                f"{each / row.shape.operators:.0f}" if count else "-",
                f"{amortised:.3f}",
                f"{amortised / extra * 100:.0f} %" if extra > 0 else "-",
                f"{row.gc_us[0]:.2f}",
                f"{row.gc_us[1]:.2f}",
            )
        )
    return markdown(head, body, {0})


def calls_table(calls: list[tuple[str, Timing, Timing]]) -> str:
    head = ("call", "OFF median µs", "ON median µs", "ON - OFF µs", "ON/OFF")
    body = [
        (
            name,
            f"{off.median_us:.2f}",
            f"{on.median_us:.2f}",
            f"{on.median_us - off.median_us:.2f}",
            f"{on.median_us / off.median_us:.2f}",
        )
        for name, off, on in calls
    ]
    return markdown(head, body, {0})


def mib(size: int) -> str:
    return f"{size / 2**20:.2f}"


def memory_table(days: list[Day]) -> str:
    head = (
        "after",
        "operators",
        "decisions",
        "virtual days",
        "intervals kept",
        "operator tallies",
        "intervals MiB",
        "live conversations MiB",
        "operators MiB",
        "total MiB",
        "bytes per operator tally",
    )
    body = []
    for day in days:
        memory = day.memory
        body.append(
            (
                day.label,
                num(day.operators),
                num(day.decisions),
                f"{day.days:.1f}",
                str(memory.kept),
                num(memory.work),
                mib(memory.intervals),
                mib(memory.contacts),
                mib(memory.agents),
                mib(memory.total),
                num(memory.intervals / max(memory.work, 1)),
            )
        )
    return markdown(head, body, {0})


def reads_table(days: list[Day]) -> str:
    head = ("after", "stats() ms", 'stats(channel="chat") ms', "intervals() ms")
    head = (*head, "operator_stats() ms")
    body = [
        (
            day.label,
            f"{day.reads.stats * 1e3:.3f}",
            f"{day.reads.stats_channel * 1e3:.3f}",
            f"{day.reads.intervals * 1e3:.3f}",
            f"{day.reads.operator_stats * 1e3:.1f}",
        )
        for day in days
    ]
    return markdown(head, body, {0})


# -- main ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    decisions: dict[str, int]  # timed, per Router
    waiting_c: int
    day: dict[str, int]  # untimed decisions after the row, to span a day
    call_rounds: int
    read_repeats: int


FULL = Plan(
    decisions={"a": 200_000, "b": 200_000, "c": 100_000, "d": 100_000, "e": 100_000, "f": 20_000},
    waiting_c=100_000,
    day={"a": 10_000, "d": 20_000},
    call_rounds=100,
    read_repeats=3,
)
QUICK = Plan(
    decisions={"a": 20_000, "b": 20_000, "c": 20_000, "d": 20_000, "e": 20_000, "f": 20_000},
    waiting_c=10_000,
    day={"a": 10_000, "d": 10_000},
    call_rounds=20,
    read_repeats=1,
)


def profile(decisions: int) -> None:
    """Workload (a) with the statistics on, under cProfile: the top functions by
    their own time."""
    shape = shapes(0)[0]
    rng = random.Random("metrics/a")
    inputs = shape.inputs(shape, decisions, rng)
    sim = shape.build(shape, True, inputs)
    profiler = cProfile.Profile()
    profiler.enable()
    shape.batch(sim, inputs, 0, decisions)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    print(out.getvalue())
    own = 0.0
    total = 0.0
    mine = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        if filename.endswith(("omniroute/metrics.py", "omniroute/sketch.py")):
            own += tottime
            mine.append((tottime, cumtime, calls, f"{filename.rsplit('/', 1)[-1]}:{line}({name})"))
    print("The statistics' own functions, by their own time:")
    print()
    head = ("function", "calls", "tottime s", "cumtime s", "own µs per decision (profiled)")
    body = [
        (where, num(calls), f"{tottime:.3f}", f"{cumtime:.3f}", f"{tottime / decisions * 1e6:.2f}")
        for tottime, cumtime, calls, where in sorted(mine, reverse=True)
    ]
    print(markdown(head, body, {0}))
    print()
    print(
        f"metrics.py + sketch.py: {own:.2f} s of {total:.2f} s profiled "
        f"({own / total * 100:.0f} %) over {num(decisions)} decisions"
    )


def source_state() -> str:
    """The commit measured, and whether the library's sources differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[1::2]
    except (OSError, subprocess.CalledProcessError):
        return "source: not a git checkout"
    edits = f" + uncommitted changes to {', '.join(changed)}" if changed else ""
    return f"source: commit {head}{edits}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: fewer decisions, a shorter queue"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile workload (a) with statistics on"
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(50_000)
        return
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    print_header("statistics (metrics)", args.quick)
    print(source_state())
    gc.callbacks.append(COLLECTIONS)
    print(
        "ON: the lean Router (history=None) keeping statistics, every event counted. OFF:\n"
        "the same with configure(metrics=None): routing alone, the baseline of the 25 %\n"
        "budget. Same seed, workload and run; batches of "
        f"{num(BATCH)} decisions,\nON and OFF alternating (order swapped each round) after "
        f"{WARMUP} warm-up batches each.\nmedian = median batch / {num(BATCH)}; mean = timed "
        "time / timed decisions. gc enabled."
    )
    print()

    rows: list[Row] = []
    days: list[Day] = []
    for shape in shapes(plan.waiting_c):
        extra = plan.day.get(shape.key, 0)
        row = run_row(shape, plan.decisions[shape.key], extra)
        rows.append(row)
        if extra:
            span_a_day(row, random.Random(f"metrics/day/{shape.key}"))
            progress(f"{shape.label}: memory and reads")
            router = row.sim.router
            memory = memory_of(router)
            reads = reads_of(router, plan.read_repeats)
            days.append(
                Day(
                    shape.label,
                    shape.operators,
                    row.sim.done,
                    row.sim.clock.now / 86400,
                    memory,
                    reads,
                )
            )
        row.sim = row.inputs = None  # type: ignore[assignment]
        gc.collect()
    progress("single calls")
    calls = single_calls(plan.call_rounds)
    progress("")

    print("Cost per routing decision, statistics ON vs OFF")
    print()
    print(main_table(rows))
    print()
    worst = max(rows, key=lambda row: max(row.ratio, row.mean_ratio))
    met = all(max(row.ratio, row.mean_ratio) <= GOAL for row in rows)
    print(
        f"Goal (ON/OFF <= {GOAL:g}, median and mean): "
        + ("met in every row" if met else "MISSED")
        + f"; worst {worst.shape.label}: {max(worst.ratio, worst.mean_ratio):.2f}."
    )
    print()
    print(
        "Interval rollovers (ON: Metrics._roll and its folding of the oldest kept interval,\n"
        "Metrics._retire, timed on their own) and garbage collection (gc.callbacks: the\n"
        "collections that ran during each Router's timed batches, rollovers included)"
    )
    print()
    print(rollover_table(rows))
    print()
    print("Single calls, as in (a): 200 calls per batch, median µs per call")
    print()
    print(calls_table(calls))
    print()
    print(
        "Memory of the statistics (ON, default MetricsSettings: 96 kept intervals of "
        "15 min),\nafter the timed decisions and untimed ones until more than a simulated "
        "day was covered"
    )
    print()
    print(memory_table(days))
    print()
    print("Reading the statistics at that point (median of repeats)")
    print()
    print(reads_table(days))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
