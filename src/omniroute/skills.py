"""Matching an operator's skills against a conversation's required skills."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Requirement", "meets"]

Requirement = tuple[tuple[str, int], ...]
"""Required skills as a sorted tuple of ``(skill, minimum level)``."""


def meets(skills: Mapping[str, int], requirement: Requirement) -> bool:
    """Whether ``skills`` reach every minimum of ``requirement``."""
    for skill, level in requirement:  # noqa: SIM110 - faster than all() on the hot path
        if skills.get(skill, -1) < level:
            return False
    return True
