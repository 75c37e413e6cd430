"""Skill-based: the most proficient free operator first, then the least loaded.

Like Amazon Connect's proficiency routing and FreeSWITCH's tiers. Only operators whose
skills meet every minimum the conversation requires are candidates (the Router checks
this too, for every strategy). Proficiency is the sum of the operator's levels in the
required skills; equally proficient operators are ordered as :class:`LeastLoaded`
orders them.

Operators are kept in buckets by skill profile (the exact skill → level map), each
bucket ranked by load. A decision looks at the few profiles that qualify, not at the
operators, so its cost grows with the number of distinct profiles, not team size.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from omniroute.strategies._ranked import Rank, RankedIndex

if TYPE_CHECKING:
    from omniroute.model import Conversation
    from omniroute.strategies.base import OperatorView

__all__ = ["SkillBased"]

Profile = tuple[tuple[str, int], ...]


def _profile(skills: Mapping[str, int]) -> Profile:
    return tuple(sorted(skills.items()))


class SkillBased:
    """Best proficiency in the required skills first, then least loaded.

    Each index change costs ``O(log n)``. Finding the first candidate costs
    ``O(p)`` in the number ``p`` of distinct skill profiles the first time a
    requirement is seen and ``O(k log n)`` after, for the ``k`` profiles that tie.
    """

    name = "skill_based"

    def __init__(self) -> None:
        self._buckets: dict[Profile, RankedIndex] = {}
        self._bucket_of: dict[str, Profile] = {}
        # requirement → profiles that meet it, grouped in tiers of equal proficiency,
        # best first. Cleared whenever a new profile appears.
        self._tiers: dict[Profile, list[list[RankedIndex]]] = {}

    def _rank(self, operator: OperatorView) -> Rank:
        return (operator.utilisation, operator.idle_since, operator.joined, operator.id)

    def add(self, operator: OperatorView) -> None:
        profile = _profile(operator.skills)
        bucket = self._buckets.get(profile)
        if bucket is None:
            bucket = self._buckets[profile] = RankedIndex()
            self._tiers.clear()
        self._bucket_of[operator.id] = profile
        bucket.put(operator.id, self._rank(operator))

    def update(self, operator: OperatorView) -> None:
        profile = self._bucket_of.get(operator.id)
        if profile is None:
            self.add(operator)
        else:
            self._buckets[profile].put(operator.id, self._rank(operator))

    def discard(self, operator_id: str) -> None:
        profile = self._bucket_of.pop(operator_id, None)
        if profile is not None:
            self._buckets[profile].discard(operator_id)

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        """Nothing to remember: the rank already follows the operator's load."""

    def candidates(self, conversation: Conversation) -> Iterator[str]:
        requirement = _profile(conversation.requires)
        tiers = self._tiers.get(requirement)
        if tiers is None:
            tiers = self._tiers[requirement] = self._tiers_for(requirement)
        for tier in tiers:
            if len(tier) == 1:
                yield from tier[0].ids()
            else:
                for rank in heapq.merge(*(bucket.ranks() for bucket in tier)):
                    yield rank[-1]

    def _tiers_for(self, requirement: Profile) -> list[list[RankedIndex]]:
        by_score: dict[int, list[RankedIndex]] = {}
        for profile, bucket in self._buckets.items():
            skills = dict(profile)
            if all(skills.get(skill, -1) >= level for skill, level in requirement):
                score = sum(skills[skill] for skill, _ in requirement)
                by_score.setdefault(score, []).append(bucket)
        return [by_score[score] for score in sorted(by_score, reverse=True)]

    def __len__(self) -> int:
        return len(self._bucket_of)

    def _check(self) -> None:
        for profile, bucket in self._buckets.items():
            bucket._check()
            for operator_id in bucket.ids():
                assert self._bucket_of[operator_id] == profile
        assert sum(len(bucket) for bucket in self._buckets.values()) == len(self._bucket_of)

    def __repr__(self) -> str:
        return "SkillBased()"
