"""The parts of a scenario: its groups, operators and streams of customers.

Plain frozen values that :class:`~omniroute.sim.scenario.Scenario` holds and the
simulation engine plays; :mod:`omniroute.sim.reading` builds them from a file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from omniroute.model import Group, Operator
from omniroute.policy import Relaxation
from omniroute.sim.distributions import Distribution, Exponential, Fixed
from omniroute.strategies import BUILT_IN_STRATEGIES

__all__ = ["Arrivals", "GroupPlan", "OperatorPlan", "Quiet", "Replayed"]


@attrs.frozen
class GroupPlan:
    """A group to build afresh for every run (a strategy keeps state)."""

    id: str
    strategy: str
    policies: Mapping[str, Any] = attrs.field(factory=dict)

    def build(self) -> Group:
        return Group(self.id, strategy=BUILT_IN_STRATEGIES[self.strategy](), **self.policies)


@attrs.frozen
class OperatorPlan:
    """An operator, when they work (``shift``; math.inf: until no work is left),
    and how they answer offers: ``accept`` seconds after an offer, or rejecting it
    with probability ``reject``."""

    operator: Operator
    shift: tuple[float, float]
    breaks: tuple[tuple[float, float], ...] = ()
    accept: Distribution = attrs.field(factory=lambda: Fixed(0.0))
    reject: float = 0.0


@attrs.frozen
class Quiet:
    """With ``probability``, a customer goes quiet ``after`` seconds of handling and
    writes again ``lasts`` seconds later (the operator holds the conversation)."""

    probability: float
    after: Distribution
    lasts: Distribution


@attrs.frozen
class Replayed:
    """One arrival read from a CSV file; None fields take the stream's values."""

    time: float
    channel: str | None = None
    group: str | None = None
    customer: str | None = None
    priority: int | None = None
    handle: float | None = None
    patience: float | None = None


@attrs.frozen
class Arrivals:
    """A stream of customers of one channel and group.

    Poisson arrivals at ``rates[i]`` per second from ``start + i * every`` (none
    after the last step, nor after ``end``), at most ``count`` of them; or, with ``replay``, exactly
    the arrivals listed. ``customers``: how many distinct customers write (None:
    each arrival is a new customer), so some come back (customer history,
    :class:`~omniroute.Affinity`). ``patience``: how long a customer waits for an
    answer before leaving (None: forever).
    """

    name: str
    channel: str
    group: str
    rates: tuple[float, ...] = ()
    every: float = 900.0
    start: float = 0.0
    end: float = math.inf
    count: int | None = None
    replay: tuple[Replayed, ...] | None = None
    priority: int = 0
    requires: Mapping[str, int] = attrs.field(factory=dict)
    relax: tuple[Relaxation, ...] = ()
    customers: int | None = None
    handle: Distribution = attrs.field(factory=lambda: Exponential(300.0))
    patience: Distribution | None = None
    first_response: Distribution | None = None
    quiet: Quiet | None = None
