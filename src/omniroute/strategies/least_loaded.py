"""Least loaded: the free operator with the smallest share of their limit in use.

Like Rocket.Chat's *Load Balancing* and Asterisk's ``fewestcalls``, but relative to
each operator's own limit, so an operator allowed 6 chats holding 3 counts as
loaded as one allowed 2 holding 1. Ties go to the operator idle longest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omniroute.skills import Requirement
from omniroute.strategies._ranked import Rank, RankedStrategy

if TYPE_CHECKING:
    from omniroute.strategies.base import OperatorView

__all__ = ["LeastLoaded"]


class LeastLoaded(RankedStrategy):
    """Lowest utilisation first, then longest idle, then the earliest added.

    Each index change costs ``O(log n)`` per requirement list the operator is in;
    finding the first candidate ``O(1)``.
    """

    name = "least_loaded"

    def rank(self, operator: OperatorView, requirement: Requirement) -> Rank:
        return (operator.utilisation, operator.idle_since, operator.joined, operator.id)
