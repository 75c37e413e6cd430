"""Random durations for the simulator: handle times, patience, think times.

Each distribution is a frozen value with its ``mean`` and a ``sampler(rng)`` that
returns a zero-argument callable drawing from it with that ``random.Random``. The
simulator calls samplers in its inner loop, so a sampler is a bound method or a
``functools.partial`` of one, never a Python-level function of ours.

>>> import random
>>> draw = LogNormal(mean=300, sd=120).sampler(random.Random(1))
>>> round(draw(), 1)
352.0
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Callable, Iterable
from typing import Protocol

import attrs

from omniroute.errors import ValidationError

__all__ = ["Distribution", "Empirical", "Exponential", "Fixed", "LogNormal", "Uniform"]

Sampler = Callable[[], float]


class Distribution(Protocol):
    """What the simulator needs of a distribution of seconds."""

    @property
    def mean(self) -> float: ...

    def sampler(self, rng: random.Random) -> Sampler: ...


def _positive(owner: str, name: str, value: float, *, zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        bound = ">= 0" if zero else "> 0"
        raise ValidationError(f"{owner}: {name} must be a finite number {bound}, got {value!r}")


@attrs.frozen
class Exponential:
    """Memoryless durations with this mean: the M of M/M/c."""

    mean: float

    def __attrs_post_init__(self) -> None:
        _positive("Exponential", "mean", self.mean)

    def sampler(self, rng: random.Random) -> Sampler:
        return functools.partial(rng.expovariate, 1.0 / self.mean)


@attrs.frozen
class LogNormal:
    """Durations whose logarithm is normal, given by their own mean and standard
    deviation (not the logarithm's): the usual shape of handle times."""

    mean: float
    sd: float

    def __attrs_post_init__(self) -> None:
        _positive("LogNormal", "mean", self.mean)
        _positive("LogNormal", "sd", self.sd, zero=True)

    @property
    def mu(self) -> float:
        """The mean of the logarithm."""
        return math.log(self.mean) - self.sigma**2 / 2

    @property
    def sigma(self) -> float:
        """The standard deviation of the logarithm."""
        return math.sqrt(math.log1p((self.sd / self.mean) ** 2))

    def sampler(self, rng: random.Random) -> Sampler:
        return functools.partial(rng.lognormvariate, self.mu, self.sigma)


@attrs.frozen
class Fixed:
    """Always ``value`` seconds."""

    value: float

    def __attrs_post_init__(self) -> None:
        _positive("Fixed", "value", self.value, zero=True)

    @property
    def mean(self) -> float:
        return float(self.value)

    def sampler(self, rng: random.Random) -> Sampler:
        return itertools.repeat(float(self.value)).__next__


@attrs.frozen
class Uniform:
    """Any duration from ``low`` to ``high``, evenly."""

    low: float
    high: float

    def __attrs_post_init__(self) -> None:
        _positive("Uniform", "low", self.low, zero=True)
        _positive("Uniform", "high", self.high, zero=True)
        if self.high < self.low:
            raise ValidationError(f"Uniform: high {self.high!r} is below low {self.low!r}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sampler(self, rng: random.Random) -> Sampler:
        return functools.partial(rng.uniform, self.low, self.high)


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(map(float, values))


@attrs.frozen
class Empirical:
    """Durations drawn, with replacement, from those observed (a helpdesk's export
    of real handle times): no shape assumed."""

    values: tuple[float, ...] = attrs.field(converter=_floats)

    def __attrs_post_init__(self) -> None:
        if not self.values:
            raise ValidationError("Empirical: values must not be empty")
        for i, value in enumerate(self.values):
            _positive("Empirical", f"values[{i}]", value, zero=True)

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    def sampler(self, rng: random.Random) -> Sampler:
        return functools.partial(rng.choice, self.values)
