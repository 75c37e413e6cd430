"""Shared fixtures (a clock, a Router staffed on it) and hypothesis profiles.

``default`` and ``ci`` (chosen when ``CI`` is set) run 600 examples of up to 50 steps,
the stateful test takes about fifteen seconds; ``HYPOTHESIS_PROFILE=thorough`` runs
2000 of up to 80.
"""

from __future__ import annotations

import functools
import os

import pytest
from hypothesis import HealthCheck, settings

from omniroute import Group, Router
from tests.helpers import FakeClock, Staff, staffed

# Checked by mypy (make lint), not run.
collect_ignore = ["typing"]

PROFILES = {"default": (600, 50), "ci": (600, 50), "thorough": (2000, 80)}
for name, (examples, steps) in PROFILES.items():
    settings.register_profile(
        name,
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def staff(clock: FakeClock) -> Staff:
    """``staff(*groups, **operators)``: :func:`tests.helpers.staffed` on ``clock``."""
    return functools.partial(staffed, clock)


@pytest.fixture
def router(staff: Staff) -> Router:
    """Group ``g`` and ``ann``, ONLINE, serving it one conversation at a time.

    A test class or module may override it with its own set-up."""
    return staff(Group("g"), ann=({"g"},))
