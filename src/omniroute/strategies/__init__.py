"""Distribution strategies: who, among the free operators of a group, goes first.

Every group has its own strategy instance. Write your own by implementing the
:class:`Strategy` protocol; the Router still enforces every limit and requirement.
"""

from omniroute.strategies.base import OperatorView, Strategy
from omniroute.strategies.least_loaded import LeastLoaded
from omniroute.strategies.longest_idle import LongestIdle
from omniroute.strategies.round_robin import RoundRobin
from omniroute.strategies.skill_based import SkillBased

__all__ = ["LeastLoaded", "LongestIdle", "OperatorView", "RoundRobin", "SkillBased", "Strategy"]
