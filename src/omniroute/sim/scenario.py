"""Scenarios: what to simulate, read from TOML (or the same data as a mapping).

A scenario names its day (``[scenario]``: start, end, report interval, warm-up,
seed, replications), the statistics' settings (``[metrics]``), the groups
(``[[groups]]``, as :class:`~omniroute.Group` takes them), the operators
(``[[operators]]``: groups, skills, capacity, a shift with breaks, how they answer
offers) and the customers (``[[arrivals]]``: a channel and group, a Poisson rate per
hour that may change through the day or a CSV of real arrivals to replay, handle
time, patience, first response, going quiet). ``docs/reference/scenario.md`` is
the full reference.

Everything is checked before anything runs; the first problem raises
:class:`~omniroute.ScenarioError` naming the file, the key's path and the reason:
``bank.toml: arrivals[2].per_hour: expected a number >= 0, got -5``.

Durations are seconds, or text with units (``"90s"``, ``"15m"``, ``"1h30m"``); the
times of the day (start, end, shifts) may also be clock times (``"08:30"``), which
are seconds since midnight: the simulated clock reads seconds since the midnight
the day starts from.

The parts a scenario holds are in :mod:`omniroute.sim.parts`; the reading and its
checks in :mod:`omniroute.sim.reading`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from omniroute.errors import ScenarioError
from omniroute.sim.parts import Arrivals, GroupPlan, OperatorPlan, Quiet, Replayed
from omniroute.sim.reading import parse_seconds, scenario_fields
from omniroute.stats import MetricsSettings

__all__ = [
    "Arrivals",
    "GroupPlan",
    "OperatorPlan",
    "Quiet",
    "Replayed",
    "Scenario",
    "parse_seconds",
]


@attrs.frozen
class Scenario:
    """A whole simulated day (or any span): build it with :meth:`load`,
    :meth:`from_toml` or :meth:`from_dict`, run it with
    :func:`omniroute.sim.simulate`.

    Arrivals come from ``start`` until ``end``; with ``drain`` the run then goes on,
    without new arrivals, until every conversation has ended (or nothing more can
    happen). Statistics count from the first report interval that starts at or after
    ``start + warmup``. Queue lengths are sampled every ``sample`` seconds.
    """

    name: str
    start: float
    end: float
    groups: tuple[GroupPlan, ...]
    operators: tuple[OperatorPlan, ...]
    arrivals: tuple[Arrivals, ...]
    warmup: float = 0.0
    sample: float = 60.0
    drain: bool = True
    seed: int = 1
    replications: int = 1
    metrics: MetricsSettings = attrs.field(factory=MetricsSettings)
    source: str = "scenario"

    @property
    def interval(self) -> float:
        return self.metrics.interval

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def counted_from(self) -> float:
        """When the statistics start: the first report interval (aligned to
        multiples of its length) that starts at or after the warm-up's end."""
        return math.ceil((self.start + self.warmup) / self.interval) * self.interval

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a TOML scenario file; CSV files it names are relative to it."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise ScenarioError(
                f"{path}: line {line}: not UTF-8 (byte 0x{exc.object[exc.start]:02x}); "
                "TOML files are UTF-8"
            ) from None
        return cls.from_toml(text, source=str(path), base=path.parent)

    @classmethod
    def from_toml(
        cls, text: str, *, source: str = "scenario", base: Path | None = None
    ) -> Scenario:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
        return cls.from_dict(data, source=source, base=base)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "scenario", base: Path | None = None
    ) -> Scenario:
        """A scenario from TOML-shaped data (tables are mappings, arrays lists)."""
        return cls(**scenario_fields(data, source=source, base=base or Path()))
