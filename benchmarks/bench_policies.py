"""Routing policies: what a decision costs with rules, relaxation and overflow on.

Run ``python benchmarks/bench_policies.py`` (about a minute and a half) or add
``--quick`` for a smoke run (fewer decisions, about 30 s). For LeastLoaded and
SkillBased and 10, 100, 1 000 and 10 000 operators it prints the median
microseconds per decision of four Routers, measured in the same run with their
batches alternating, and the ratios of the statistics and policies Routers' times to
the plain one's. All four keep no customer history; all but *statistics* are lean
(``configure(metrics=None, history=None)``), so each ratio is one feature's cost:

* *plain*: every conversation names its group and requires a fixed skill level
  (every other one) or nothing; the groups have no policies;
* *statistics*: plain, keeping statistics (``MetricsSettings()``);
* *rules only*: the same conversations submitted with ``group=""``; group
  selection rules (``Router.set_rules``) choose the group from their metadata;
* *policies*: rules choose the group; every conversation relaxes its required
  skills twice as it waits (``Relaxation``); the groups age priorities and
  overflow to a general group after a wait (``Overflow``).

It also prints how many ``Relaxed`` and ``Escalated`` events the policies Router's
timed decisions caused: the policies at work. A second table compares a group that
offers work (``Offers``: ``submit`` gives ``Offered``, then ``accept``) with one that
assigns it directly.

Team, the same in every Router: operator ``i`` has ``Capacity(total=3)`` and the
``i % 10``-th entry of a ten-operator pattern: three serve ``billing``, three
``tech``, two ``sales`` and two ``general``, with levels 1 to 3 in their group's
skill (``billing``, ``tech`` or ``sales``; ``general`` operators have all three).
All are ONLINE and stay full: each Router holds ``3 * N`` + 8 000 live
conversations, so at least 8 000 always wait.

A step (one decision) advances a ``FakeClock`` by 10 ms, finishes a random
assigned conversation (its operator takes the best waiting conversation it may
take) and submits a new one; every 100th step (once a virtual second) also calls
``tick()``, which fires overflow timers. In the steady state each step makes one
assignment.

* plain and rules only: each arrival goes to ``billing``, ``tech``, ``sales`` or
  ``general`` with shares 30/30/20/20 %, those of the team, so no queue drifts.
  Every other one requires level 2 in its topic's skill. The rules also raise
  gold-tier billing and outages in priority, which the plain Router does not
  see; that alone changes nothing measurable.
* policies: eight rules on ``topic``, ``tier``, ``region`` and ``channel``, and a
  default, choose the group. Each arrival requires level 3 in its topic's skill,
  level 1 after 30 s of waiting and nothing after 60 s. Every group ages
  priority (one level per 30 s of waiting); the rules raise gold-tier billing to
  priority 2 and outages to 1. ``billing``, ``tech`` and ``sales`` receive 36, 32
  and 22 % of arrivals, more than their operators finish, and overflow to
  ``general`` after 120, 60 and 40 s of waiting; ``general`` receives the other
  10 % and the overflow. So the source queues stay at their overflow limit:
  about 97 % of conversations wait 30 s or more and 58 % 60 s or more (gold
  billing and outages less, by aging), so there are about 1.5 ``Relaxed`` and
  0.1 ``Escalated`` per decision. This is a heavily loaded centre, the case the
  policies are for.

Every Router is filled by submitting its live conversations one step apart, then
runs untimed steps until its queues settle. Conversations are built once and
shared by the Routers (they are immutable).

Offers: one group, LeastLoaded, N operators holding N conversations (about one
third of their capacity), nobody waiting. Per conversation, directly: ``submit()``
(``Assigned``) and ``finish()`` of a random one; with ``Offers(timeout=30)``:
``submit()`` (``Offered``), ``accept()`` (``Assigned``) and ``finish()``.

Timing. Steps run in batches of 500 timed with ``time.perf_counter_ns``; the
median batch time divided by 500 is the "µs/decision". ``gc.collect()`` runs
before timing and the garbage collector stays enabled, as in production.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from omniroute import (
    Assigned,
    Capacity,
    Conversation,
    Escalated,
    Event,
    Group,
    In,
    MetricsSettings,
    Missing,
    NotIn,
    Offered,
    Offers,
    Operator,
    Overflow,
    Relaxation,
    Relaxed,
    Router,
    Rule,
    Rules,
    Status,
)
from omniroute.strategies import LeastLoaded, SkillBased, Strategy
from omniroute.testing import FakeClock
from report import markdown, num, print_header, progress

# -- the workload ------------------------------------------------------------------

SIZES = (10, 100, 1_000, 10_000)
WAITING = 8_000
LIMIT = 3
CAPACITY = Capacity(total=LIMIT)
DT = 0.01  # virtual seconds per step
TICK_EVERY = 100  # steps between tick() calls: once a virtual second
AGING = 30.0  # seconds of waiting one priority level is worth

GENERAL = "general"
SOURCES = ("billing", "tech", "sales")  # each overflows to GENERAL
GROUPS = (GENERAL, *SOURCES)  # the overflow target first: it must exist first
OVERFLOW_AFTER = {"billing": 120.0, "tech": 60.0, "sales": 40.0}

# group of operator i, and level in its group's skill, by i % 10
TEAM_PATTERN: tuple[tuple[str, int], ...] = (
    ("billing", 3),
    ("billing", 2),
    ("billing", 1),
    ("tech", 3),
    ("tech", 2),
    ("tech", 1),
    ("sales", 3),
    ("sales", 1),
    ("general", 3),
    ("general", 2),
)

# arrivals by group: as the team (plain, rules only), or loading the sources
TEAM_SHARES = {"billing": 0.30, "tech": 0.30, "sales": 0.20, "general": 0.20}
POLICY_SHARES = {"billing": 0.36, "tech": 0.32, "sales": 0.22, "general": 0.10}

TOPICS = {
    "billing": ("invoice", "refund", "payment"),
    "tech": ("login", "bug", "api", "outage"),
    "sales": ("upgrade", "pricing"),
}
SKILL_OF_TOPIC = {topic: group for group, topics in TOPICS.items() for topic in topics}
SKILL_OF_TOPIC["trial"] = "sales"
CHANNELS = ("chat",) * 7 + ("email",) * 2 + ("messenger",)

RULES = Rules(
    [
        Rule(
            "billing",
            when={"topic": In(*TOPICS["billing"]), "tier": "gold"},
            priority=2,
            name="gold-billing",
        ),
        Rule(GENERAL, when={"region": NotIn("eu", "us")}, name="offshore"),
        Rule("billing", when={"topic": In(*TOPICS["billing"])}, name="billing"),
        Rule("tech", when={"topic": "outage"}, priority=1, name="outage"),
        Rule("tech", when={"topic": In("login", "bug", "api")}, name="tech"),
        Rule("sales", when={"topic": In(*TOPICS["sales"])}, name="sales"),
        Rule("sales", when={"channel": "email", "topic": "trial"}, name="trial-by-mail"),
        Rule(GENERAL, when={"topic": Missing()}, name="untagged"),
    ],
    default=GENERAL,
)
RELAX = {skill: (Relaxation(30, {skill: 1}), Relaxation(60, {})) for skill in SOURCES}


def make_team(count: int) -> list[Operator]:
    team = []
    for i in range(count):
        group, level = TEAM_PATTERN[i % len(TEAM_PATTERN)]
        skills = dict.fromkeys(SOURCES, level) if group == GENERAL else {group: level}
        team.append(Operator(f"op{i}", groups={group}, skills=skills, capacity=CAPACITY))
    return team


def plain_groups(make: Callable[[], Strategy]) -> list[Group]:
    return [Group(g, strategy=make()) for g in GROUPS]


def policy_groups(make: Callable[[], Strategy]) -> list[Group]:
    return [
        Group(g, strategy=make(), aging=AGING)
        if g == GENERAL
        else Group(
            g, strategy=make(), aging=AGING, overflow=Overflow(to=GENERAL, after=OVERFLOW_AFTER[g])
        )
        for g in GROUPS
    ]


def _attributes(rng: random.Random, group: str) -> tuple[dict[str, str], str, str]:
    """Metadata and a channel that the rules route to ``group``, and the skill the
    conversation needs."""
    if group in TOPICS:
        topic = rng.choice(TOPICS[group])
        metadata = {"topic": topic, "region": rng.choice(("eu", "us"))}
        if group == "billing" and rng.random() < 0.1:
            metadata["tier"] = "gold"
        return metadata, rng.choice(CHANNELS), SKILL_OF_TOPIC[topic]
    how = rng.randrange(3)  # general: offshore, untagged, or a trial by chat (default)
    if how == 0:
        topic = rng.choice(("invoice", "login", "upgrade"))
        region = rng.choice(("apac", "latam"))
        return {"topic": topic, "region": region}, rng.choice(CHANNELS), SKILL_OF_TOPIC[topic]
    if how == 1:
        return {"region": rng.choice(("eu", "us"))}, rng.choice(CHANNELS), "billing"
    return {"topic": "trial", "region": "eu"}, "chat", "sales"


@dataclass
class Pools:
    """Arrivals, built once and shared by every Router; ``i``-th of each is ``c{i}``."""

    plain: list[Conversation]  # names its group
    rules: list[Conversation]  # the same, with group=""
    policies: list[Conversation]  # group="", relaxes twice
    groups: dict[str, list[str]]  # pool → the group each arrival should go to


def make_pools(count: int) -> Pools:
    rng = random.Random("plain")
    plain: list[Conversation] = []
    rules: list[Conversation] = []
    team = rng.choices(list(TEAM_SHARES), weights=list(TEAM_SHARES.values()), k=count)
    for i, group in enumerate(team):
        metadata, channel, skill = _attributes(rng, group)
        requires = {skill: 2} if i % 2 == 0 else None
        plain.append(Conversation(f"c{i}", channel, group, requires=requires, metadata=metadata))
        rules.append(Conversation(f"c{i}", channel, "", requires=requires, metadata=metadata))
    rng = random.Random("policies")
    policies: list[Conversation] = []
    loaded = rng.choices(list(POLICY_SHARES), weights=list(POLICY_SHARES.values()), k=count)
    for i, group in enumerate(loaded):
        metadata, channel, skill = _attributes(rng, group)
        policies.append(
            Conversation(
                f"c{i}", channel, "", requires={skill: 3}, relax=RELAX[skill], metadata=metadata
            )
        )
    return Pools(plain, rules, policies, {"rules": team, "policies": loaded})


def check_rules(pools: Pools, count: int = 5_000) -> int:
    """The rules send the first ``count`` arrivals of each pool where the workload
    says. Returns how many were checked."""
    for name, pool in (("rules", pools.rules), ("policies", pools.policies)):
        for conversation, group in zip(pool[:count], pools.groups[name], strict=False):
            routed = RULES.apply(conversation).group
            assert routed == group, f"{conversation!r} goes to {routed!r}, not {group!r}"
    return 2 * count


@dataclass(frozen=True)
class Variant:
    name: str
    groups: Callable[[Callable[[], Strategy]], list[Group]]
    rules: Rules | None
    pool: Callable[[Pools], list[Conversation]]
    statistics: bool = False  # else configure(metrics=None): the lean Router


VARIANTS = (
    Variant("plain", plain_groups, None, lambda pools: pools.plain),
    Variant("statistics", plain_groups, None, lambda pools: pools.plain, statistics=True),
    Variant("rules only", plain_groups, RULES, lambda pools: pools.rules),
    Variant("policies", policy_groups, RULES, lambda pools: pools.policies),
)


# -- driving a Router ----------------------------------------------------------------


@dataclass
class Counts:
    relaxed: int = 0
    escalated: int = 0
    assigned: int = 0

    def add(self, other: Counts) -> None:
        self.relaxed += other.relaxed
        self.escalated += other.escalated
        self.assigned += other.assigned


def run_steps(
    router: Router,
    clock: FakeClock,
    active: list[str],
    picks: Sequence[float],
    arrivals: Sequence[Conversation],
    start: int,
    stop: int,
    first: int,
) -> Counts:
    """Steps ``start`` to ``stop``: advance the clock, finish a random assigned
    conversation, submit arrival ``first + step``, tick once a virtual second."""
    submit, finish, tick, advance = router.submit, router.finish, router.tick, clock.advance
    relaxed = escalated = assigned = 0
    for j in range(start, stop):
        advance(DT)
        k = int(picks[j] * len(active))
        conversation_id = active[k]
        last = active.pop()
        if k < len(active):
            active[k] = last
        events = finish(conversation_id) + submit(arrivals[first + j])
        if j % TICK_EVERY == 0:
            events += tick()
        for event in events:
            kind = type(event)
            if kind is Assigned:
                active.append(event.conversation_id)  # type: ignore[attr-defined]
                assigned += 1
            elif kind is Relaxed:
                relaxed += 1
            elif kind is Escalated:
                escalated += 1
    return Counts(relaxed, escalated, assigned)


def track(events: list[Event], active: list[str]) -> None:
    for event in events:
        if isinstance(event, Assigned):
            active.append(event.conversation_id)


@dataclass
class Runner:
    """One Router going through its steps, batch by batch."""

    router: Router
    clock: FakeClock
    active: list[str]  # ids of assigned conversations; steps finish random ones
    arrivals: Sequence[Conversation]
    first: int  # the arrival step 0 submits
    picks: Sequence[float]  # which active conversation each step finishes, in [0, 1)
    done: int = 0  # steps so far
    times: list[int] = field(default_factory=list)  # ns per timed batch
    counts: Counts = field(default_factory=Counts)  # over the timed batches
    busy: list[int] = field(default_factory=list)  # assigned, after each timed batch

    def run(self, size: int) -> tuple[int, Counts]:
        start = self.done
        t0 = time.perf_counter_ns()
        counts = run_steps(
            self.router,
            self.clock,
            self.active,
            self.picks,
            self.arrivals,
            start,
            start + size,
            self.first,
        )
        elapsed = time.perf_counter_ns() - t0
        self.done = start + size
        return elapsed, counts

    def timed(self, size: int) -> None:
        elapsed, counts = self.run(size)
        self.times.append(elapsed)
        self.counts.add(counts)
        self.busy.append(len(self.active))


def build(
    variant: Variant,
    make: Callable[[], Strategy],
    n: int,
    waiting: int,
    pools: Pools,
    picks: Sequence[float],
) -> Runner:
    """A Router with ``n`` ONLINE operators and ``3 * n + waiting`` live
    conversations, submitted one step apart."""
    clock = FakeClock()
    router = Router(clock=clock)
    # No customer history: these conversations name no customer.
    router.configure(history=None, metrics=MetricsSettings() if variant.statistics else None)
    for group in variant.groups(make):
        router.add_group(group)
    if variant.rules is not None:
        router.set_rules(variant.rules)
    for operator in make_team(n):
        router.add_operator(operator)
        router.set_status(operator.id, Status.ONLINE)
    arrivals = variant.pool(pools)
    active: list[str] = []
    live = LIMIT * n + waiting
    submit, tick = router.submit, router.tick
    for i in range(live):
        clock.advance(DT)
        track(submit(arrivals[i]), active)
        if i % TICK_EVERY == 0:
            track(tick(), active)
    assert len(active) == LIMIT * n, "every operator is full"
    return Runner(router, clock, active, arrivals, live, picks)


# -- measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    waiting: int
    settle: int  # untimed steps first
    batch: int  # steps per timed batch
    max_batches: int  # timed batches per Router and row, at most
    min_batches: int  # ... and at least
    budget_s: float  # past min_batches, stop once this much time was timed

    @property
    def steps(self) -> int:
        return self.settle + self.max_batches * self.batch


FULL = Plan(SIZES, WAITING, settle=30_000, batch=500, max_batches=40, min_batches=11, budget_s=1.0)
QUICK = Plan(SIZES, WAITING, settle=10_000, batch=500, max_batches=5, min_batches=3, budget_s=0.1)


def measure(runners: Sequence[Runner], plan: Plan) -> None:
    for runner in runners:
        for _ in range(plan.settle // plan.batch):
            runner.run(plan.batch)
    gc.collect()

    def wants_more(runner: Runner) -> bool:
        n = len(runner.times)
        if n < plan.min_batches:
            return True
        return n < plan.max_batches and sum(runner.times) < plan.budget_s * 1e9

    while any(map(wants_more, runners)):
        for runner in runners:
            if wants_more(runner):
                runner.timed(plan.batch)


@dataclass(frozen=True)
class Row:
    strategy: str
    operators: int
    us: dict[str, float]  # variant → median µs per decision
    timed: int  # decisions the policies Router timed
    counts: Counts  # ... and the events they caused

    @property
    def ratio(self) -> float:
        return self.us["policies"] / self.us["plain"]

    @property
    def statistics(self) -> float:
        return self.us["statistics"] / self.us["plain"]


def run_row(label: str, make: Callable[[], Strategy], n: int, plan: Plan, pools: Pools) -> Row:
    rng = random.Random(f"picks/{n}")
    picks = [rng.random() for _ in range(plan.steps)]
    runners = [build(v, make, n, plan.waiting, pools, picks) for v in VARIANTS]
    measure(runners, plan)
    for variant, runner in zip(VARIANTS, runners, strict=True):
        # Loaded throughout: every operator full after every timed batch, and the
        # live conversations beyond their slots all waiting.
        assert min(runner.busy) == LIMIT * n, (variant.name, label, n, min(runner.busy))
        assert runner.router.queue_length() == plan.waiting, (variant.name, label, n)
    policies = runners[-1]
    us = {
        v.name: statistics.median(r.times) / plan.batch / 1e3
        for v, r in zip(VARIANTS, runners, strict=True)
    }
    return Row(
        label,
        n,
        us,
        len(policies.times) * plan.batch,
        policies.counts,
    )


# -- offers --------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRow:
    operators: int
    direct_us: float
    offers_us: float

    @property
    def ratio(self) -> float:
        return self.offers_us / self.direct_us


def offer_steps(
    router: Router,
    clock: FakeClock,
    active: list[str],
    picks: Sequence[float],
    arrivals: Sequence[Conversation],
    start: int,
    stop: int,
) -> None:
    """Submit a conversation; if it is offered, accept it; finish a random one."""
    submit, accept, finish, tick = router.submit, router.accept, router.finish, router.tick
    advance = clock.advance
    for j in range(start, stop):
        advance(DT)
        conversation = arrivals[j]
        event = submit(conversation)[-1]
        if type(event) is Offered:
            event = accept(conversation.id, event.operator_id)[-1]
        assert type(event) is Assigned
        k = int(picks[j] * len(active))
        finish(active[k])
        active[k] = conversation.id
        if j % TICK_EVERY == 0:
            tick()


def run_offer_row(n: int, plan: Plan) -> OfferRow:
    """Operators about one-third loaded, nobody waiting: every submit finds one."""
    steps = 2 * plan.min_batches * plan.batch
    arrivals = [Conversation(f"c{i}", "chat", "live") for i in range(n + steps)]
    rng = random.Random(f"offers/{n}")
    picks = [rng.random() for _ in range(steps)]
    states = []
    for offers in (None, Offers(timeout=30)):
        clock = FakeClock()
        router = Router(clock=clock)
        router.add_group(Group("live", strategy=LeastLoaded(), offers=offers))
        for i in range(n):
            router.add_operator(Operator(f"op{i}", groups={"live"}, capacity=CAPACITY))
            router.set_status(f"op{i}", Status.ONLINE)
        for conversation in arrivals[:n]:
            for event in router.submit(conversation):
                if isinstance(event, Offered):
                    router.accept(conversation.id, event.operator_id)
        states.append((router, clock, [c.id for c in arrivals[:n]], picks, arrivals[n:]))
    times: list[list[int]] = [[], []]
    for b in range(2 * plan.min_batches):
        for state, spent in zip(states, times, strict=True):
            t0 = time.perf_counter_ns()
            offer_steps(*state, b * plan.batch, (b + 1) * plan.batch)
            if b >= plan.min_batches // 2:  # the first ones warm up
                spent.append(time.perf_counter_ns() - t0)
    direct, offered = (statistics.median(t) / plan.batch / 1e3 for t in times)
    return OfferRow(n, direct, offered)


# -- reporting -----------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = (
        "strategy",
        "operators",
        "plain µs/decision",
        "statistics µs/decision",
        "rules only µs/decision",
        "policies µs/decision",
        "statistics/plain",
        "policies/plain",
        "Relaxed per decision",
        "Escalated per decision",
    )
    body = [
        (
            row.strategy,
            num(row.operators),
            f"{row.us['plain']:.2f}",
            f"{row.us['statistics']:.2f}",
            f"{row.us['rules only']:.2f}",
            f"{row.us['policies']:.2f}",
            f"{row.statistics:.2f}x",
            f"{row.ratio:.2f}x",
            f"{row.counts.relaxed / row.timed:.2f}",
            f"{row.counts.escalated / row.timed:.3f}",
        )
        for row in rows
    ]
    return markdown(head, body, {0})


def offer_table(rows: list[OfferRow]) -> str:
    head = ("operators", "direct µs/conversation", "offers µs/conversation", "ratio")
    body = [
        (num(r.operators), f"{r.direct_us:.2f}", f"{r.offers_us:.2f}", f"{r.ratio:.2f}x")
        for r in rows
    ]
    return markdown(head, body, set())


GOAL_POLICIES, GOAL_STATISTICS = 1.5, 1.25  # the fast-core issue's, over the lean Router


def goals(rows: list[Row]) -> list[str]:
    lines = [
        f"Goals: over the plain lean Router, statistics at most {GOAL_STATISTICS:g}x and "
        f"every policy together at most {GOAL_POLICIES:g}x, at every size."
    ]
    for label in dict.fromkeys(row.strategy for row in rows):
        mine = [row for row in rows if row.strategy == label]
        parts = []
        for name, ratio_of, goal in (
            ("statistics", lambda row: row.statistics, GOAL_STATISTICS),
            ("policies", lambda row: row.ratio, GOAL_POLICIES),
        ):
            worst = max(mine, key=ratio_of)
            verdict = "met" if ratio_of(worst) <= goal else "MISSED"
            parts.append(
                f"{name} worst {ratio_of(worst):.2f}x at {num(worst.operators)} operators {verdict}"
            )
        lines.append(f"  {label:<12} " + "; ".join(parts))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer decisions")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()

    print_header("routing policies", args.quick)
    print(
        f"Team: operator i has Capacity(total={LIMIT}); 3 of 10 serve billing, 3 tech, "
        "2 sales, 2 general, with levels 1-3."
    )
    print(
        f"Load: 3 * N + {num(plan.waiting)} live conversations, so everyone is full and at "
        f"least {num(plan.waiting)} wait."
    )
    print(
        f"Step: clock +{DT * 1000:g} ms, finish() a random assigned conversation, submit() "
        f"a new one; tick() every {TICK_EVERY}."
    )
    print("plain: explicit groups; rules only: group='' and 8 rules + default; policies: rules,")
    print(
        "2 relaxation steps per conversation (30 s, 60 s), aging, overflow to general "
        "after 120/60/40 s."
    )
    print(
        f"Timing: {num(plan.settle)} untimed steps, then batches of {plan.batch} steps "
        f"(perf_counter_ns), {plan.min_batches} to {plan.max_batches} per Router and row,"
    )
    print("the three Routers' batches alternating; median batch time / batch size.")
    print("gc.collect() before timing, gc enabled.")
    print()

    progress("building conversations")
    pools = make_pools(LIMIT * max(plan.sizes) + plan.waiting + plan.steps)
    checked = check_rules(pools)
    print(f"Rules check: the rules routed {num(checked)} arrivals to the intended groups.")
    print()

    rows = []
    for label, make in (("LeastLoaded", LeastLoaded), ("SkillBased", SkillBased)):
        for n in plan.sizes:
            progress(f"{label}, {n} operators")
            rows.append(run_row(label, make, n, plan, pools))
            gc.collect()
    del pools
    gc.collect()
    offer_rows = []
    for n in plan.sizes:
        progress(f"offers, {n} operators")
        offer_rows.append(run_offer_row(n, plan))
    progress("")

    print(table(rows))
    print()
    print("\n".join(goals(rows)))
    print()
    print("Offers: one group, LeastLoaded, operators about one-third loaded, nobody waiting.")
    print(
        "Per conversation: direct = submit() (Assigned) + finish(); offers = submit() "
        "(Offered)\n+ accept() (Assigned) + finish()."
    )
    print()
    print(offer_table(offer_rows))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
