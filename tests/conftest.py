"""Shared fixtures and hypothesis profiles.

``default`` and ``ci`` (chosen when ``CI`` is set) run 600 examples of up to 50 steps,
the stateful test takes about fifteen seconds; ``HYPOTHESIS_PROFILE=thorough`` runs
2000 of up to 80.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import FakeClock

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
