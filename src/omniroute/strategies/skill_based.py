"""Skill-based: the most proficient free operator first, then the least loaded.

Like Amazon Connect's proficiency routing and FreeSWITCH's tiers. Only operators whose
skills meet every minimum the conversation requires are candidates (the Router checks
this too, for every strategy). Proficiency is the sum of the operator's levels in the
required skills; equally proficient operators are ordered as :class:`LeastLoaded`
orders them.

Operators are kept in buckets by skill profile (the exact skill → level map), each
ranked by load. A decision looks at the few profiles that qualify, not at the
operators, so its cost grows with the number of distinct profiles, not team size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omniroute.strategies._ranked import Profile, Rank, RankedIndex, RankedStrategy, Tiers, meets

if TYPE_CHECKING:
    from omniroute.strategies.base import OperatorView

__all__ = ["SkillBased"]


class SkillBased(RankedStrategy):
    """Best proficiency in the required skills first, then least loaded.

    Each index change costs ``O(log n)``. Finding the first candidate costs
    ``O(p)`` in the number ``p`` of distinct skill profiles the first time a
    requirement is seen and ``O(k)`` after, for the ``k`` profiles that tie.
    """

    name = "skill_based"

    def rank(self, operator: OperatorView) -> Rank:
        return (operator.utilisation, operator.idle_since, operator.joined, operator.id)

    def _split(self, requirement: Profile) -> Tiers:
        """Qualifying buckets in tiers of equal proficiency, most proficient first."""
        by_score: dict[int, list[RankedIndex]] = {}
        for profile, bucket in self._buckets.items():
            if meets(profile, requirement):
                levels = dict(profile)
                score = sum(levels[skill] for skill, _ in requirement)
                by_score.setdefault(score, []).append(bucket)
        return [by_score[score] for score in sorted(by_score, reverse=True)]
