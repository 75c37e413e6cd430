"""Skill-based: the most proficient free operator first, then the least loaded.

Like Amazon Connect's proficiency routing and FreeSWITCH's tiers. Only operators whose
skills meet every minimum the conversation requires are candidates (the Router checks
this too, for every strategy). Proficiency is the sum of the operator's levels in the
required skills; equally proficient operators are ordered as :class:`LeastLoaded`
orders them. A conversation that requires nothing goes to the least loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omniroute.skills import Requirement
from omniroute.strategies._ranked import Rank, RankedStrategy

if TYPE_CHECKING:
    from omniroute.strategies.base import OperatorView

__all__ = ["SkillBased"]


class SkillBased(RankedStrategy):
    """Best proficiency in the required skills first, then least loaded.

    Free operators are kept ranked per distinct requirement, so finding the first
    candidate costs ``O(1)`` and never looks at an unqualified operator. Each index
    change costs ``O(log n)`` per requirement list the operator is in; the first
    decision for a new requirement builds its list in ``O(n log n)``.
    """

    name = "skill_based"
    rank_uses_requirement = True

    def rank(self, operator: OperatorView, requirement: Requirement) -> Rank:
        skills = operator.skills
        proficiency = sum(skills[skill] for skill, _ in requirement)
        return (
            -proficiency,
            operator.utilisation,
            operator.idle_since,
            operator.joined,
            operator.id,
        )
