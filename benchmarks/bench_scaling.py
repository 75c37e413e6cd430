"""Scaling: µs per routing decision from 10² to 10⁵ operators and 10³ to 10⁶ waiting
conversations, and the memory per waiting conversation and per operator.

Run ``python benchmarks/bench_scaling.py`` (two and a half minutes on an idle 2-core
machine, half of it submitting the 4 x 10⁶ waiting conversations of the last column;
about 3.4 GB at the peak) or add ``--quick`` for a smoke run (up to 10 000 operators
and 100 000 waiting, fewer decisions, about 10 s). ``--strategy`` picks another
built-in strategy (default LeastLoaded).

The issue's goals: the time per decision is flat within 2x from 10³ to 10⁵
operators (for every number waiting), and a waiting conversation costs at most
1 KiB; the memory per operator is reported (no goal).

The scenario is bench_routing.py's *dispatch*, imported from it (same team, same
conversations, same decision), on the *lean* Router (``configure(metrics=None,
history=None)``: bench_routing's ``make_router(lean=True)``). N operators with
``Capacity(total=3)`` serve group ``live`` and hold N conversations in all; W
conversations wait in group ``main``, which nobody serves. One decision =
``submit()`` of a new ``live`` conversation, which the strategy gives to a free
operator (``Assigned``), then ``finish()`` of a random active one (``Finished``).
So W is pure weight: the decisions never touch the waiting conversations, and a
flat row says their number costs nothing per decision.

Timing. For each W (one column) a Router is built for every N (the rows), and the
rows' batches alternate, batch after batch (bench_routing's ``measure``): 200
decisions per batch timed with ``perf_counter_ns``, after untimed warm-up batches;
the cell is the median batch time / 200. ``gc.collect()`` runs before timing and
the garbage collector stays enabled. The conversation and operator objects are
built once and shared by all Routers (they are immutable); a column's Routers are
freed before the next column is built. Flatness = max / min of a column's cells
over 10³..10⁵ operators, against the goal of 2x.

Memory, with ``tracemalloc`` (before and after readings of the traced current
size, each after ``gc.collect()``), on Routers of its own, untimed:

* per waiting conversation: (after submitting W conversations to a lean Router with
  group ``main`` - before) / W, twice: "Router only", the Conversation objects built
  before tracing started (what the Router itself stores: its tickets, queue entries,
  indexes); and "with Conversation objects", built while tracing (they are the
  host's objects, which the Router keeps a reference to; the host's list of them is
  dropped before the reading). W = 10³..10⁵ (``--quick``: ..10⁴); tracemalloc makes
  submits several times slower, so 10⁶ is not traced. A coarse cross-check without
  tracemalloc: the growth of the resident set size while the largest column's
  second Router (N = 1 000) was built, / W (its N operators and N active are a
  fraction of a percent of it; the first Router reuses memory the previous column
  freed);
* per operator: (after ``add_operator`` and ``set_status(ONLINE)`` of N operators,
  built before tracing started, in a lean Router with group ``live`` - before) / N.

Before building, the script compares what it is about to hold (from the measured
bytes) with ``MemAvailable`` in ``/proc/meminfo`` and skips, saying so, the cells
that would not fit.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench_routing import (
    LIVE,
    MAIN,
    STRATEGIES,
    Plan,
    Pools,
    Runner,
    Setup,
    build_dispatch,
    dispatch_batch,
    make_conversations,
    make_router,
    make_team,
    measure,
    picks_for,
)
from omniroute import Conversation, Group, Status
from omniroute.strategies import Strategy
from report import markdown, num, print_header, progress

KIB = 1024
GOAL_FLAT = 2.0  # max / min µs per decision over FLAT_RANGE operators
FLAT_RANGE = (1_000, 100_000)
GOAL_BYTES_PER_WAITING = KIB
FIT_SHARE = 0.7  # use at most this share of MemAvailable


@dataclass(frozen=True)
class Grid:
    operators: tuple[int, ...]  # rows
    waiting: tuple[int, ...]  # columns
    traced_waiting: tuple[int, ...]  # memory per waiting conversation, measured at
    traced_operators: tuple[int, ...]  # memory per operator, measured at
    batch: int
    warmup: int
    min_batches: int
    max_batches: int
    budget_s: float  # past min_batches, stop once a row has this much timed time

    def plan(self, operators: tuple[int, ...], waiting: int) -> Plan:
        return Plan(
            operators,
            waiting,
            batch=self.batch,
            warmup=self.warmup,
            max_batches=self.max_batches,
            min_batches=self.min_batches,
            budget_s=self.budget_s,
        )

    @property
    def decisions(self) -> int:
        return (self.warmup + self.max_batches) * self.batch


FULL = Grid(
    operators=(100, 1_000, 10_000, 100_000),
    waiting=(1_000, 10_000, 100_000, 1_000_000),
    traced_waiting=(1_000, 10_000, 100_000),
    traced_operators=(100, 1_000, 10_000, 100_000),
    batch=200,
    warmup=2,
    min_batches=11,
    max_batches=30,
    budget_s=1.0,
)
QUICK = Grid(
    operators=(100, 1_000, 10_000),
    waiting=(1_000, 10_000, 100_000),
    traced_waiting=(1_000, 10_000),
    traced_operators=(100, 1_000, 10_000),
    batch=200,
    warmup=1,
    min_batches=5,
    max_batches=10,
    budget_s=0.3,
)


# -- memory ------------------------------------------------------------------------


def available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (None where there is none)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def resident_bytes() -> int | None:
    """This process's resident set size (None off Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def traced(action: Callable[[], object]) -> int:
    """Bytes still allocated after ``action`` (and a collection), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = action()  # held until the reading: what the action built
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def object_bytes(count: int = 2_000) -> tuple[float, float]:
    """Bytes per Conversation and per Operator object, from a small sample: enough
    to tell whether the shared pools will fit before building them."""
    conversation = traced(lambda: make_conversations("m", MAIN, count)) / count
    operator = traced(lambda: make_team(LIVE, count)) / count
    return conversation, operator


@dataclass(frozen=True)
class WaitingMemory:
    waiting: int
    router_only: float  # bytes per waiting conversation, objects built before tracing
    with_objects: float  # ... and with the Conversation objects built while tracing


def waiting_memory(make: Callable[[], Strategy], count: int, pools: Pools) -> WaitingMemory:
    def submit_all(conversations: Sequence[Conversation]) -> object:
        router = make_router(lean=True)
        router.add_group(Group(MAIN, strategy=make()))
        submit = router.submit
        for conversation in conversations:
            submit(conversation)
        assert router.queue_length(MAIN) == count
        return router

    router_only = traced(lambda: submit_all(pools.main[:count]))
    # The host's list goes with the lambda's frame; the Router keeps the objects.
    with_objects = traced(lambda: submit_all(make_conversations("m", MAIN, count)))
    return WaitingMemory(count, router_only / count, with_objects / count)


def operator_memory(make: Callable[[], Strategy], count: int, pools: Pools) -> float:
    def bring_online() -> object:
        router = make_router(lean=True)
        router.add_group(Group(LIVE, strategy=make()))
        for operator in pools.live_team[:count]:
            router.add_operator(operator)
            router.set_status(operator.id, Status.ONLINE)
        return router

    return traced(bring_online) / count


# -- timing ------------------------------------------------------------------------


@dataclass
class Column:
    waiting: int
    cells: dict[int, float]  # operators → median µs per decision
    skipped: list[int]  # operators for which the Routers would not fit in memory
    built_s: float
    resident_per_waiting: float | None  # RSS growth / W of the second row's build


def run_column(
    make: Callable[[], Strategy],
    waiting: int,
    grid: Grid,
    pools: Pools,
    router_bytes: Callable[[int, int], float],
) -> Column:
    """Build one Router per row for ``waiting``, then time their batches in turn."""
    room = available_bytes()
    rows: list[int] = []
    need = 0.0
    for n in grid.operators:
        need += router_bytes(n, waiting)
        if room is not None and need > FIT_SHARE * room:
            break
        rows.append(n)
    skipped = [n for n in grid.operators if n not in rows]
    started = time.perf_counter()
    setups: list[Setup] = []
    resident_growth: float | None = None
    for n in rows:
        progress(f"{num(waiting)} waiting: building the Router with {num(n)} operators")
        before = resident_bytes()
        setups.append(build_dispatch(make, n, waiting, pools, True))
        after = resident_bytes()
        # The second row's: the first reuses what the previous column freed.
        if len(setups) == 2 and before is not None and after is not None:
            resident_growth = (after - before) / waiting
    built_s = time.perf_counter() - started
    plan = grid.plan(tuple(rows), waiting)
    runners = [
        Runner(
            setup.router.submit,
            setup.router.finish,
            setup,
            picks_for("dispatch", n, len(setup.active), plan.decisions),
            dispatch_batch,
        )
        for n, setup in zip(rows, setups, strict=True)
    ]
    progress(f"{num(waiting)} waiting: timing {len(rows)} Routers")
    timings = measure(runners, plan)
    for setup in setups:
        # The decisions never touched the waiting conversations.
        assert setup.router.queue_length(MAIN) == waiting
        assert setup.router.queue_length(LIVE) == 0
    cells = {n: timing.median_us for n, timing in zip(rows, timings, strict=True)}
    del setups, runners
    gc.collect()
    return Column(waiting, cells, skipped, built_s, resident_growth)


# -- reporting -----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def power(value: int) -> str:
    """10 000 → 10⁴."""
    digits = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    exponent = len(str(value)) - 1
    return f"10{str(exponent).translate(digits)}" if value == 10**exponent else num(value)


def scaling_table(grid: Grid, columns: list[Column]) -> str:
    head = ("operators \\ waiting", *(num(c.waiting) for c in columns))
    body = [
        (
            num(n),
            *(f"{c.cells[n]:.2f}" if n in c.cells else "no memory" for c in columns),
        )
        for n in grid.operators
    ]
    return markdown(head, body, {0})


def flatness(grid: Grid, columns: list[Column]) -> list[str]:
    low, high = FLAT_RANGE
    lines = [f"Flatness: max / min µs per decision over {power(low)}..{power(high)} operators"]
    lines[0] += f", goal <= {GOAL_FLAT:g}x:"
    for column in columns:
        cells = {n: us for n, us in column.cells.items() if low <= n <= high}
        if len(cells) < 2:
            lines.append(f"  {num(column.waiting):>9} waiting: fewer than two rows measured")
            continue
        ratio = max(cells.values()) / min(cells.values())
        span = f"{power(min(cells))}..{power(max(cells))}"
        partial = "" if (min(cells), max(cells)) == FLAT_RANGE else f" (over {span} only)"
        slowest = max(cells, key=cells.__getitem__)
        lines.append(
            f"  {num(column.waiting):>9} waiting: {ratio:.2f}x {verdict(ratio <= GOAL_FLAT)}"
            f"{partial}; slowest at {num(slowest)} operators"
        )
    # The other direction, no goal: does the number waiting cost anything per decision?
    spans = []
    for n in grid.operators:
        row = [c.cells[n] for c in columns if n in c.cells]
        if len(row) >= 2:
            spans.append(f"{num(n)}: {max(row) / min(row):.2f}x")
    if spans:
        first, last = columns[0].waiting, columns[-1].waiting
        lines.append(
            f"Across waiting ({power(first)}..{power(last)}), max / min per row (no goal):"
        )
        lines.append("  " + "; ".join(spans))
    return lines


def waiting_table(rows: list[WaitingMemory]) -> str:
    head = (
        "waiting",
        "B/waiting, Router only",
        "goal <= 1 KiB",
        "B/waiting, with Conversation objects",
        "goal <= 1 KiB",
    )
    body = [
        (
            num(row.waiting),
            f"{row.router_only:.0f}",
            verdict(row.router_only <= GOAL_BYTES_PER_WAITING),
            f"{row.with_objects:.0f}",
            verdict(row.with_objects <= GOAL_BYTES_PER_WAITING),
        )
        for row in rows
    ]
    return markdown(head, body, set())


def operator_table(rows: list[tuple[int, float]]) -> str:
    head = ("operators", "B/operator (added and ONLINE)")
    return markdown(head, [(num(n), f"{b:.0f}") for n, b in rows], set())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: up to 10 000 operators and 100 000 waiting, fewer decisions",
    )
    parser.add_argument(
        "--strategy",
        choices=[label for label, _, _ in STRATEGIES],
        default="LeastLoaded",
        help="the strategy of both groups (default LeastLoaded)",
    )
    args = parser.parse_args(argv)
    grid = QUICK if args.quick else FULL
    make = next(factory for label, factory, _ in STRATEGIES if label == args.strategy)
    started = time.perf_counter()

    print_header("scaling", args.quick)
    print(
        f"Scenario: bench_routing's dispatch on the lean Router, {args.strategy}; "
        "N operators (rows), W waiting"
    )
    print("in a group nobody serves (columns). One decision = submit() that a free operator")
    print("takes + finish() of a random active conversation.")
    print(
        f"Timing: a column's Routers alternate batches of {grid.batch} decisions after "
        f"{grid.warmup} warm-up batches,"
    )
    print(
        f"{grid.min_batches} to {grid.max_batches} timed batches each; cell = median batch "
        f"time / {grid.batch}, in µs; gc enabled."
    )
    print()

    # Will the shared pools fit? A small traced sample says what an object costs.
    conversation_b, operator_b = object_bytes()
    room = available_bytes()
    waiting_columns = list(grid.waiting)
    biggest_n = max(grid.operators)
    live_count = biggest_n + grid.decisions
    while room is not None and waiting_columns:
        pools_need = (max(waiting_columns) + live_count) * conversation_b + biggest_n * operator_b
        if pools_need <= FIT_SHARE * room:
            break
        print(
            f"Skipped: {num(waiting_columns.pop())} waiting; the conversation objects alone "
            f"would take {pools_need / 1e6:.0f} MB of {room / 1e6:.0f} MB available."
        )
    if not waiting_columns:
        print("Nothing fits in memory.")
        return

    progress("building conversations and operators")
    t0 = time.perf_counter()
    pools = Pools(
        main=make_conversations("m", MAIN, max(waiting_columns)),
        live=make_conversations("l", LIVE, live_count),
        main_team=[],
        live_team=make_team(LIVE, biggest_n),
    )
    pools_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    memory_rows = []
    for count in grid.traced_waiting:
        progress(f"memory: {num(count)} waiting (tracemalloc)")
        memory_rows.append(waiting_memory(make, count, pools))
    operator_rows = []
    for count in grid.traced_operators:
        progress(f"memory: {num(count)} operators (tracemalloc)")
        operator_rows.append((count, operator_memory(make, count, pools)))
    memory_s = time.perf_counter() - t0

    # What one Router of a cell holds, from the largest measurements, with a margin.
    per_waiting = max(row.router_only for row in memory_rows)
    per_operator = max(b for _, b in operator_rows)

    def router_bytes(n: int, waiting: int) -> float:
        return 1.5 * (waiting * per_waiting + n * (per_operator + per_waiting))

    columns = []
    for waiting in waiting_columns:
        columns.append(run_column(make, waiting, grid, pools, router_bytes))
    progress("")

    print(f"µs per decision (median), {args.strategy}, lean Router:")
    print()
    print(scaling_table(grid, columns))
    print()
    print("\n".join(flatness(grid, columns)))
    for column in columns:
        if column.skipped:
            skipped = ", ".join(num(n) for n in column.skipped)
            print(
                f"  {num(column.waiting)} waiting: not measured at {skipped} operators: "
                f"their Routers would not fit in the memory available"
            )
    print()

    print("Memory per waiting conversation (tracemalloc, lean Router, group main):")
    print()
    print(waiting_table(memory_rows))
    print()
    print("Router only: the Conversation objects (the host's) were built before tracing.")
    print(
        "With Conversation objects: built while tracing, as a host would "
        f"(about {conversation_b:.0f} B each)."
    )
    largest = columns[-1]
    if largest.resident_per_waiting is not None:
        second = sorted(largest.cells)[1]
        print(
            "Cross-check without tracemalloc: the resident set grew by "
            f"{largest.resident_per_waiting:.0f} B per waiting conversation"
        )
        print(
            f"while the Router with {num(second)} operators and {num(largest.waiting)} "
            "waiting was built (objects prebuilt;"
        )
        print("coarse: memory freed earlier is reused, pymalloc keeps partly used arenas).")
    print()
    print("Memory per operator (tracemalloc, lean Router, group live; no goal):")
    print()
    print(operator_table(operator_rows))
    print()
    print(f"Operator objects built before tracing (about {operator_b:.0f} B each, the host's).")
    print("Counted: what the Router keeps for them (its records, the strategy's and its own")
    print("indexes); the events it returns are freed before the reading.")
    print()

    built = sum(c.built_s for c in columns)
    print(
        f"Run time: pools {pools_s:.0f} s, memory {memory_s:.0f} s, building the Routers "
        f"{built:.0f} s, total {time.perf_counter() - started:.0f} s"
    )
    # ru_maxrss is in KiB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak resident set {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
