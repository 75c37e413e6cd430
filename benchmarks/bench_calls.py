"""The cost of each public Router call at 10 000 operators: the figures in the docstrings.

Run ``python benchmarks/bench_calls.py`` (about a minute) or add ``--quick`` (a few
seconds). The team is bench_routing.py's: operator ``i`` has ``Capacity(total=3)``
and skill profile ``i % 8``; every other conversation requires ``billing >= 2``.
Each call is timed in batches of 200 with ``perf_counter_ns``, on the lean Router
(``configure(metrics=None, history=None)``) and on the default one (statistics and
customer history kept), and the table prints the median µs per call:

* ``submit`` (assigned): a conversation that a free operator takes at once; it is
  finished untimed after each batch;
* ``submit`` (queued): a conversation of a group nobody serves: it waits, behind
  100 000 others (the line is long, so ``position`` and the estimate have work);
* ``finish`` (nobody waiting): the freed slot finds no work;
* ``finish`` (takes the next): in a group whose operators are all full, with
  100 000 waiting: the freed operator takes the head of the line;
* ``set_status`` AWAY then ONLINE (timed as a pair, halved): an operator holding
  one conversation of three;
* ``position``, ``conversation`` (a waiting one's view), ``tick`` (nothing due) and
  ``next_due``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench_routing import PROFILES, REQUIREMENT, virtual_clock
from omniroute import Capacity, Conversation, Group, Operator, Router, Status
from omniroute.strategies import LeastLoaded
from report import markdown, num, print_header

OPERATORS = 10_000
WAITING = 100_000
BATCH = 200


def make_router(lean: bool, waiting: int) -> Router:
    """``live``: OPERATORS operators about one-third loaded; ``full``: 200 operators,
    all full, with ``waiting`` conversations in line; ``main``: nobody serves it,
    ``waiting`` in line."""
    router = Router(clock=virtual_clock())
    if lean:
        router.configure(metrics=None, history=None)
    for group in ("live", "full", "main"):
        router.add_group(Group(group, strategy=LeastLoaded()))
    capacity = Capacity(total=3)
    for i in range(OPERATORS):
        skills = PROFILES[i % len(PROFILES)]
        router.add_operator(Operator(f"op{i}", groups={"live"}, skills=skills, capacity=capacity))
        router.set_status(f"op{i}", Status.ONLINE)
        router.submit(Conversation(f"live{i}", "chat", "live"))
    for i in range(200):
        router.add_operator(Operator(f"full{i}", groups={"full"}, capacity=capacity))
        router.set_status(f"full{i}", Status.ONLINE)
    for i in range(600 + waiting):
        router.submit(Conversation(f"full-c{i}", "chat", "full"))
    for i in range(waiting):
        router.submit(Conversation(f"main-c{i}", "chat", "main"))
    return router


def timed(batch: Callable[[int], None], batches: int) -> float:
    """Median µs per call over ``batches`` batches of BATCH calls."""
    times = []
    gc.collect()
    for b in range(batches + 1):
        t0 = time.perf_counter_ns()
        batch(b)
        spent = time.perf_counter_ns() - t0
        if b:  # the first warms up
            times.append(spent)
    return statistics.median(times) / BATCH / 1e3


def each(call: Callable[[Any], object], items: Sequence[Any]) -> Callable[[int], None]:
    """A batch: ``call`` on every item of ``items``."""

    def batch(_: int) -> None:
        for item in items:
            call(item)

    return batch


def calls(router: Router, batches: int) -> dict[str, float]:
    made = iter(range(10**9))
    results: dict[str, float] = {}

    def conversations(group: str, requires: bool = False) -> list[Conversation]:
        return [
            Conversation(
                f"x{next(made)}", "chat", group, requires=REQUIREMENT if requires else None
            )
            for _ in range(BATCH)
        ]

    def submit_assigned(_: int) -> None:
        todo = conversations("live", requires=True)
        t0 = time.perf_counter_ns()
        for c in todo:
            router.submit(c)
        spent.append(time.perf_counter_ns() - t0)
        for c in todo:
            router.finish(c.id)

    spent: list[int] = []
    for _ in range(batches + 1):
        submit_assigned(0)
    results["submit (assigned)"] = statistics.median(spent[1:]) / BATCH / 1e3

    queued = [conversations("main") for _ in range(batches + 1)]
    batch = iter(queued)
    results["submit (queued)"] = timed(lambda _: each(router.submit, next(batch))(0), batches)
    same = [queued[0][0].id] * BATCH
    results["position"] = timed(each(router.position, same), batches)
    results["conversation"] = timed(each(router.conversation, same), batches)

    live = [conversations("live") for _ in range(batches + 1)]
    for todo in live:
        for c in todo:
            router.submit(c)
    ids = iter([c.id for c in todo] for todo in live)
    results["finish (nobody waiting)"] = timed(lambda _: each(router.finish, next(ids))(0), batches)
    full = iter([f"full-c{b * BATCH + i}" for i in range(BATCH)] for b in range(batches + 1))
    results["finish (takes the next)"] = timed(
        lambda _: each(router.finish, next(full))(0), batches
    )

    toggled = [f"op{i}" for i in range(0, OPERATORS, 7)][:BATCH]

    def away_and_back(_: int) -> None:
        for operator_id in toggled:
            router.set_status(operator_id, Status.AWAY)
            router.set_status(operator_id, Status.ONLINE)

    results["set_status"] = timed(away_and_back, batches) / 2
    nothing = [()] * BATCH
    results["tick (nothing due)"] = timed(each(lambda _: router.tick(), nothing), batches)
    results["next_due"] = timed(each(lambda _: router.next_due(), nothing), batches)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches, 10 000 waiting")
    args = parser.parse_args(argv)
    batches = 3 if args.quick else 15
    waiting = 10_000 if args.quick else WAITING
    print_header("per-call", args.quick)
    print(
        f"{num(OPERATORS)} operators, {num(waiting)} waiting in each of two groups; "
        f"median µs per call, batches of {BATCH}\n"
    )
    lean = calls(make_router(True, waiting), batches)
    gc.collect()
    full = calls(make_router(False, waiting), batches)
    body = [
        (name, f"{lean[name]:.2f}", f"{full[name]:.2f}", f"{full[name] / lean[name]:.2f}x")
        for name in lean
    ]
    print(markdown(("call", "lean µs", "default µs", "default / lean"), body, {0}))


if __name__ == "__main__":
    main()
