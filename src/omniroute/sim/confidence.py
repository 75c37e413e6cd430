"""Confidence intervals across independent simulation replications.

One simulated day is one sample: its service level, its average speed of answer,
are random. Running the same scenario ``n`` times with independent seeds and
taking the mean of a figure gives an estimate of its expected value; the Student-t
interval around that mean says how far off the estimate may be. The replications
must be independent (different seeds, no state carried over) for the interval to
mean anything, and with few replications it also relies on the figure being
roughly normal from one replication to the next; averages of many contacts
usually are.

:func:`estimate` summarises one figure, :func:`summarise` the nested ``as_dict()``
figures of whole runs, and :func:`t_quantile` is the Student-t quantile behind
both. Only the standard library is used: the quantile is computed from the
regularized incomplete beta function and is exact to about ``1e-12``, relative.

For example, five replications of a figure::

    >>> e = estimate([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> e.mean, e.n
    (3.0, 5)
    >>> round(e.low, 6), round(e.high, 6)
    (1.036757, 4.963243)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

import attrs

from omniroute._reading import is_number
from omniroute.errors import ValidationError

__all__ = ["Estimate", "estimate", "summarise", "t_quantile"]

_EPS = 1e-15
"""Relative change at which the continued fraction is taken as converged."""
_TINY = 1e-300
"""Stands in for a zero denominator in the modified Lentz method."""
_ASYMPTOTIC_DF = 100_000
"""From this many degrees of freedom the quantile comes from the Cornish-Fisher
series in ``1/df`` (error far below a double's precision there), instead of from
the continued fraction, whose length grows like ``sqrt(df)``."""
_LN_SQRT_PI = 0.5 * math.log(math.pi)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValidationError(f"confidence must be between 0 and 1 (exclusive), not {confidence!r}")


def _log_gamma_ratio(a: float) -> float:
    """``ln(Gamma(a + 1/2) / Gamma(a))``; for large ``a`` from the difference of the
    Stirling series, as the difference of two large ``lgamma`` values would lose the
    digits that matter."""
    if a < 16.0:
        return math.lgamma(a + 0.5) - math.lgamma(a)

    def series(x: float) -> float:
        x2 = x * x
        tail = (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / (1188.0 * x2)) / x2) / x2
        return (1.0 / 12.0 - (1.0 / 360.0 - tail) / x2) / x

    return a * math.log1p(0.5 / a) + 0.5 * math.log(a) - 0.5 + series(a + 0.5) - series(a)


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (Numerical Recipes
    ``betacf``, modified Lentz), fast for ``x < (a + 1) / (a + b + 2)``."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    limit = 100 + 20 * math.isqrt(int(max(a, b)) + 1)
    for m in range(1, limit + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b})")


def _log_betai(a: float, b: float, x: float, ln_x: float, ln_y: float, ln_beta: float) -> float:
    """``ln I_x(a, b)``, the regularized incomplete beta function, with ``y = 1 - x``
    given by its logarithm so that neither end loses digits. In logarithms so that
    the far tails, smaller than the smallest double, still have a value to solve for."""
    ln_front = a * ln_x + b * ln_y - ln_beta
    if x < (a + 1.0) / (a + b + 2.0):
        return ln_front + math.log(_betacf(a, b, x)) - math.log(a)
    return math.log1p(-math.exp(ln_front) * _betacf(b, a, math.exp(ln_y)) / b)


class _Student:
    """Student's t with ``df`` degrees of freedom, as functions of ``u = ln t``
    (``t > 0``): the tail ``P(T > t)``, the centre ``P(0 < T < t)``, each as a
    logarithm with its derivative in ``u``. Quantiles are found by Newton's method in
    ``u``, where both are close to straight lines: ``-df * u`` far out, ``u`` near 0."""

    def __init__(self, df: int) -> None:
        self.df = float(df)
        self.a = 0.5 * df
        self.ln_df = math.log(df)
        self.ln_beta = _LN_SQRT_PI - _log_gamma_ratio(self.a)  # ln B(df/2, 1/2)

    def _logs(self, u: float) -> tuple[float, float, float]:
        """``ln x``, ``ln(1 - x)`` for ``x = df / (df + t^2)``, and ``ln(t * pdf(t))``."""
        w = 2.0 * u - self.ln_df  # ln(t^2 / df)
        ln1p = w + math.log1p(math.exp(-w)) if w > 0.0 else math.log1p(math.exp(w))
        ln_t_pdf = u - (self.a + 0.5) * ln1p - 0.5 * self.ln_df - self.ln_beta
        return -ln1p, w - ln1p, ln_t_pdf

    def log_tail(self, u: float) -> tuple[float, float]:
        ln_x, ln_y, ln_t_pdf = self._logs(u)
        ln_p = _log_betai(self.a, 0.5, math.exp(ln_x), ln_x, ln_y, self.ln_beta) - math.log(2.0)
        return ln_p, -math.exp(ln_t_pdf - ln_p)

    def log_centre(self, u: float) -> tuple[float, float]:
        ln_x, ln_y, ln_t_pdf = self._logs(u)
        ln_p = _log_betai(0.5, self.a, math.exp(ln_y), ln_y, ln_x, self.ln_beta) - math.log(2.0)
        return ln_p, math.exp(ln_t_pdf - ln_p)


def _solve(f: Callable[[float], tuple[float, float]], target: float, u: float) -> float:
    """The root of ``f(u) = target`` for a monotonic ``f`` given with its derivative:
    the guess ``u`` is widened to a bracket, then Newton's method runs inside it,
    falling back to bisection whenever a step would leave the bracket."""
    value, slope = f(u)
    sign = 1.0 if slope > 0.0 else -1.0  # f rises with u when sign is 1
    lo, hi = -math.inf, math.inf
    width = 1.0
    while True:
        excess = sign * (value - target)
        if excess == 0.0:
            return u
        if excess < 0.0:
            lo = u
        else:
            hi = u
        if math.isfinite(lo) and math.isfinite(hi):
            break
        u = u + width if excess < 0.0 else u - width
        width *= 2.0
        value, slope = f(u)
    for _ in range(200):
        step = (value - target) / slope if slope != 0.0 else math.inf
        guess = u - step
        if not lo < guess < hi:
            guess = 0.5 * (lo + hi)
        if abs(guess - u) <= 1e-15 * max(1.0, abs(u)) or guess in (lo, hi):
            return guess
        u = guess
        value, slope = f(u)
        excess = sign * (value - target)
        if excess == 0.0:
            return u
        if excess < 0.0:
            lo = u
        else:
            hi = u
    return u  # pragma: no cover - Newton's method converges long before


def _upper_quantile(q: float, df: int) -> float:
    """The ``t >= 0`` with ``P(T > t) = q``, for ``0 < q <= 1/2``."""
    if q == 0.5:
        return 0.0
    if df == 1:  # Cauchy
        return math.tan(math.pi * (0.5 - q)) if q > 0.25 else 1.0 / math.tan(math.pi * q)
    if df == 2:
        return (1.0 - 2.0 * q) / math.sqrt(2.0 * q * (1.0 - q))
    z = -NormalDist().inv_cdf(q)
    if df >= _ASYMPTOTIC_DF:  # Abramowitz and Stegun 26.7.5
        z2 = z * z
        g1 = (z2 + 1.0) * z / 4.0
        g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
        g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
        g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
        return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
    student = _Student(df)
    if q < 0.25:
        return math.exp(_solve(student.log_tail, math.log(q), math.log(z)))
    centre = 0.5 - q  # exact: q is within a factor 2 of 0.5
    guess = z if z > 1e-3 else centre * math.sqrt(2.0 * math.pi)
    return math.exp(_solve(student.log_centre, math.log(centre), math.log(guess)))


def t_quantile(p: float, df: int) -> float:
    """Quantile ``p`` (``0 < p < 1``) of Student's t distribution with ``df >= 1``
    degrees of freedom: the ``t`` with ``P(T <= t) = p``.

    Exact to about ``1e-12``, relative, over the whole range of ``p``: closed forms
    for ``df`` 1 and 2, Newton's method on the incomplete beta function up to
    ``df = 100000``, the Cornish-Fisher series beyond. Raises ValidationError (a
    ValueError) for ``p`` outside ``(0, 1)`` or ``df`` not a whole number >= 1.

    >>> round(t_quantile(0.975, 10), 9)
    2.228138852
    """
    if not 0.0 < p < 1.0:
        raise ValidationError(f"p must be between 0 and 1 (exclusive), not {p!r}")
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValidationError(f"df must be a whole number of degrees of freedom >= 1, not {df!r}")
    if p < 0.5:
        return -_upper_quantile(p, df)
    return _upper_quantile(1.0 - p, df)  # 1 - p is exact for p >= 1/2


def _t_cdf(t: float, df: int) -> float:
    """``P(T <= t)`` for Student's t with ``df`` degrees of freedom (for tests)."""
    if math.isnan(t):
        return math.nan
    if t == 0.0:
        return 0.5
    if math.isinf(t):
        return 0.0 if t < 0.0 else 1.0
    tail = math.exp(_Student(df).log_tail(math.log(abs(t)))[0])
    return tail if t < 0.0 else 1.0 - tail


@attrs.frozen
class Estimate:
    """The mean of a figure over ``n`` replications, with its confidence interval
    ``low`` to ``high`` and the sample standard deviation ``stdev`` across
    replications. With one replication there is no spread to measure: ``stdev`` is
    0.0 and ``low == high == mean``. With none, every float is NaN."""

    mean: float
    low: float
    high: float
    stdev: float
    n: int

    def half_width(self) -> float:
        """How far the interval reaches either side of the mean: the precision of the
        estimate, the number to shrink by adding replications."""
        return (self.high - self.low) / 2.0

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the interval, ends included (never for NaN)."""
        return self.low <= value <= self.high

    def as_dict(self) -> dict[str, float | int]:
        """JSON-ready data, every field by name."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "stdev": self.stdev,
            "n": self.n,
        }


def estimate(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean of independent replications with a Student-t confidence interval.

    The interval is ``mean +- t * stdev / sqrt(n)``, ``t`` the ``(1 + confidence) / 2``
    quantile with ``n - 1`` degrees of freedom. With ``n == 1`` no interval can be
    given (one value says nothing of the spread): ``low == high == mean`` and
    ``stdev`` is 0.0; run at least two replications for a real interval.

    NaN values are skipped: a figure undefined in one replication (the speed of
    answer when nobody was answered) says nothing about the others. If none remain,
    every float field is NaN and ``n`` is 0. Raises ValidationError (a ValueError)
    for ``confidence`` outside ``(0, 1)`` or an infinite value.
    """
    _check_confidence(confidence)
    kept = [float(v) for v in values if not math.isnan(v)]
    if any(math.isinf(v) for v in kept):
        raise ValidationError("values must be finite numbers (or NaN, skipped)")
    n = len(kept)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0)
    # Rounding the exact sum, then dividing, can land a hair outside the values.
    mean = min(max(math.fsum(kept) / n, min(kept)), max(kept))
    if n == 1:
        return Estimate(mean, mean, mean, 0.0, 1)
    # Two passes: squared deviations from the mean, less the (tiny) rounding error
    # of the mean itself, rather than the cancelling sum of squares.
    deviations = [v - mean for v in kept]
    squares = math.fsum(d * d for d in deviations) - math.fsum(deviations) ** 2 / n
    stdev = math.sqrt(max(squares, 0.0) / (n - 1))
    half = _upper_quantile((1.0 - confidence) / 2.0, n - 1) * stdev / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, stdev, n)


_DROP = object()
"""Marks a figure that cannot be summarised: left out of the result."""


def _merge(values: list[Any], confidence: float) -> Any:
    """One figure, or one mapping of figures, across the runs that have it."""
    if all(isinstance(v, Mapping) for v in values):
        keys: dict[str, None] = {}
        for value in values:
            keys.update(dict.fromkeys(value))
        merged: dict[str, Any] = {}
        for key in keys:
            item = _merge([v[key] for v in values if key in v], confidence)
            if item is not _DROP:
                merged[key] = item
        return merged
    if any(isinstance(v, Mapping | list | tuple) for v in values):
        return _DROP
    numbers = [v for v in values if is_number(v)]
    if numbers:
        if len(numbers) + sum(v is None for v in values) < len(values):
            return _DROP  # numbers mixed with strings or flags
        return estimate([math.nan if v is None else v for v in values], confidence).as_dict()
    first = values[0]
    return first if all(v == first for v in values) else _DROP


def summarise(runs: Sequence[Mapping[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """Across replications, each a nested mapping of figures (dicts of dicts of
    numbers, as produced by ``as_dict()`` of the statistics), the same nesting with
    each number replaced by ``estimate(...).as_dict()``.

    Keys present in only some runs are summarised over those that have them. A
    figure that is None in some runs and a number in others is undefined there
    (``share()`` with nothing to share) and is summarised over the runs where it is
    a number, like NaN. Non-numeric leaves (str, None, bool) are kept if equal in
    all runs, else dropped, as are numbers mixed with other kinds. Lists are dropped:
    per-interval rows are summarised elsewhere. Raises ValidationError (a
    ValueError) for ``confidence`` outside ``(0, 1)`` or an infinite figure.
    """
    _check_confidence(confidence)
    if not runs:
        return {}
    merged = _merge(list(runs), confidence)
    return merged if isinstance(merged, dict) else {}
