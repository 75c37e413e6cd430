"""Routing decisions per second: omniroute's strategies against a naive list scan.

Run ``python benchmarks/bench_routing.py`` (one to two minutes) or add ``--quick``
for a smoke run (fewer decisions, 10 000 waiting conversations, under 20 s). It
prints one table per scenario: for each built-in strategy (RoundRobin,
LeastLoaded, LongestIdle, SkillBased) and 10, 100, 1 000 and 10 000 operators, the
median microseconds per decision and the decisions per second of omniroute's
``Router`` and of a naive router (``benchmarks/naive.py``: operators in a list,
waiting conversations in a deque, a linear scan of the operators per decision)
measured in the same run, on the same operations from the same state, and the
speed-up (naive time / omniroute time).

omniroute runs twice: the *lean* Router (``configure(metrics=None, history=None)``:
no statistics, no customer history, no policies: the bare routing, which the goals
are about) and the *default* one (statistics and history kept, as ``Router()``
comes); "default / lean" is what those defaults cost. The three run side by side,
batch after batch.

Team and work, the same for every strategy so that rows compare:

* operator ``i`` has ``Capacity(total=3)`` and skill profile ``i % 8`` of eight
  profiles over the skills ``billing`` and ``ru``; five of the eight have
  ``billing >= 2``;
* every other conversation requires ``{"billing": 2}``, the rest require nothing; all
  are chats of the same priority. The conversation objects are built once and
  reused by every router (they are immutable); each router gets its own submissions.

Scenario 1, *drain* (the queue at work). One group; its N operators are ONLINE and
full (3 of 3); 100 000 conversations wait in the group. One decision is
``finish()`` of a random active conversation, whose operator at once takes the
oldest waiting conversation it qualifies for (the Router returns ``Finished,
Assigned``), then ``submit()`` of a new conversation, which joins the tail of the
queue (``Queued``): 100 000 keep waiting. Nobody is ever free, so the strategy is
never consulted. The naive router scans all N operators on each submit for a free
one before queueing, and takes the first eligible conversation of its deque on
finish.

Scenario 2, *dispatch* (the strategies at work). The N operators serve group
``live`` and hold N conversations in all (about 1 of 3 each, placed by the
strategy itself); nobody waits in ``live``. The 100 000 waiting conversations sit
in a second group, ``main``, that these operators do not serve. One decision is
``submit()`` of a new ``live`` conversation, which the group's strategy gives to a
free operator (``Assigned``), then ``finish()`` of a random active conversation
(``Finished``), so the load stays at N. omniroute asks the strategy's index of the
free operators who meet the requirement for the first candidate; the naive router
scans all N operators for the best by the strategy's order. Round-robin's naive scan
starts after the operator served last and stops at the first that may take the conversation; with
most operators free that is the next one or two, so that baseline does not grow
with N and is not the list scan the other three pay for.

Timing. Decisions run in batches of 200 timed with ``time.perf_counter_ns``; the
median batch time divided by 200 is the "µs/decision", and all timed decisions
divided by all timed time (pauses included) is the "decisions/s". omniroute and
naive batches alternate, after untimed warm-up batches. ``gc.collect()`` runs
before timing and the garbage collector stays enabled, as in production. The
clock is virtual: a float that advances by 1 ms on every read. Before timing, the
script checks on small teams that both routers make exactly the same decisions.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from naive import NaiveRouter
from omniroute import Assigned, Capacity, Conversation, Event, Group, Operator, Router, Status
from omniroute.strategies import LeastLoaded, LongestIdle, RoundRobin, SkillBased, Strategy
from report import markdown, num, print_header, progress

# -- the workload ------------------------------------------------------------------

SIZES = (10, 100, 1_000, 10_000)
WAITING = 100_000
LIMIT = 3
CAPACITY = Capacity(total=LIMIT)
CHANNEL = "chat"
MAIN = "main"  # the group with the waiting conversations
LIVE = "live"  # the group of the dispatch scenario, with nobody waiting
PROFILES: tuple[dict[str, int], ...] = (
    {"billing": 1},
    {"billing": 2},
    {"billing": 3},
    {"billing": 1, "ru": 2},
    {"billing": 2, "ru": 1},
    {"billing": 3, "ru": 3},
    {"ru": 2},
    {"billing": 2, "ru": 3},
)
REQUIREMENT = {"billing": 2}  # met by 5 of the 8 profiles


def meets(profile: dict[str, int]) -> bool:
    return all(profile.get(skill, -1) >= level for skill, level in REQUIREMENT.items())


# (label, strategy class, the naive router's name for it)
STRATEGIES: tuple[tuple[str, Callable[[], Strategy], str], ...] = (
    ("RoundRobin", RoundRobin, "round_robin"),
    ("LeastLoaded", LeastLoaded, "least_loaded"),
    ("LongestIdle", LongestIdle, "longest_idle"),
    ("SkillBased", SkillBased, "skill_based"),
)

# the goals of the fast-core issue, for the lean Router: at 10 000 operators at most
# 12 µs per decision and (but round-robin, whose naive baseline does not scan) 100x
# the naive scan; at 10 operators at most 1.5x the naive time
GOAL_BIG, GOAL_SPEEDUP, GOAL_MAX_US = 10_000, 100.0, 12.0
GOAL_SMALL, GOAL_MAX_RATIO = 10, 1.5
NO_SPEEDUP_GOAL = {"RoundRobin"}

Submit = Callable[[Conversation], list[Event]]
Finish = Callable[[str], list[Event]]
Batch = Callable[[Submit, Finish, list[str], list[int], Sequence[Conversation], int, int], None]


def virtual_clock(start: float = 0.0, step: float = 0.001) -> Callable[[], float]:
    """A clock that advances by ``step`` seconds on every read, cheap to call."""
    return functools.partial(next, itertools.count(start + step, step))


def make_conversations(prefix: str, group: str, count: int) -> list[Conversation]:
    """Chats of ``group``; every other one requires ``REQUIREMENT``."""
    return [
        Conversation(f"{prefix}{i}", CHANNEL, group, requires=REQUIREMENT if i % 2 == 0 else None)
        for i in range(count)
    ]


def make_team(group: str, count: int) -> list[Operator]:
    return [
        Operator(f"op{i}", groups={group}, skills=PROFILES[i % len(PROFILES)], capacity=CAPACITY)
        for i in range(count)
    ]


@dataclass
class Pools:
    """Immutable inputs built once and shared by every router."""

    main: list[Conversation]  # group MAIN: waiting, initial load and drain arrivals
    live: list[Conversation]  # group LIVE: dispatch load and arrivals
    main_team: list[Operator]
    live_team: list[Operator]


@dataclass
class Setup:
    """A Router in a scenario's starting state, and what the driver needs to go on."""

    router: Router
    active: list[str]  # ids of assigned conversations; decisions finish random ones
    arrivals: Sequence[Conversation]  # what decisions submit, in order
    last_served: dict[str, str]  # group → operator who received its last conversation


def _track(events: list[Event], active: list[str], last_served: dict[str, str]) -> None:
    for event in events:
        if isinstance(event, Assigned):
            active.append(event.conversation_id)
            last_served[event.group] = event.operator_id


def make_router(lean: bool) -> Router:
    """The default Router (statistics and customer history kept), or the lean one
    (``configure(metrics=None, history=None)``): no features, the bare routing."""
    router = Router(clock=virtual_clock())
    if lean:
        router.configure(metrics=None, history=None)
    return router


def build_drain(
    make: Callable[[], Strategy], n: int, waiting: int, pools: Pools, lean: bool = False
) -> Setup:
    router = make_router(lean)
    router.add_group(Group(MAIN, strategy=make()))
    team = pools.main_team[:n]
    for operator in team:
        router.add_operator(operator)
    # Everyone waits first; then each operator comes ONLINE and fills up from the head.
    submit = router.submit
    for conversation in pools.main[: LIMIT * n + waiting]:
        submit(conversation)
    active: list[str] = []
    last_served: dict[str, str] = {}
    for operator in team:
        _track(router.set_status(operator.id, Status.ONLINE), active, last_served)
    assert len(active) == LIMIT * n, "every operator is full"
    assert router.queue_length(MAIN) == waiting
    return Setup(router, active, pools.main[LIMIT * n + waiting :], last_served)


def build_dispatch(
    make: Callable[[], Strategy], n: int, waiting: int, pools: Pools, lean: bool = False
) -> Setup:
    router = make_router(lean)
    router.add_group(Group(MAIN, strategy=make()))
    router.add_group(Group(LIVE, strategy=make()))
    submit = router.submit
    for conversation in pools.main[:waiting]:
        submit(conversation)  # nobody serves MAIN: they all wait
    for operator in pools.live_team[:n]:
        router.add_operator(operator)
        router.set_status(operator.id, Status.ONLINE)
    active: list[str] = []
    last_served: dict[str, str] = {}
    for conversation in pools.live[:n]:
        _track(submit(conversation), active, last_served)
    assert len(active) == n, "the initial load is all assigned"
    assert router.queue_length(MAIN) == waiting
    assert router.queue_length(LIVE) == 0
    return Setup(router, active, pools.live[n:], last_served)


def drain_batch(
    submit: Submit,
    finish: Finish,
    active: list[str],
    picks: list[int],
    arrivals: Sequence[Conversation],
    start: int,
    stop: int,
) -> None:
    for j in range(start, stop):
        k = picks[j]
        # [Finished, Assigned]: the freed operator took the head of the queue
        active[k] = finish(active[k])[1].conversation_id
        submit(arrivals[j])  # [Queued] at the tail


def dispatch_batch(
    submit: Submit,
    finish: Finish,
    active: list[str],
    picks: list[int],
    arrivals: Sequence[Conversation],
    start: int,
    stop: int,
) -> None:
    for j in range(start, stop):
        conversation = arrivals[j]
        submit(conversation)  # [Assigned] to the operator the strategy chose
        k = picks[j]
        finish(active[k])  # [Finished]; nobody waits in this group
        active[k] = conversation.id


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[Callable[[], Strategy], int, int, Pools, bool], Setup]
    batch: Batch
    header: str


SCENARIOS = (
    Scenario(
        "drain",
        build_drain,
        drain_batch,
        """\
Scenario 1 - drain: the queue at work.
One group; N operators, each Capacity(total=3), all ONLINE and full; {waiting}
conversations wait in the group. One decision = finish() of a random active
conversation, whose operator at once takes the oldest waiting conversation it
qualifies for (Finished, Assigned), then submit() of a new conversation, which
joins the tail (Queued): {waiting} keep waiting. Nobody is ever free, so the
strategy is never consulted and the four rows of a size do the same work.
omniroute: finish compares the heads of the operator's eligible lines; submit skips
the search because its line is not empty. Naive: finish takes the first eligible
conversation of the deque; submit scans all N operators for a free one (about
25 ns per full operator) before queueing.""",
    ),
    Scenario(
        "dispatch",
        build_dispatch,
        dispatch_batch,
        """\
Scenario 2 - dispatch: the strategies at work.
N operators, each Capacity(total=3), serve group "live" and hold N conversations
in all (about 1 of 3 each, placed by the strategy); nobody waits in "live". The
{waiting} waiting conversations sit in group "main", which these operators do not
serve. One decision = submit() of a new conversation, which the strategy gives to
a free operator (Assigned), then finish() of a random active one (Finished).
omniroute: the strategy's index of free operators meeting the requirement proposes
the candidate.
Naive: a scan of all N operators for the best by the strategy's order, except
round-robin, which scans from the operator after the last one served and stops at
the first that may take it; with most operators free that is the next one or two,
so that baseline costs about the same at every N.""",
    ),
)


# -- measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    waiting: int
    batch: int  # decisions per timed batch
    warmup: int  # untimed batches first
    max_batches: int  # timed batches per implementation and row, at most
    min_batches: int  # ... and at least
    budget_s: float  # past min_batches, stop once this much time was timed

    @property
    def decisions(self) -> int:
        return (self.warmup + self.max_batches) * self.batch


FULL = Plan(SIZES, WAITING, batch=200, warmup=2, max_batches=50, min_batches=11, budget_s=1.5)
QUICK = Plan(SIZES, 10_000, batch=200, warmup=1, max_batches=6, min_batches=3, budget_s=0.15)


class Runner:
    """One implementation going through a scenario's decisions, batch by batch."""

    def __init__(
        self,
        submit: Submit,
        finish: Finish,
        setup: Setup,
        picks: list[int],
        batch: Batch,
    ) -> None:
        self.submit = submit
        self.finish = finish
        self.active = list(setup.active)
        self.arrivals = setup.arrivals
        self.picks = picks
        self.run_batch = batch
        self.done = 0  # decisions made so far
        self.times: list[int] = []  # ns per timed batch

    def run(self, size: int) -> int:
        start = self.done
        t0 = time.perf_counter_ns()
        self.run_batch(
            self.submit, self.finish, self.active, self.picks, self.arrivals, start, start + size
        )
        elapsed = time.perf_counter_ns() - t0
        self.done = start + size
        return elapsed

    def wants_more(self, plan: Plan) -> bool:
        n = len(self.times)
        if n < plan.min_batches:
            return True
        return n < plan.max_batches and sum(self.times) < plan.budget_s * 1e9


@dataclass(frozen=True)
class Timing:
    median_us: float  # per decision, from the median batch
    per_second: float  # over all timed batches


def timing_of(runner: Runner, batch: int) -> Timing:
    median_us = statistics.median(runner.times) / batch / 1e3
    per_second = len(runner.times) * batch / (sum(runner.times) / 1e9)
    return Timing(median_us, per_second)


def measure(runners: Sequence[Runner], plan: Plan) -> list[Timing]:
    """Time the runners' batches in turn, each batch after the other's."""
    for runner in runners:
        for _ in range(plan.warmup):
            runner.run(plan.batch)
    gc.collect()
    while any(runner.wants_more(plan) for runner in runners):
        for runner in runners:
            if runner.wants_more(plan):
                runner.times.append(runner.run(plan.batch))
    return [timing_of(runner, plan.batch) for runner in runners]


def picks_for(scenario: str, n: int, active: int, count: int) -> list[int]:
    """Which active conversation each decision finishes: the same for every strategy."""
    rng = random.Random(f"{scenario}/{n}")
    return [rng.randrange(active) for _ in range(count)]


@dataclass(frozen=True)
class Row:
    strategy: str
    operators: int
    lean: Timing  # configure(metrics=None, history=None)
    full: Timing  # the defaults: statistics and customer history kept
    naive: Timing

    @property
    def speedup(self) -> float:
        """The naive time over the lean Router's."""
        return self.naive.median_us / self.lean.median_us

    @property
    def statistics(self) -> float:
        """What the default features cost: the default Router's time over the lean one's."""
        return self.full.median_us / self.lean.median_us


def run_row(
    scenario: Scenario,
    label: str,
    make: Callable[[], Strategy],
    naive_name: str,
    n: int,
    plan: Plan,
    pools: Pools,
) -> Row:
    setups = [scenario.build(make, n, plan.waiting, pools, lean) for lean in (True, False)]
    first = setups[0]
    naive = NaiveRouter.copy_of(
        first.router, naive_name, virtual_clock(first.router.now), first.last_served
    )
    picks = picks_for(scenario.name, n, len(first.active), plan.decisions)
    runners = [
        Runner(setup.router.submit, setup.router.finish, setup, picks, scenario.batch)
        for setup in setups
    ]
    runners.append(Runner(naive.submit, naive.finish, first, picks, scenario.batch))
    lean, full, base = measure(runners, plan)
    # All still hold the same work: the queue and the load did not drift.
    for setup in setups:
        assert setup.router.queue_length() == plan.waiting, setup.router.queue_lengths()
    assert sum(map(len, naive.waiting.values())) == plan.waiting
    assert len(naive.live) == len(first.active)
    return Row(label, n, lean, full, base)


# -- checking the baseline -----------------------------------------------------------


def signature(events: list[Event]) -> tuple[tuple[Any, ...], ...]:
    """What was decided: event kinds, conversations, operators, queue positions."""
    return tuple(
        (
            type(e).__name__,
            getattr(e, "conversation_id", None),
            getattr(e, "operator_id", None),
            getattr(e, "position", None),
        )
        for e in events
    )


def recording(call: Callable[[Any], list[Event]], log: list[Any]) -> Callable[[Any], list[Event]]:
    def wrapped(argument: Any) -> list[Event]:
        events = call(argument)
        log.append(signature(events))
        return events

    return wrapped


def check_baseline(pools: Pools, decisions: int = 2_000) -> int:
    """Run both routers through every scenario and strategy on small teams and
    require identical decisions. Returns how many decisions were compared."""
    compared = 0
    for scenario in SCENARIOS:
        for label, make, naive_name in STRATEGIES:
            for n, waiting, lean in ((8, 50, True), (37, 400, False)):
                setup = scenario.build(make, n, waiting, pools, lean)
                router = setup.router
                naive = NaiveRouter.copy_of(
                    router, naive_name, virtual_clock(router.now), setup.last_served
                )
                picks = picks_for("check", n, len(setup.active), decisions)
                logs: tuple[list[Any], list[Any]] = ([], [])
                for impl, log in zip((router, naive), logs, strict=True):
                    runner = Runner(
                        recording(impl.submit, log),
                        recording(impl.finish, log),
                        setup,
                        picks,
                        scenario.batch,
                    )
                    runner.run(decisions)
                if logs[0] != logs[1]:
                    first = next(i for i, (a, b) in enumerate(zip(*logs, strict=False)) if a != b)
                    raise AssertionError(
                        f"naive baseline disagrees with omniroute ({scenario.name}, {label}, "
                        f"n={n}) at call {first}: {logs[0][first]} != {logs[1][first]}"
                    )
                compared += decisions
    return compared


# -- reporting -----------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = (
        "strategy",
        "operators",
        "lean µs/decision",
        "lean decisions/s",
        "default µs/decision",
        "default / lean",
        "naive µs/decision",
        "naive decisions/s",
        "speed-up (naive/lean)",
    )
    body = [
        (
            row.strategy,
            num(row.operators),
            f"{row.lean.median_us:.2f}",
            num(row.lean.per_second),
            f"{row.full.median_us:.2f}",
            f"{row.statistics:.2f}x",
            f"{row.naive.median_us:.2f}",
            num(row.naive.per_second),
            f"{row.speedup:.1f}x",
        )
        for row in rows
    ]
    return markdown(head, body, {0})


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def goals(rows: list[Row], speedups: bool) -> list[str]:
    """The issue's goals for the lean Router, row by row: met or MISSED. The speed-up
    goal is the dispatch scenario's, where the strategies work (``speedups``)."""
    lines = [
        f"Goals (lean Router): at {num(GOAL_BIG)} operators at most {GOAL_MAX_US:g} µs/decision"
        + (
            f" and at least {GOAL_SPEEDUP:g}x faster than naive (not round-robin, whose "
            "baseline does not scan)"
            if speedups
            else ""
        )
        + f"; at {GOAL_SMALL} operators at most {GOAL_MAX_RATIO:g}x the naive time."
    ]
    by_key = {(r.strategy, r.operators): r for r in rows}
    for label, _, _ in STRATEGIES:
        parts = []
        big = by_key.get((label, GOAL_BIG))
        if big is not None:
            us, speedup = big.lean.median_us, big.speedup
            part = f"{num(GOAL_BIG)}: {us:.2f} µs {verdict(us <= GOAL_MAX_US)}"
            if speedups and label not in NO_SPEEDUP_GOAL:
                part += f", {speedup:.1f}x {verdict(speedup >= GOAL_SPEEDUP)}"
            parts.append(part)
        small = by_key.get((label, GOAL_SMALL))
        if small is not None:
            ratio = small.lean.median_us / small.naive.median_us
            ok = ratio <= GOAL_MAX_RATIO
            parts.append(f"{GOAL_SMALL}: {ratio:.2f}x the naive time {verdict(ok)}")
        lines.append(f"  {label:<12} " + "; ".join(parts))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: fewer decisions and 10 000 waiting conversations",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()

    print_header("routing", args.quick)
    print(
        f"Team: operator i has Capacity(total={LIMIT}) and skill profile i % {len(PROFILES)} "
        "over billing/ru;"
    )
    print(
        f"{sum(map(meets, PROFILES))} of the {len(PROFILES)} profiles have billing >= 2. "
        "Work: chats of equal priority;"
    )
    print("every other conversation requires billing >= 2. The same for every strategy.")
    print(
        f"Timing: batches of {plan.batch} decisions (perf_counter_ns); omniroute and naive "
        "batches alternate"
    )
    print(
        f"after warming up ({plan.warmup} batches each); {plan.min_batches} to "
        f"{plan.max_batches} timed batches per router and row."
    )
    print(
        f"median µs/decision = median batch time / {plan.batch}; "
        "decisions/s = timed decisions / timed seconds."
    )
    print("gc.collect() before timing, gc enabled; virtual clock, +1 ms per read.")
    print()

    progress("building conversations and operators")
    biggest = max(plan.sizes)
    pools = Pools(
        main=make_conversations("m", MAIN, LIMIT * biggest + plan.waiting + plan.decisions),
        live=make_conversations("l", LIVE, biggest + plan.decisions),
        main_team=make_team(MAIN, biggest),
        live_team=make_team(LIVE, biggest),
    )
    progress("checking that the naive baseline decides like omniroute")
    compared = check_baseline(pools)
    print(
        f"Baseline check: the naive router made the same {num(compared)} decisions as "
        "omniroute\n(every scenario and strategy; 8 operators with the lean Router, 37 with "
        "the default one)."
    )
    print()

    for scenario in SCENARIOS:
        rows = []
        for label, make, naive_name in STRATEGIES:
            for n in plan.sizes:
                progress(f"{scenario.name}: {label}, {n} operators")
                rows.append(run_row(scenario, label, make, naive_name, n, plan, pools))
                gc.collect()
        progress("")
        print(scenario.header.format(waiting=num(plan.waiting)))
        print()
        print(table(rows))
        print()
        print("\n".join(goals(rows, speedups=scenario.name == "dispatch")))
        print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
