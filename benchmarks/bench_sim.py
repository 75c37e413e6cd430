"""Simulation speed: one M/M/c model in omniroute, Ciw, SimPy and a bare heapq loop.

Run ``python benchmarks/bench_sim.py`` (half a minute to a minute, most of it Ciw
and the Router) or add ``--quick`` for a smoke run (10 000 customers, one run of
each, a few seconds). It simulates the
same queue five ways in the same process and prints, for each, the customers
simulated per second and the ratios to the others, measured in the same run.

**The model.** M/M/c, first come first served: Poisson arrivals at 1 per second,
exponential handling with a mean of 180 s, c = 200 identical agents (offered load
180 Erlangs, occupancy 90 %), no abandonment. N customers arrive (100 000, or 10 000
with ``--quick``); then the system drains and every one of them is served. Each
implementation is seeded and draws its own random numbers, so their waits differ by
sampling noise only. Each reports the customers served, the mean wait in queue over
all of them, and the fraction who waited at all; the table shows these next to the
exact Erlang C figures (``omniroute.staffing.erlang_c`` and
``average_speed_of_answer``) to show that all five simulate the same system.

**The implementations.**

1. *bare heapq*: the tightest reasonable hand-written discrete-event loop, no
   library at all: a heap of service completion times, a deque of the arrival
   times of those waiting, a count of free agents, ``random.Random.expovariate``.
   The next arrival is drawn ahead; completions due before it are popped (a
   completion with somebody waiting replaces itself on the heap with the next
   service: ``heapreplace``). The floor of what Python can do for this model.
2. *SimPy*: the idiomatic model, ``simpy.Resource(env, capacity=200)``, one
   generator process per customer (request the resource, record the wait,
   ``env.timeout(handling)``), a source process that creates them.
3. *Ciw*: ``ciw.create_network`` with ``Exponential(1.0)`` arrivals,
   ``Exponential(1/180)`` service and 200 servers, ``ciw.seed``, then
   ``Simulation.simulate_until_max_customers(N, method="Finish")``. Ciw stops when
   N customers have left rather than after N arrivals; arrivals go on until then,
   so the ~200 in the system at the end are simulated but not counted. Waits come
   from ``get_all_records()`` (their ``waiting_time``). Ciw draws from Python's
   ``random`` module, which ``ciw.seed`` seeds like the bare loop's
   ``random.Random(seed)``, in nearly the same order, so its waits come out close
   to the bare loop's: not an independent sample.
4. *omniroute.sim*: the simulator, ``simulate(Scenario.from_dict(...), seed=...)``,
   running the full Router with its statistics: one group with ``longest_idle``,
   200 operators of ``Capacity(total=1)``, N voice arrivals at 3 600 per hour with
   exponential handling of mean 180 s, in a day 1.2 times as long as the arrivals
   take (queue lengths are sampled every minute of it, the default). Mean wait =
   the statistics' average speed of answer; P(wait) is not among its figures ("—").
5. *Router alone*: the bare loop's event loop driving ``omniroute.Router`` itself
   instead of a deque and a counter: one ``Group("queue",
   strategy=LongestIdle())``, 200 ``Operator``-s with ``Capacity(total=1)``, all
   ONLINE; ``submit(Conversation(...))`` on each arrival, ``finish()`` on each
   completion; every ``Assigned`` event in the returned lists schedules that
   conversation's completion. The clock is virtual: a closure over the loop's
   float. The Router keeps its statistics (``MetricsSettings`` with a 0 s
   service-level threshold for voice, so that P(wait) = 1 - answered within 0 s /
   answered, and hourly intervals); mean wait and P(wait) are read from them. This
   row shows how much of omniroute.sim's time is the Router and how much the
   simulator around it. It draws the same random numbers in the same order as the
   bare loop, so it retraces the bare loop's sample path: the script checks that
   their waits agree, i.e. that the Router made the same FIFO decisions.

**Timing.** ``time.perf_counter()`` around the simulation only: imports, building
the model (the Ciw network and ``Simulation``, the Router and its team, the
Scenario) and reading results afterwards (Ciw's records, the Router's statistics)
are outside. ``simulate()`` builds its Router inside, so that row includes it.
Each implementation runs ``--repeat`` times (default 3, 1 with ``--quick``) with
the same seed and the best time counts. ``gc.collect()`` before each run, the
garbage collector stays enabled. customers/s = N / seconds. "vs SimPy" and "vs Ciw"
are customers/s over theirs (how many times faster); "vs bare" is seconds over the
bare loop's seconds (how many times slower).

6. *Router alone, lean*: the same loop and Router, configured with
   ``configure(metrics=None, history=None)``: no statistics, so the loop itself
   keeps the waits of the ``Assigned`` events for the mean and P(wait).

The fast-core issue's goals: omniroute.sim at least 1.2x SimPy and 4x Ciw; the
Router alone at least 1.5x SimPy and at most 15x the bare loop's time (printed for
the Router with its statistics and for the lean one).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush, heapreplace

import omniroute
from omniroute import (
    Assigned,
    Capacity,
    Conversation,
    Group,
    MetricsSettings,
    OmnirouteError,
    Operator,
    Router,
    Status,
)
from omniroute.staffing import average_speed_of_answer, erlang_c
from omniroute.strategies import LongestIdle
from report import markdown, num, print_header, progress

# -- the model ---------------------------------------------------------------------

RATE = 1.0  # arrivals per second
HANDLE = 180.0  # mean handling time, seconds
SERVERS = 200
SEED = 1
FULL_CUSTOMERS = 100_000
QUICK_CUSTOMERS = 10_000

# The fast-core issue's goals: name → (at least x SimPy, at least x Ciw, at most x bare)
GOALS: dict[str, tuple[float | None, float | None, float | None]] = {
    "omniroute.sim": (1.2, 4.0, None),
    "Router alone": (1.5, None, 15.0),
    "Router alone, lean": (1.5, None, 15.0),
}


@dataclass
class Outcome:
    """What one run simulated."""

    served: int
    mean_wait: float | None
    p_wait: float | None = None


@dataclass
class Row:
    name: str
    outcome: Outcome | None = None
    seconds: float | None = None  # the best of the repeats
    missing: str = ""  # why the row did not run

    def per_second(self, customers: int) -> float | None:
        return None if self.seconds is None else customers / self.seconds


# A runner prepares a model (untimed) and returns the call that simulates it (timed)
# and the call that reads its results (untimed).
Prepared = tuple[Callable[[], object], Callable[[object], Outcome]]
Runner = Callable[[int, int], Prepared]


# -- 1. bare heapq ------------------------------------------------------------------


def bare(customers: int, seed: int) -> Prepared:
    def run() -> Outcome:
        expo = random.Random(seed).expovariate
        mu = 1.0 / HANDLE
        busy: list[float] = []  # completion times
        waiting: deque[float] = deque()  # arrival times of those waiting
        free = SERVERS
        wait_total = 0.0
        waited = 0
        now = 0.0
        for _ in range(customers):
            now += expo(RATE)
            while busy and busy[0] <= now:
                done = busy[0]
                if waiting:
                    wait_total += done - waiting.popleft()
                    waited += 1
                    heapreplace(busy, done + expo(mu))
                else:
                    heappop(busy)
                    free += 1
            if free:
                free -= 1
                heappush(busy, now + expo(mu))
            else:
                waiting.append(now)
        while waiting:  # drain: the agents take those still waiting
            done = busy[0]
            wait_total += done - waiting.popleft()
            waited += 1
            heapreplace(busy, done + expo(mu))
        return Outcome(customers, wait_total / customers, waited / customers)

    return run, lambda outcome: outcome  # type: ignore[return-value]


# -- 2. SimPy -----------------------------------------------------------------------


def simpy_model(customers: int, seed: int) -> Prepared:
    import simpy

    expo = random.Random(seed).expovariate
    mu = 1.0 / HANDLE
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=SERVERS)
    tally = {"served": 0, "wait": 0.0, "waited": 0}

    def customer(env: simpy.Environment) -> object:
        arrived = env.now
        with agents.request() as request:
            yield request
            wait = env.now - arrived
            if wait > 0:
                tally["wait"] += wait
                tally["waited"] += 1
            yield env.timeout(expo(mu))
        tally["served"] += 1

    def source(env: simpy.Environment) -> object:
        for _ in range(customers):
            yield env.timeout(expo(RATE))
            env.process(customer(env))

    env.process(source(env))

    def result(_: object) -> Outcome:
        served = tally["served"]
        return Outcome(served, tally["wait"] / served, tally["waited"] / served)

    return env.run, result


# -- 3. Ciw -------------------------------------------------------------------------


def ciw_model(customers: int, seed: int) -> Prepared:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE)],
        service_distributions=[ciw.dists.Exponential(1.0 / HANDLE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)

    def run() -> None:
        sim.simulate_until_max_customers(customers, method="Finish")

    def result(_: object) -> Outcome:
        waits = [r.waiting_time for r in sim.get_all_records() if r.record_type == "service"]
        served = len(waits)
        return Outcome(served, sum(waits) / served, sum(w > 0 for w in waits) / served)

    return run, result


# -- 4. omniroute.sim ---------------------------------------------------------------


def omniroute_sim(customers: int, seed: int) -> Prepared:
    from omniroute.sim import Scenario, simulate

    scenario = Scenario.from_dict(
        {
            # A day a little longer than the arrivals take (they stop at ``count``):
            # queue lengths are sampled every minute of the day, as by default, so a
            # day of 10 000 000 s (as this row had before) sampled 8 times per customer.
            "scenario": {
                "name": "M/M/c",
                "duration": math.ceil(1.2 * customers / RATE),
                "interval": 3600,
            },
            "groups": [{"id": "queue", "strategy": "longest_idle"}],
            "operators": [
                {"id": "agent", "count": SERVERS, "groups": ["queue"], "capacity": {"total": 1}}
            ],
            "arrivals": [
                {
                    "channel": "voice",
                    "group": "queue",
                    "per_hour": 3600 * RATE,
                    "count": customers,
                    "handle": {"kind": "exponential", "mean": HANDLE},
                }
            ],
        }
    )

    def run() -> object:
        return simulate(scenario, seed=seed)

    def result(run: object) -> Outcome:
        overall = run.overall  # type: ignore[attr-defined]
        if run.customers != customers:  # type: ignore[attr-defined]
            raise RuntimeError(f"omniroute.sim simulated {run.customers} customers")  # type: ignore[attr-defined]
        # ConversationStats.as_dict() names it average_speed_of_answer.
        asa = overall["asa"] if "asa" in overall else overall["average_speed_of_answer"]
        return Outcome(overall["answered"], asa)

    return run, result


# -- 5. Router alone ----------------------------------------------------------------


def router_alone(customers: int, seed: int, lean: bool = False) -> Prepared:
    now = 0.0

    def clock() -> float:
        return now

    router = Router(clock=clock)
    if lean:
        router.configure(metrics=None, history=None)
    else:
        router.configure(metrics=MetricsSettings(thresholds={"voice": 0.0}, interval=3600.0))
    router.add_group(Group("queue", strategy=LongestIdle()))
    for i in range(SERVERS):
        router.add_operator(Operator(f"a{i}", groups={"queue"}, capacity=Capacity(total=1)))
        router.set_status(f"a{i}", Status.ONLINE)
    waits: list[float] = []  # the lean Router keeps no statistics: the loop does

    def run() -> None:
        nonlocal now
        expo = random.Random(seed).expovariate
        mu = 1.0 / HANDLE
        submit, finish = router.submit, router.finish
        waited = waits.append if lean else None
        busy: list[tuple[float, str]] = []  # (completion time, conversation id)
        arrival = 0.0
        for i in range(customers):
            arrival += expo(RATE)
            while busy and busy[0][0] <= arrival:
                now, cid = heappop(busy)
                for event in finish(cid):
                    if type(event) is Assigned:
                        heappush(busy, (now + expo(mu), event.conversation_id))
                        if waited is not None:
                            waited(event.waited)
            now = arrival
            for event in submit(Conversation(f"c{i}", channel="voice", group="queue")):
                if type(event) is Assigned:
                    heappush(busy, (now + expo(mu), event.conversation_id))
                    if waited is not None:
                        waited(event.waited)
        while busy:
            now, cid = heappop(busy)
            for event in finish(cid):
                if type(event) is Assigned:
                    heappush(busy, (now + expo(mu), event.conversation_id))
                    if waited is not None:
                        waited(event.waited)

    def result(_: object) -> Outcome:
        if lean:
            p_wait = sum(1 for wait in waits if wait > 0) / len(waits)
            return Outcome(len(waits), sum(waits) / len(waits), p_wait)
        stats = router.metrics.stats(group="queue", channel="voice")
        p_wait = 1.0 - stats.answered_within / stats.answered
        return Outcome(stats.finished, stats.average_speed_of_answer, p_wait)

    return run, result


def lean_router_alone(customers: int, seed: int) -> Prepared:
    return router_alone(customers, seed, lean=True)


# -- running and reporting ----------------------------------------------------------

BARE, SIMPY, CIW, SIM = "bare heapq", "SimPy", "Ciw", "omniroute.sim"
ROUTER, LEAN = "Router alone", "Router alone, lean"
RUNNERS: list[tuple[str, Runner]] = [
    (BARE, bare),
    (SIMPY, simpy_model),
    (CIW, ciw_model),
    (SIM, omniroute_sim),
    (ROUTER, router_alone),
    (LEAN, lean_router_alone),
]


def measure(name: str, runner: Runner, customers: int, repeat: int) -> Row:
    row = Row(name)
    for attempt in range(repeat):
        progress(f"{name}: run {attempt + 1} of {repeat}, {num(customers)} customers")
        try:
            run, result = runner(customers, SEED)
        except ImportError as error:
            if name == SIM:
                row.missing = "omniroute.sim not available yet"
            else:
                row.missing = f"not installed ({error.name})"
            return row
        except OmnirouteError as error:  # an older omniroute, run for comparison
            row.missing = f"not supported by omniroute {omniroute.__version__}: {error}"
            return row
        gc.collect()
        started = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - started
        row.outcome = result(value)
        if row.seconds is None or seconds < row.seconds:
            row.seconds = seconds
        del run, result, value
    return row


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "—"
    share = value / base
    return f"{share:.2f}x" if share < 10 else f"{share:.1f}x"


def table(rows: list[Row], customers: int) -> str:
    head = (
        "implementation",
        "customers",
        "seconds",
        "customers/s",
        "vs SimPy",
        "vs Ciw",
        "vs bare (time)",
        "mean wait (s)",
        "P(wait)",
    )
    by_name = {row.name: row for row in rows}
    simpy_rate = by_name[SIMPY].per_second(customers)
    ciw_rate = by_name[CIW].per_second(customers)
    bare_seconds = by_name[BARE].seconds
    body = []
    for row in rows:
        if row.outcome is None or row.seconds is None:
            body.append((row.name, "n/a", *("—" for _ in head[2:])))
            continue
        out = row.outcome
        body.append(
            (
                row.name,
                num(out.served),
                f"{row.seconds:.3f}",
                num(customers / row.seconds),
                ratio(row.per_second(customers), simpy_rate),
                ratio(row.per_second(customers), ciw_rate),
                ratio(row.seconds, bare_seconds),
                "—" if out.mean_wait is None else f"{out.mean_wait:.3f}",
                "—" if out.p_wait is None else f"{out.p_wait:.4f}",
            )
        )
    load = RATE * HANDLE
    body.append(
        (
            "Erlang C (exact)",
            "",
            "",
            "",
            "",
            "",
            "",
            f"{average_speed_of_answer(SERVERS, RATE, HANDLE):.3f}",
            f"{erlang_c(SERVERS, load):.4f}",
        )
    )
    return markdown(head, body, {0})


def notes(rows: list[Row]) -> list[str]:
    """Rows that did not run, and whether the Routers alone retraced the bare loop."""
    lines = [f"{row.name}: {row.missing}" for row in rows if row.outcome is None]
    by_name = {row.name: row for row in rows}
    bare_out = by_name[BARE].outcome
    for name in (ROUTER, LEAN):
        router_out = by_name[name].outcome
        if bare_out is None or router_out is None:
            continue
        same = (
            bare_out.served == router_out.served
            and router_out.mean_wait is not None
            and math.isclose(bare_out.mean_wait or 0.0, router_out.mean_wait, rel_tol=1e-9)
            and router_out.p_wait is not None
            and math.isclose(bare_out.p_wait or 0.0, router_out.p_wait, rel_tol=1e-9)
        )
        lines.append(
            f"{name} draws the same random numbers in the same order as the bare loop: "
            + ("same sample path, same waits." if same else "its waits DIFFER from the bare's.")
        )
    return lines


def goals(rows: list[Row], customers: int) -> list[str]:
    """The issue's goals, met or MISSED, for omniroute.sim and the Routers alone."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    by_name = {row.name: row for row in rows}
    simpy_rate = by_name[SIMPY].per_second(customers)
    ciw_rate = by_name[CIW].per_second(customers)
    bare_seconds = by_name[BARE].seconds
    lines = ["Goals (customers/s over SimPy's and Ciw's; time over the bare loop's):"]
    for name, (vs_simpy, vs_ciw, vs_bare) in GOALS.items():
        row = by_name[name]
        label = f"  {name:<19}"
        rate = row.per_second(customers)
        if rate is None or row.seconds is None:
            lines.append(f"{label}not measured: {row.missing}")
            continue
        parts = []
        if vs_simpy is not None and simpy_rate:
            speedup = rate / simpy_rate
            parts.append(f"{speedup:.2f}x SimPy (>= {vs_simpy:g}) {verdict(speedup >= vs_simpy)}")
        if vs_ciw is not None and ciw_rate:
            speedup = rate / ciw_rate
            parts.append(f"{speedup:.2f}x Ciw (>= {vs_ciw:g}) {verdict(speedup >= vs_ciw)}")
        if vs_bare is not None and bare_seconds:
            slower = row.seconds / bare_seconds
            parts.append(
                f"{slower:.1f}x the bare time (<= {vs_bare:g}) {verdict(slower <= vs_bare)}"
            )
        lines.append(label + "; ".join(parts))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 10 000 customers, one run each"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per implementation, best counts (3)"
    )
    parser.add_argument(
        "--customers", type=int, default=None, help="arrivals to simulate (100 000)"
    )
    args = parser.parse_args(argv)
    customers = args.customers or (QUICK_CUSTOMERS if args.quick else FULL_CUSTOMERS)
    repeat = args.repeat or (1 if args.quick else 3)
    started = time.perf_counter()

    print_header("M/M/c simulation", args.quick)
    print(
        f"Model: M/M/c FIFO, arrivals {RATE:g}/s (Poisson), handling exponential with "
        f"mean {HANDLE:g} s,"
    )
    print(
        f"c = {SERVERS} agents ({RATE * HANDLE:g} Erlangs), {num(customers)} arrivals "
        f"then drain, seed {SEED}."
    )
    print(
        f"Timing: perf_counter around the simulation only; best of {repeat} "
        f"run{'s' if repeat > 1 else ''}; gc.collect() before each, gc enabled."
    )
    print(
        "customers/s = arrivals / seconds; vs SimPy, vs Ciw = customers/s over theirs; "
        "vs bare = seconds over the bare loop's."
    )
    print()

    rows = [measure(name, runner, customers, repeat) for name, runner in RUNNERS]
    progress("")
    print(table(rows, customers))
    print()
    print("\n".join(notes(rows)))
    print()
    print("\n".join(goals(rows, customers)))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
