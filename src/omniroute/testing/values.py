"""The values side of :mod:`omniroute.testing`: a fake clock, a small vocabulary
(channels, skills, topics), hypothesis strategies for every value a Router takes,
and :class:`RouterConfig`, a whole starting configuration.

Import these from :mod:`omniroute.testing`; this module is where they live.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from omniroute.capacity import Capacity
from omniroute.estimate import WaitEstimates
from omniroute.history import HistoryLimits
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.policy import Affinity, Discipline, Offers, Overflow, PositionUpdates, Relaxation
from omniroute.router import Router
from omniroute.rules import Ge, In, Rule, Rules
from omniroute.stats import MetricsSettings, ServiceLevelFormula
from omniroute.strategies import BUILT_IN_STRATEGIES, Strategy, StrategyFactories

__all__ = [
    "CHANNELS",
    "SKILLS",
    "TOPICS",
    "FakeClock",
    "RouterConfig",
    "capacities",
    "conversations",
    "group_policies",
    "groups",
    "operators",
    "relaxations",
    "router_configs",
    "router_settings",
    "routing_strategies",
    "rules",
    "skill_levels",
    "statuses",
]

CHANNELS = ("chat", "voice", "email")
SKILLS = ("ru", "billing")
TOPICS = ("refund", "invoice", "login")


class FakeClock:
    """A clock that moves only when told: ``Router(clock=FakeClock())``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError(f"a FakeClock only moves forward, got {seconds}")
        self.now += seconds


# -- hypothesis strategies for values ------------------------------------------------


def skill_levels(
    names: Sequence[str] = SKILLS, *, min_level: int = 0, max_level: int = 5
) -> st.SearchStrategy[dict[str, int]]:
    """Skill name → level maps, as operators' ``skills`` or conversations' ``requires``."""
    return st.dictionaries(st.sampled_from(names), st.integers(min_level, max_level))


def capacities(
    channels: Sequence[str] = CHANNELS, *, max_total: int = 4
) -> st.SearchStrategy[Capacity]:
    """Every shape of :class:`Capacity`: a total with per-channel limits and exclusive
    channels, or a units budget with per-channel costs."""
    by_channel = st.dictionaries(st.sampled_from(channels), st.integers(0, 2), max_size=2)
    counted = st.builds(
        Capacity,
        total=st.integers(1, max_total),
        per_channel=by_channel,
        exclusive=st.sets(st.sampled_from(channels), max_size=1),
    )
    budgeted = st.builds(
        Capacity,
        units=st.just(100),
        cost=st.dictionaries(st.sampled_from(channels), st.integers(10, 100), min_size=1),
        total=st.none() | st.integers(2, max_total),
    )
    return st.one_of(counted, budgeted)


def statuses() -> st.SearchStrategy[Status]:
    """Operator statuses, mostly ONLINE so that work flows."""
    return st.sampled_from([Status.ONLINE, Status.ONLINE, Status.AWAY, Status.OFFLINE])


def operators(
    ids: Sequence[str],
    group_ids: Sequence[str],
    *,
    channels: Sequence[str] = CHANNELS,
    skills: Sequence[str] = SKILLS,
) -> st.SearchStrategy[Operator]:
    """Operators with one of ``ids``, serving some of ``group_ids``; now and then a bot."""
    return st.builds(
        Operator,
        st.sampled_from(ids),
        groups=st.sets(st.sampled_from(group_ids), max_size=len(group_ids)),
        skills=skill_levels(skills, max_level=3),
        capacity=capacities(channels),
        bot=st.sampled_from([False, False, False, True]),
    )


def relaxations(skills: Sequence[str] = SKILLS) -> st.SearchStrategy[tuple[Relaxation, ...]]:
    """Relaxation steps: later and later, usually asking for less."""
    step = st.tuples(
        st.sampled_from([1.0, 5.0, 30.0]), skill_levels(skills, min_level=1, max_level=2)
    )

    def build(drawn: list[tuple[float, dict[str, int]]]) -> tuple[Relaxation, ...]:
        after = 0.0
        steps = []
        for gap, requires in drawn:
            after += gap
            steps.append(Relaxation(after, requires))
        return tuple(steps)

    return st.lists(step, max_size=2).map(build)


def conversations(
    ids: Sequence[str] | st.SearchStrategy[str],
    group_ids: Sequence[str],
    *,
    channels: Sequence[str] = CHANNELS,
    skills: Sequence[str] = SKILLS,
    by_rules: bool = False,
    operator_ids: Sequence[str] = (),
) -> st.SearchStrategy[Conversation]:
    """Conversations with one of ``ids`` (names, or a strategy that draws them) in
    one of ``group_ids`` — or, with ``by_rules``, now and then none, for the Router's
    rules to choose — with priorities, sometimes a skill requirement, relaxation
    steps, a returning customer, a ``topic`` in their metadata and, now and then, an
    operator of ``operator_ids`` they prefer."""
    prefer = st.none()
    if operator_ids:
        prefer = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(operator_ids))
    requirement = st.dictionaries(st.sampled_from(skills), st.integers(1, 3), max_size=1)
    return st.builds(
        Conversation,
        ids if isinstance(ids, st.SearchStrategy) else st.sampled_from(ids),
        channel=st.sampled_from(channels),
        group=st.sampled_from([*group_ids, *group_ids, ""] if by_rules else group_ids),
        priority=st.integers(0, 2),
        requires=st.one_of(st.just({}), requirement),
        relax=st.one_of(st.just(()), relaxations(skills)),
        customer_id=st.none() | st.sampled_from(["u1", "u2", "u3"]),
        prefer_operator=prefer,
        prefer_wait=st.none() | st.sampled_from([0.0, 5.0]),
        metadata=st.fixed_dictionaries({}, optional={"topic": st.sampled_from(TOPICS)}),
    )


def rules(
    group_ids: Sequence[str], *, channels: Sequence[str] = CHANNELS
) -> st.SearchStrategy[Rules]:
    """Group selection rules over ``group_ids``: by channel, topic and priority,
    sometimes without a default."""
    condition = st.one_of(
        st.fixed_dictionaries({"channel": st.sampled_from(channels)}),
        st.fixed_dictionaries(
            {"topic": st.lists(st.sampled_from(TOPICS), min_size=1).map(lambda t: In(*t))}
        ),
        st.fixed_dictionaries({"priority": st.integers(1, 2).map(Ge)}),
    )
    rule = st.builds(
        Rule,
        st.sampled_from(group_ids),
        when=condition,
        requires=st.one_of(st.just({}), skill_levels(max_level=2)),
        priority=st.none() | st.integers(0, 2),
    )
    return st.builds(
        Rules,
        st.lists(rule, min_size=1, max_size=3),
        default=st.none() | st.sampled_from(group_ids),
    )


def routing_strategies(
    factories: StrategyFactories = BUILT_IN_STRATEGIES,
) -> st.SearchStrategy[Strategy]:
    """Fresh strategy instances, one of ``factories`` (the built-in ones by default)."""
    return st.sampled_from(sorted(factories)).map(lambda name: factories[name]())


def group_policies(
    overflow_to: Sequence[str] = (), *, channels: Sequence[str] = CHANNELS
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for :class:`Group`'s policies: discipline, priority aging,
    offers (with timeouts, ring-all and auto-AWAY), what happens when an operator
    leaves, affinity, releasing held conversations of ``channels``, and an overflow
    to one of ``overflow_to`` (none if empty). Mostly the defaults, so that plain
    routing stays common."""
    after = st.sampled_from([0.0, 5.0, 30.0])
    queue_over = st.integers(0, 2)
    # At least one trigger: the one picked first is always set.
    triggers = st.one_of(
        st.fixed_dictionaries(
            {"after": after},
            optional={"queue_over": queue_over, "when_nobody_online": st.booleans()},
        ),
        st.fixed_dictionaries(
            {"queue_over": queue_over}, optional={"when_nobody_online": st.booleans()}
        ),
        st.just({"when_nobody_online": True}),
    )
    overflow = st.builds(
        lambda to, keep, triggers: Overflow(to=to, keep=keep, **triggers),
        st.sampled_from(overflow_to) if overflow_to else st.nothing(),
        st.booleans(),
        triggers,
    )
    offers = st.builds(
        Offers,
        timeout=st.sampled_from([5.0, 30.0]),
        ring=st.integers(1, 2),
        away_after=st.none() | st.integers(1, 2),
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "discipline": st.sampled_from(Discipline),
            "aging": st.sampled_from([1.0, 10.0]),
            "offers": offers,
            "keep_on_leave": st.sampled_from([5.0, 60.0, math.inf]),
            "affinity": st.builds(
                Affinity,
                within=st.sampled_from([30.0, math.inf]),
                wait=st.sampled_from([0.0, 5.0, math.inf]),
            ),
            "release_held_after": st.dictionaries(
                st.sampled_from(channels), st.sampled_from([0.0, 5.0]), max_size=2
            ),
            **({"overflow": overflow} if overflow_to else {}),
        },
    )


def router_settings() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for :meth:`Router.configure`: small history limits (so
    that they bind), position updates, wait-estimate settings, and statistics with
    short intervals (so that they roll over and fold)."""
    history = st.builds(
        HistoryLimits,
        per_customer=st.integers(1, 3),
        max_age=st.sampled_from([None, 30.0]),
        max_customers=st.sampled_from([None, 1, 2]),
    )
    updates = st.builds(
        PositionUpdates, places=st.integers(1, 3), seconds=st.sampled_from([0.0, 5.0])
    )
    estimates = st.builds(
        WaitEstimates, window=st.integers(2, 5), min_samples=st.just(2), horizon=st.just(60.0)
    )
    metrics = st.builds(
        MetricsSettings,
        thresholds=st.sampled_from([{}, {"chat": 3.0}]),
        short_abandon=st.sampled_from([0.0, 5.0]),
        formula=st.sampled_from(ServiceLevelFormula),
        interval=st.sampled_from([30.0, 60.0, 900.0]),
        keep_intervals=st.integers(1, 3),
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "history": st.none() | history,
            "position_updates": st.none() | updates,
            "wait_estimates": estimates,
            "metrics": st.none() | metrics,
        },
    )


def groups(
    ids: Sequence[str],
    factories: StrategyFactories = BUILT_IN_STRATEGIES,
    *,
    overflow_to: Sequence[str] = (),
    channels: Sequence[str] = CHANNELS,
) -> st.SearchStrategy[Group]:
    """Groups with one of ``ids``, any of the strategies ``factories`` make, and
    random policies (:func:`group_policies`)."""

    def build(group_id: str, strategy: Strategy, policies: dict[str, Any]) -> Group:
        overflow = policies.get("overflow")
        if overflow is not None and overflow.to == group_id:
            del policies["overflow"]  # a group may not overflow to itself
        return Group(group_id, strategy=strategy, **policies)

    return st.builds(
        build,
        st.sampled_from(ids),
        routing_strategies(factories),
        group_policies(overflow_to, channels=channels),
    )


@attrs.frozen
class RouterConfig:
    """A whole starting configuration: groups, a team and their statuses.

    ``build()`` makes a fresh Router from it each time it is called.
    """

    groups: Mapping[str, str]
    """Group id → strategy name, in the order the groups are added."""
    operators: tuple[Operator, ...]
    statuses: Mapping[str, Status]
    factories: StrategyFactories = attrs.field(
        default=BUILT_IN_STRATEGIES, repr=False, eq=False, kw_only=True
    )
    """What makes each strategy, by name."""
    policies: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, kw_only=True)
    """Group id → keyword arguments for its :class:`Group` policies."""

    def group(self, group_id: str) -> Group:
        """A new :class:`Group` (with a fresh strategy) as configured."""
        strategy = self.factories[self.groups[group_id]]()
        return Group(group_id, strategy=strategy, **self.policies.get(group_id, {}))

    def build(self, clock: Callable[[], float] | None = None, **router_options: Any) -> Router:
        """A new Router (on a new :class:`FakeClock` unless given ``clock``)."""
        router = Router(clock=clock or FakeClock(), **router_options)
        for group_id in self.groups:
            router.add_group(self.group(group_id))
        for operator in self.operators:
            router.add_operator(operator)
            router.set_status(operator.id, self.statuses[operator.id])
        return router


def router_configs(
    group_ids: Sequence[str] = ("g0", "g1", "g2"),
    operator_ids: Sequence[str] = ("o0", "o1", "o2", "o3", "o4"),
    *,
    channels: Sequence[str] = CHANNELS,
    skills: Sequence[str] = SKILLS,
    factories: StrategyFactories = BUILT_IN_STRATEGIES,
) -> st.SearchStrategy[RouterConfig]:
    """Configurations with every group of ``group_ids`` and a team of at least two
    operators (ids from ``operator_ids``), each serving at least one group."""

    names = st.fixed_dictionaries({g: st.sampled_from(sorted(factories)) for g in group_ids})
    # A group may overflow only to a group added before it: no cycles.
    policies = st.fixed_dictionaries(
        {g: group_policies(group_ids[:i], channels=channels) for i, g in enumerate(group_ids)}
    )
    n = len(operator_ids)
    definition = st.tuples(
        st.sets(st.sampled_from(group_ids), min_size=1),
        skill_levels(skills, max_level=3),
        capacities(channels),
    )

    order = st.permutations(list(operator_ids))
    size = st.integers(min(2, n), n)
    presence = statuses()

    # Strategies are built once, above, and only drawn from here: building them is
    # what costs, and drawing in a composite shows a plain RouterConfig on failure.
    @st.composite
    def config(draw: st.DrawFn) -> RouterConfig:
        team = tuple(
            Operator(operator_id, groups=groups, skills=levels, capacity=capacity)
            for operator_id in draw(order)[: draw(size)]
            for groups, levels, capacity in [draw(definition)]
        )
        drawn = draw(names)
        return RouterConfig(
            {g: drawn[g] for g in group_ids},  # in order: overflows name earlier groups
            team,
            {o.id: draw(presence) for o in team},
            factories=factories,
            policies=draw(policies),
        )

    return config()
