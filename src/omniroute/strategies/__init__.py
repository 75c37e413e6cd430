"""Distribution strategies: who, among the free operators of a group, goes first.

Every group has its own strategy instance. Write your own by implementing the
:class:`Strategy` protocol; the Router still enforces every limit and requirement.
"""

from collections.abc import Callable, Mapping

from omniroute.strategies.base import OperatorView, Strategy
from omniroute.strategies.least_loaded import LeastLoaded
from omniroute.strategies.longest_idle import LongestIdle
from omniroute.strategies.round_robin import RoundRobin
from omniroute.strategies.skill_based import SkillBased

__all__ = [
    "BUILT_IN_STRATEGIES",
    "LeastLoaded",
    "LongestIdle",
    "OperatorView",
    "RoundRobin",
    "SkillBased",
    "Strategy",
    "StrategyFactories",
]

StrategyFactories = Mapping[str, Callable[[], Strategy]]
"""Strategy ``name`` → a callable that makes a fresh instance: how snapshots,
journals and :mod:`omniroute.testing` make strategies."""

BUILT_IN_STRATEGIES: StrategyFactories = {
    cls.name: cls for cls in (RoundRobin, LeastLoaded, LongestIdle, SkillBased)
}
"""The built-in strategies by name. Extend it with yours:
``{**BUILT_IN_STRATEGIES, "mine": Mine}``."""
