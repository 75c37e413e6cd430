"""A channel that most free operators cannot take: the per-channel view's benchmark.

Run ``python benchmarks/bench_channels.py`` (about a minute) or add ``--quick``.

The team: N operators in one group, all ONLINE. In the *blended* team each has
``Capacity(total=4, per_channel={"voice": 1})``; the first half hold one call
(voice) and the second half two chats, so every operator is free, but only the
second half may take a call. Least-loaded and skill-based rank the call holders
first (less loaded), longest-idle too (idle since earlier), so a search through
the free operators in rank order passes N/2 of them before the first that fits;
round-robin's ring passes them only when it wraps round.

One decision = ``submit()`` of a call, which a chat holder takes, then
``finish()`` of it. The *plain* team is the same but with ``Capacity(total=4)``
only and a chat instead of each call: the same decision without any operator to
pass over. The table prints median µs per decision for both, on the lean Router
(``configure(metrics=None, history=None)``), and the ratio blended / plain: with
a per-channel view it stays near 1 whatever N; a scan grows with N.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence

from bench_routing import virtual_clock
from omniroute import Capacity, Conversation, Group, Operator, Router, Status
from omniroute.strategies import LeastLoaded, LongestIdle, RoundRobin, SkillBased, Strategy
from report import markdown, num, print_header

STRATEGIES: tuple[tuple[str, Callable[[], Strategy]], ...] = (
    ("RoundRobin", RoundRobin),
    ("LeastLoaded", LeastLoaded),
    ("LongestIdle", LongestIdle),
    ("SkillBased", SkillBased),
)
BATCH = 200
BLENDED = Capacity(total=4, per_channel={"voice": 1})
PLAIN = Capacity(total=4)


def make_router(make: Callable[[], Strategy], n: int, blended: bool) -> Router:
    router = Router(clock=virtual_clock())
    router.configure(metrics=None, history=None)
    router.add_group(Group("g", strategy=make()))
    capacity = BLENDED if blended else PLAIN
    for i in range(n):
        router.add_operator(Operator(f"op{i}", groups={"g"}, skills={"x": 1}, capacity=capacity))
        router.set_status(f"op{i}", Status.ONLINE)
    # The first half holds a call (blended) or a chat (plain), the second two chats.
    for i in range(n):
        first_half = i < n // 2
        for k in range(1 if first_half else 2):
            channel = "voice" if blended and first_half else "chat"
            router.submit(Conversation(f"{channel}{i}-{k}", channel, "g"), prefer_operator=f"op{i}")
    return router


def per_decision(router: Router, batches: int) -> float:
    submit, finish = router.submit, router.finish
    calls = [Conversation(f"v{i}", "voice", "g") for i in range(BATCH * (batches + 3))]
    times = []
    gc.collect()
    for b in range(batches + 3):
        start = time.perf_counter_ns()
        for call in calls[b * BATCH : (b + 1) * BATCH]:
            submit(call)
            finish(call.id)
        if b >= 3:  # warm-up batches are not kept
            times.append((time.perf_counter_ns() - start) / BATCH / 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches and sizes")
    args = parser.parse_args(argv)
    sizes = (100, 1_000, 10_000) if args.quick else (100, 1_000, 10_000, 50_000)
    batches = 5 if args.quick else 25
    print_header("channels", args.quick)
    rows = []
    for label, make in STRATEGIES:
        for n in sizes:
            plain = per_decision(make_router(make, n, blended=False), batches)
            blended = per_decision(make_router(make, n, blended=True), batches)
            rows.append(
                [label, num(n), f"{plain:.2f}", f"{blended:.2f}", f"{blended / plain:.2f}x"]
            )
            gc.collect()
    print(__doc__.split("\n\n", 1)[1])
    header = [
        "strategy",
        "operators",
        "plain µs/decision",
        "blended µs/decision",
        "blended / plain",
    ]
    print(markdown(header, rows, left={0}))


if __name__ == "__main__":
    main()
