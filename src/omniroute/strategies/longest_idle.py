"""Longest idle: the free operator whose last conversation ended longest ago.

Like FreeSWITCH's ``longest-idle-agent`` and Asterisk's ``leastrecent``. Operators
holding nothing come before operators who are busy but still have room; within each
tier the one idle longest (since their last conversation ended, or since they came
ONLINE) goes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omniroute.skills import Requirement
from omniroute.strategies._ranked import Rank, RankedStrategy

if TYPE_CHECKING:
    from omniroute.strategies.base import OperatorView

__all__ = ["LongestIdle"]


class LongestIdle(RankedStrategy):
    """Empty-handed first, then longest since the last conversation ended.

    Each index change costs ``O(log n)`` per requirement list the operator is in;
    finding the first candidate ``O(1)``.
    """

    name = "longest_idle"

    def rank(self, operator: OperatorView, requirement: Requirement) -> Rank:
        return (operator.active > 0, operator.idle_since, operator.joined, operator.id)
