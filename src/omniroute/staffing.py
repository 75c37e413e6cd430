"""Staffing: how many agents a queue needs, by Erlang B, Erlang C and Erlang A.

Every function takes rates and times in one consistent unit: the docs use calls per
second and seconds, but calls per hour and hours work just as well, as long as
``arrival_rate``, ``handle_time``, ``threshold`` and ``patience`` agree. The
*load* (offered traffic, in Erlangs) is ``a = arrival_rate * handle_time``: the
average number of agents busy if nobody ever waited.

The models, all with Poisson arrivals and exponential handle times:

- **Erlang B** (M/M/c/c): no queue; an arrival finding all ``c`` agents busy is
  lost. :func:`erlang_b` is the blocking probability.
- **Erlang C** (M/M/c): an infinite queue and infinitely patient customers.
  :func:`erlang_c`, :func:`average_speed_of_answer`, :func:`service_level`,
  :func:`occupancy`.
- **Erlang A** (M/M/c+M): customers abandon after an exponentially distributed
  patience. :func:`erlang_a` returns an :class:`ErlangA` record.

:func:`required_agents` turns a service-level target into a number of agents, for
calls (one conversation per agent) and for chat (``concurrency`` conversations per
agent).

The 10 Erlang example of Call Centre Helper's worked Erlang C example (100 calls
per half hour, 3 minutes each, 80 % answered within 20 seconds)::

    >>> rate, handle = 100 / 1800, 180.0
    >>> round(erlang_c(14, rate * handle), 4)
    0.1741
    >>> round(service_level(14, rate, handle, threshold=20), 4)
    0.8884
    >>> required_agents(rate, handle, 0.8, 20)
    14

Every number is computed without factorials or powers that could overflow: Erlang B
and C by a recurrence that stays in [0, 1], Erlang A with its sums scaled by their
largest term and combined in logarithms. Loads of thousands of Erlangs are fine;
the cost of :func:`erlang_b` and :func:`erlang_c` is ``O(agents)``.
"""

from __future__ import annotations

import math
import sys
from numbers import Real
from typing import Any, NamedTuple

import attrs

from omniroute.errors import StaffingError

__all__ = [
    "MAX_SERVERS",
    "ErlangA",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "service_level",
]

#: :func:`required_agents` raises :class:`~omniroute.StaffingError` rather than
#: search beyond this many servers (agents * concurrency).
MAX_SERVERS = 1_000_000

# A sum of positive terms is cut when what is left is below this share of it.
_NEGLIGIBLE = 1e-17


# --- validation ---------------------------------------------------------------------


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise StaffingError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise StaffingError(f"{name} must be finite, got {value!r}") from None
    if not math.isfinite(number):
        raise StaffingError(f"{name} must be finite, got {value!r}")
    return number


def _non_negative(name: str, value: object) -> float:
    number = _real(name, value)
    if number < 0:
        raise StaffingError(f"{name} must be >= 0, got {value!r}")
    return number


def _positive(name: str, value: object) -> float:
    number = _real(name, value)
    if number <= 0:
        raise StaffingError(f"{name} must be > 0, got {value!r}")
    return number


def _patience(value: object) -> float:
    # 1 / patience must be a float: a subnormal patience makes the abandonment
    # rate infinite, and the sums NaN.
    number = _positive("patience", value)
    if number < sys.float_info.min:
        raise StaffingError(f"patience must be at least {sys.float_info.min:g} s, got {value!r}")
    return number


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StaffingError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise StaffingError(f"{name} must be >= {minimum}, got {value!r}")
    return value


# --- Erlang B and C -----------------------------------------------------------------


def _erlang_b(agents: int, load: float) -> float:
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
        if blocking == 0.0:  # underflow: it stays 0 for every larger n
            break
    return blocking


def _waiting_from_blocking(agents: int, load: float, blocking: float) -> float:
    # Only for load < agents, where the denominator is at least agents - load > 0.
    return min(1.0, agents * blocking / (agents - load * (1.0 - blocking)))


def _level(agents: int, load: float, waiting: float, handle_time: float, threshold: float) -> float:
    return min(1.0, max(0.0, 1.0 - waiting * math.exp(-(agents - load) * threshold / handle_time)))


def _erlang_c(agents: int, load: float) -> float:
    if load >= agents:
        return 1.0
    return _waiting_from_blocking(agents, load, _erlang_b(agents, load))


def erlang_b(agents: int, load: float) -> float:
    """The probability that an arrival finds all ``agents`` busy and is lost (M/M/c/c).

    With ``a = load`` and ``c = agents``::

        B(c, a) = (a^c / c!) / sum(a^k / k!, k = 0..c)

    computed by the recurrence ``B(0) = 1``, ``B(n) = a B(n-1) / (n + a B(n-1))``,
    whose every step stays in [0, 1], so nothing overflows. Cost: ``O(agents)``.

        >>> round(erlang_b(10, 5.0), 6)
        0.018385
        >>> erlang_b(0, 3.0), erlang_b(2, 0.0)
        (1.0, 0.0)

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 0 and
    ``load`` a finite number >= 0.
    """
    return _erlang_b(_count("agents", agents, 0), _non_negative("load", load))


def erlang_c(agents: int, load: float) -> float:
    """The probability that an arrival has to wait, ``P(W > 0)``, in an M/M/c queue.

    From Erlang B::

        C(c, a) = c B(c, a) / (c - a (1 - B(c, a)))      for a < c

    and ``1.0`` when ``load >= agents``: the queue is unstable and grows for ever,
    so every arrival waits (with no agents at all, too). Cost: ``O(agents)``.

        >>> round(erlang_c(2, 1.0), 6)
        0.333333
        >>> erlang_c(3, 3.0)
        1.0

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 0 and
    ``load`` a finite number >= 0.
    """
    return _erlang_c(_count("agents", agents, 0), _non_negative("load", load))


def _queue_inputs(agents: int, arrival_rate: float, handle_time: float) -> tuple[int, float, float]:
    return (
        _count("agents", agents, 0),
        _non_negative("arrival_rate", arrival_rate),
        _positive("handle_time", handle_time),
    )


def average_speed_of_answer(agents: int, arrival_rate: float, handle_time: float) -> float:
    """The mean wait before an answer, over all arrivals, in an M/M/c queue (ASA)::

        ASA = C(c, a) * handle_time / (c - a)        with a = arrival_rate * handle_time

    ``inf`` when ``a >= agents`` (the queue is unstable). Those who do wait, wait
    ``handle_time / (c - a)`` on average. Cost: ``O(agents)``.

        >>> round(average_speed_of_answer(2, 1 / 60, 60.0), 6)
        20.0

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 0,
    ``arrival_rate`` >= 0 and ``handle_time`` > 0, all finite.
    """
    c, rate, handle = _queue_inputs(agents, arrival_rate, handle_time)
    load = rate * handle
    if load >= c:
        return math.inf
    return _erlang_c(c, load) * handle / (c - load)


def service_level(agents: int, arrival_rate: float, handle_time: float, threshold: float) -> float:
    """The share of arrivals answered within ``threshold`` in an M/M/c queue::

        SL = P(W <= t) = 1 - C(c, a) * exp(-(c - a) * t / handle_time)

    ``0.0`` when ``a >= agents`` (the queue is unstable). Cost: ``O(agents)``.

        >>> round(service_level(2, 1 / 60, 60.0, threshold=0), 6)
        0.666667

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 0,
    ``arrival_rate`` >= 0, ``handle_time`` > 0 and ``threshold`` >= 0, all finite.
    """
    c, rate, handle = _queue_inputs(agents, arrival_rate, handle_time)
    t = _non_negative("threshold", threshold)
    load = rate * handle
    if load >= c:
        return 0.0
    return _level(c, load, _erlang_c(c, load), handle, t)


def occupancy(agents: int, arrival_rate: float, handle_time: float) -> float:
    """The share of their time agents spend handling work: ``a / c``, capped at 1.

    This is Erlang C's occupancy, where every arrival is served in the end; with
    abandonment use :attr:`ErlangA.occupancy`, which counts only served work.

        >>> occupancy(20, 0.05, 300.0)
        0.75

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 1,
    ``arrival_rate`` >= 0 and ``handle_time`` > 0, all finite.
    """
    c = _count("agents", agents, 1)
    rate = _non_negative("arrival_rate", arrival_rate)
    handle = _positive("handle_time", handle_time)
    return min(1.0, rate * handle / c)


# --- Erlang A -----------------------------------------------------------------------
#
# The M/M/c+M queue is a birth-death chain on n = the number of customers present:
# births at rate lam, deaths at min(n, c) mu + max(n - c, 0) theta, with mu =
# 1 / handle_time and theta = 1 / patience. Relative to state c its stationary
# weights are
#
#     pi_n / pi_c = c! / (n! a^(c-n))                      for n < c, as in Erlang B,
#     pi_(c+j) / pi_c = t_j = x^j / ((s+1)(s+2)...(s+j))   x = lam/theta, s = c mu/theta,
#
# so with R = sum(pi_n, n < c) / pi_c = (1 - B(c, a)) / B(c, a) and
# T(x) = sum(t_j, j >= 0), the normaliser is D = R + T(x). An arrival finding j
# customers queued (PASTA: probability t_j / D) is served with probability
# s / (s + j + 1) after a wait made of j + 1 exponential steps of rates
# (s+1) theta, ..., (s+j+1) theta; from this every measure below follows.


class _Sums(NamedTuple):
    """Sums over j >= 0 of t_j = z^j / ((s+1)...(s+j)), each divided by exp(log_scale)."""

    peak: int  # the j of the largest term
    log_scale: float  # log of the largest term
    total: float  # sum of t_j
    tail: float  # sum of t_j for j >= 1
    moment: float  # sum of j t_j
    waited: float  # sum of t_j G_j for j >= 1, G_j = sum(1 / (s + k), k = 1..j)


def _log(value: float) -> float:
    return math.log(value) if value > 0 else -math.inf


def _log_add(x: float, y: float) -> float:
    if x < y:
        x, y = y, x
    if y == -math.inf:
        return x
    return x + math.log1p(math.exp(y - x))


def _harmonic(start: float, count: int) -> float:
    """sum(1 / (start + k), k = 0..count-1) for start >= 1, in O(min(count, 1000)).

    A long sum is the digamma difference psi(start + count) - psi(start), from the
    asymptotic series once both arguments are at least 20 (its error is then below
    1e-13 of the result)."""
    if count <= 1000:
        return math.fsum(1 / (start + k) for k in range(count))
    head = math.fsum(1 / (start + k) for k in range(20))
    low, high = start + 20, start + count

    def series(x: float) -> float:  # psi(x) - log(x), asymptotically
        x2 = 1 / (x * x)
        return -0.5 / x - x2 * (1 / 12 - x2 * (1 / 120 - x2 * (1 / 252 - x2 / 240)))

    return head + math.log1p((high - low) / low) + series(high) - series(low)


def _log_term(s: float, log_z: float, known: tuple[int, float], j: int) -> float:
    """log t_j from a known (i, log t_i): the log ratios summed exactly (math.fsum)
    when i and j are at most 100,000 apart, else by lgamma, whose rounding then
    costs about 1e-16 * (s + j) log(s + j) in absolute terms."""
    i, log_t = known
    low, high = min(i, j), max(i, j)
    if high - low <= 100_000:
        step = math.fsum(log_z - math.log(s + k) for k in range(low + 1, high + 1))
    else:
        step = (high - low) * log_z - (math.lgamma(s + high + 1) - math.lgamma(s + low + 1))
    return log_t + step if j >= i else log_t - step


def _sums(s: float, log_z: float, *, waited: bool, known: tuple[int, float] = (0, 0.0)) -> _Sums:
    """Walk the terms t_j outwards from the largest, until what is left is negligible.

    t_j / t_(j-1) = z / (s + j) falls as j grows, so the terms rise to their largest
    at j* = max(0, floor(z - s)) and fall after it; the number of terms visited is
    about sqrt(z) times a small constant (far fewer when z < s). ``known`` is a
    term already computed, (j, log t_j), from which the largest is reached.
    """
    z = math.exp(log_z)
    peak = max(0, math.floor(z - s))
    log_peak = _log_term(s, log_z, known, peak)
    total = tail = moment = waited_sum = 0.0
    harmonic = _harmonic(s + 1, peak) if waited else 0.0
    # Upwards from the peak (t_peak included).
    j, log_t, g = peak, log_peak, harmonic
    while True:
        term = math.exp(log_t - log_peak)
        total += term
        if j:
            tail += term
            moment += j * term
            waited_sum += g * term
        ratio = math.exp(log_z - math.log(s + j + 1))  # t_(j+1) / t_j, < 1 past the peak
        if ratio < 1 and term * (j + 1) <= _NEGLIGIBLE * tail * (1 - ratio) ** 2:
            break
        j += 1
        log_t += log_z - math.log(s + j)
        if waited:
            g += 1 / (s + j)
    # Downwards from the peak.
    j, log_t, g = peak, log_peak, harmonic
    while j > 0:
        log_t -= log_z - math.log(s + j)
        if waited:
            g -= 1 / (s + j)
        j -= 1
        term = math.exp(log_t - log_peak)
        total += term
        if j:
            tail += term
            moment += j * term
            waited_sum += g * term
        ratio = math.exp(math.log(s + j) - log_z)  # t_(j-1) / t_j, <= 1 below the peak
        if ratio < 1 and term <= _NEGLIGIBLE * tail * (1 - ratio):
            break
    return _Sums(peak, log_peak, total, tail, moment, waited_sum)


class _Chain(NamedTuple):
    """The stationary M/M/c+M chain, as the few logarithms every measure needs."""

    s: float  # c mu / theta
    log_x: float  # log(lam / theta)
    log_c_over_a: float
    log_r: float  # log(R)
    log_d: float  # log(D)
    sums: _Sums


def _chain(agents: int, rate: float, handle: float, patience: float) -> _Chain | None:
    """The chain for agents >= 1 and rate > 0, or None if nobody ever waits (B == 0)."""
    load = rate * handle
    blocking = _erlang_b(agents, load)
    if blocking == 0.0:
        return None
    s = agents * patience / handle
    log_x = math.log(rate) + math.log(patience)
    sums = _sums(s, log_x, waited=True)
    log_r = math.log1p(-blocking) - math.log(blocking)
    log_d = _log_add(log_r, sums.log_scale + _log(sums.total))
    log_c_over_a = math.log(agents) - math.log(load)
    return _Chain(s, log_x, log_c_over_a, log_r, log_d, sums)


def _served(chain: _Chain) -> float:
    """P(served) = (R + (c/a)(T(x) - 1)) / D."""
    queued = chain.log_c_over_a + chain.sums.log_scale + _log(chain.sums.tail)
    return min(1.0, math.exp(chain.log_r - chain.log_d) + math.exp(queued - chain.log_d))


# Beyond this threshold / patience, e^(-theta t) is 0 in floats many times over.
_ALL_GONE = 1e4


def _answered_within(
    chain: _Chain | None, patience: float, threshold: float
) -> tuple[float, float]:
    """(P(answered within threshold), P(served)), both over all arrivals."""
    if chain is None:
        return 1.0, 1.0
    sums = chain.sums
    # Answered from the queue after waiting more than t:
    #     (c/a) e^(delta - s theta t) (T(y) - 1) / D,  y = x e^(-theta t), delta = x - y,
    # so answered from the queue within t is (c/a) (T(x) - 1 - that) / D, and the
    # difference is taken on the scale of T(x)'s terms.
    served = _served(chain)
    immediately = math.exp(chain.log_r - chain.log_d)
    if not threshold:
        return min(served, immediately), served
    theta_t = threshold / patience
    if theta_t > _ALL_GONE:
        # Patience is nothing beside the threshold (threshold / patience may even
        # overflow, and inf would turn the sums into NaN that never ends a walk):
        # whoever is still waiting at t has long abandoned, so all answered from
        # the queue are answered within t.
        queued = sums.tail
    else:
        # t_j(y) = t_j(x) e^(-j theta t): start from T(x)'s largest term, so that
        # both walks share its rounding.
        known = (sums.peak, sums.log_scale - sums.peak * theta_t)
        late = _sums(chain.s, chain.log_x - theta_t, waited=False, known=known)
        delta = -math.exp(chain.log_x) * math.expm1(-theta_t)
        log_late = delta - chain.s * theta_t + late.log_scale - sums.log_scale + _log(late.tail)
        queued = max(0.0, sums.tail - math.exp(min(log_late, _log(sums.tail))))
    log_queued = chain.log_c_over_a + sums.log_scale - chain.log_d + _log(queued)
    return min(served, immediately + math.exp(log_queued)), served


@attrs.frozen(kw_only=True)
class ErlangA:
    """What :func:`erlang_a` computed for an M/M/c+M queue (Erlang A).

    ``probability_of_waiting``: the share of arrivals that find every agent busy.
    ``probability_of_abandonment``: the share of arrivals that leave before an
    answer. ``average_speed_of_answer``: the mean wait of those who are answered
    (``inf`` when nobody is). ``average_wait``: the mean time in queue of every
    arrival, answered or not, which by Little's law is the mean queue length over
    the arrival rate. ``occupancy``: the served load ``a * (1 - P(abandon))`` over
    the agents: abandoned customers take no agent time.
    """

    agents: int
    arrival_rate: float
    handle_time: float
    patience: float
    probability_of_waiting: float
    probability_of_abandonment: float
    average_speed_of_answer: float
    average_wait: float
    occupancy: float

    def service_level(self, threshold: float) -> float:
        """The share of *all* arrivals answered within ``threshold``.

        Customers who abandon count in the denominator and never in the numerator,
        whenever they leave; this is the service level of contact centres that do
        not exclude short abandons. ``service_level(0)`` is
        ``1 - probability_of_waiting``, and as the threshold grows the service
        level tends to ``1 - probability_of_abandonment``. Cost: like
        :func:`erlang_a`.
        """
        return self._within(threshold)[0]

    def answered_service_level(self, threshold: float) -> float:
        """The share of *answered* customers whose wait was at most ``threshold``:
        :meth:`service_level` divided by ``1 - probability_of_abandonment``."""
        within, served = self._within(threshold)
        return min(1.0, within / served) if served > 0 else 0.0

    def _within(self, threshold: float) -> tuple[float, float]:
        t = _non_negative("threshold", threshold)
        c = _count("agents", self.agents, 1)
        rate = _non_negative("arrival_rate", self.arrival_rate)
        handle = _positive("handle_time", self.handle_time)
        patience = _patience(self.patience)
        chain = _chain(c, rate, handle, patience) if rate else None
        return _answered_within(chain, patience, t)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict, for JSON or a table."""
        return attrs.asdict(self)


def erlang_a(agents: int, arrival_rate: float, handle_time: float, patience: float) -> ErlangA:
    """The M/M/c+M queue: Erlang C where each waiting customer gives up after an
    exponentially distributed time with mean ``patience``.

    With ``mu = 1 / handle_time``, ``theta = 1 / patience``, ``a = arrival_rate *
    handle_time``, ``x = arrival_rate / theta`` and ``s = c mu / theta``, the
    stationary chain (Garnett, Mandelbaum and Reiman 2002; Mandelbaum and Zeltyn,
    "The M/M/n+G queue: summary of performance measures") gives::

        t_j = x^j / ((s+1)(s+2)...(s+j))       a customer finds j others queued
        T(x) = sum(t_j, j >= 0),  R = (1 - B(c, a)) / B(c, a),  D = R + T(x)
        P(wait)     = T(x) / D
        P(abandon)  = sum(j t_j) / (x D)                 (= theta E[queue] / lam)
        P(served)   = (R + (c/a) (T(x) - 1)) / D
        P(answered after waiting > t) = (c/a) e^(x - y - s theta t) (T(y) - 1) / D,
                                        y = x e^(-theta t)
        ASA         = (c/a) patience sum(t_j G_j, j >= 1) / (D P(served)),
                      G_j = sum(1 / (s + k), k = 1..j)

    ``T`` is the lower incomplete gamma function in disguise,
    ``T(x) = s e^x x^(-s) gamma(s, x)``; it is summed directly, its terms scaled by
    the largest and combined in logarithms, so there is no overflow whatever the
    load. Unlike Erlang C the queue is stable even when ``a >= agents``: the
    impatient leave. As ``patience`` grows the results tend to Erlang C's.

        >>> result = erlang_a(14, 100 / 1800, 180.0, patience=300.0)
        >>> round(result.probability_of_abandonment, 4), round(result.service_level(20), 4)
        (0.014, 0.9168)

    Cost: ``O(agents)`` for Erlang B, plus about ``sqrt(x)`` terms when the queue
    is overloaded (fewer when not) and, to place the largest term exactly, up to
    ``min(x - s, 100_000)`` logarithms. Accuracy: the probabilities and waits to
    about 1e-10 relative, service levels to about 1e-12 absolute; beyond a
    queue of 100,000 (``x - s``) ``lgamma`` places the largest term, and its
    rounding costs about ``1e-16 x log(x)`` relative.

    Raises :class:`~omniroute.StaffingError` unless ``agents`` is an int >= 1,
    ``arrival_rate`` >= 0 and ``handle_time`` and ``patience`` > 0, all finite.
    """
    c = _count("agents", agents, 1)
    rate = _non_negative("arrival_rate", arrival_rate)
    handle = _positive("handle_time", handle_time)
    wait_limit = _patience(patience)
    chain = _chain(c, rate, handle, wait_limit) if rate else None
    if chain is None:
        return ErlangA(
            agents=c,
            arrival_rate=rate,
            handle_time=handle,
            patience=wait_limit,
            probability_of_waiting=0.0,
            probability_of_abandonment=0.0,
            average_speed_of_answer=0.0,
            average_wait=0.0,
            occupancy=min(1.0, rate * handle / c),
        )
    sums = chain.sums
    waiting = min(1.0, math.exp(sums.log_scale + _log(sums.total) - chain.log_d))
    log_queue = sums.log_scale + _log(sums.moment) - chain.log_d  # E[queue length]
    abandonment = min(1.0, math.exp(log_queue - chain.log_x))
    served = _served(chain)
    log_waited = chain.log_c_over_a + math.log(wait_limit) + sums.log_scale + _log(sums.waited)
    answer = math.exp(log_waited - chain.log_d - math.log(served)) if served > 0 else math.inf
    return ErlangA(
        agents=c,
        arrival_rate=rate,
        handle_time=handle,
        patience=wait_limit,
        probability_of_waiting=waiting,
        probability_of_abandonment=abandonment,
        average_speed_of_answer=answer,
        average_wait=math.exp(log_queue) / rate,
        occupancy=min(1.0, rate * handle * served / c),
    )


# --- required agents ----------------------------------------------------------------


def _too_many(what: str) -> StaffingError:
    return StaffingError(
        f"{what} needs more than MAX_SERVERS = {MAX_SERVERS:,} servers (agents * concurrency)"
    )


def _erlang_c_servers(
    load: float, handle: float, target: float, threshold: float, at_least: int
) -> int:
    """The fewest servers n >= at_least, n > load, with SL(n) >= target; O(n)."""
    n = max(at_least, math.floor(load) + 1)
    if n > MAX_SERVERS:
        raise _too_many(f"a load of {load:g} Erlangs")
    blocking = _erlang_b(n, load)
    while True:
        waiting = _waiting_from_blocking(n, load, blocking)
        if _level(n, load, waiting, handle, threshold) >= target:
            return n
        n += 1
        if n > MAX_SERVERS:
            raise _too_many(f"a service level of {target:g}")
        blocking = load * blocking / (n + load * blocking)


def _erlang_a_servers(
    rate: float,
    handle: float,
    patience: float,
    target: float,
    threshold: float,
    max_occupancy: float | None,
) -> int:
    """The fewest servers meeting both targets, by exponential then binary search.

    Both the service level and the occupancy of Erlang A are monotone in the number
    of servers, so the set of servers that meet the targets is an interval [n, inf).
    """

    def enough(n: int) -> bool:
        chain = _chain(n, rate, handle, patience)
        within, served = _answered_within(chain, patience, threshold)
        if within < target:
            return False
        return max_occupancy is None or min(1.0, rate * handle * served / n) <= max_occupancy

    guess = min(MAX_SERVERS, max(1, round(rate * handle)))
    if enough(guess):
        low, high, step = guess - 1, guess, 1
        while low > 0 and enough(low):
            high, low, step = low, max(0, low - 2 * step), 2 * step
    else:
        low, high, step = guess, guess + 1, 1
        while not (high <= MAX_SERVERS and enough(high)):
            if high >= MAX_SERVERS:
                raise _too_many(f"a service level of {target:g}")
            low, high, step = high, min(MAX_SERVERS, high + 2 * step), 2 * step
    # enough(high) holds; enough(low) fails (low == 0: no servers serve nobody).
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle
    return high


def required_agents(
    arrival_rate: float,
    handle_time: float,
    target_service_level: float,
    threshold: float,
    *,
    patience: float | None = None,
    concurrency: int = 1,
    max_occupancy: float | None = None,
) -> int:
    """The fewest agents that answer ``target_service_level`` of arrivals within
    ``threshold``, and keep occupancy at most ``max_occupancy`` if given.

    Without ``patience`` the queue is Erlang C (:func:`service_level`,
    :func:`occupancy`); with it, Erlang A (:meth:`ErlangA.service_level`, the share
    of *all* arrivals answered within the threshold, abandoned ones included, and
    :attr:`ErlangA.occupancy`). Erlang C's search starts at ``floor(load) + 1`` and
    steps up, ``O(agents)`` in all; Erlang A's is an exponential then binary search
    around the load.

    **Chat (``concurrency`` > 1).** An operator who holds ``k`` conversations at
    once is modelled as ``k`` independent servers ("slots"): the servers needed
    are found as above with ``handle_time`` per conversation, and the agents are
    ``ceil(servers / k)``. This is the usual approximation and it has limits:

    - Pass the handle time *observed at that concurrency*: a conversation takes
      longer when its operator is juggling others, and the model does not know.
    - The slots of one operator are not independent: they go on break, log off
      and fall ill together, and an operator with one demanding chat may not
      really have ``k - 1`` free slots.
    - At low volumes (a few operators) pooling slots overstates the gain, so the
      answer is optimistic; add a margin, and never go below the staff you need to
      be open at all.

    A target of 1 is refused: with a finite threshold no finite number of agents
    answers everyone in time. With ``arrival_rate == 0`` nobody needs answering
    and the result is 0.

        >>> required_agents(100 / 1800, 180.0, 0.8, 20)
        14
        >>> required_agents(100 / 1800, 180.0, 0.8, 20, max_occupancy=0.7)
        15
        >>> required_agents(100 / 1800, 180.0, 0.8, 20, concurrency=3)
        5

    Raises :class:`~omniroute.StaffingError` unless ``arrival_rate`` >= 0,
    ``handle_time`` > 0, 0 < ``target_service_level`` < 1, ``threshold`` >= 0,
    ``patience`` > 0 (or None), ``concurrency`` an int >= 1 and 0 <
    ``max_occupancy`` <= 1 (or None), all finite; and when more than
    :data:`MAX_SERVERS` servers would be needed.
    """
    rate = _non_negative("arrival_rate", arrival_rate)
    handle = _positive("handle_time", handle_time)
    target = _real("target_service_level", target_service_level)
    if not 0 < target < 1:
        raise StaffingError(
            f"target_service_level must be > 0 and < 1, got {target_service_level!r}"
        )
    t = _non_negative("threshold", threshold)
    wait_limit = None if patience is None else _patience(patience)
    per_agent = _count("concurrency", concurrency, 1)
    cap = None
    if max_occupancy is not None:
        cap = _real("max_occupancy", max_occupancy)
        if not 0 < cap <= 1:
            raise StaffingError(f"max_occupancy must be > 0 and <= 1, got {max_occupancy!r}")
    if rate == 0:
        return 0
    load = rate * handle
    if wait_limit is None:
        at_least = 1
        if cap is not None:
            if load / cap > MAX_SERVERS:
                raise _too_many(f"an occupancy of {cap:g}")
            at_least = max(1, math.ceil(load / cap))
            while load / at_least > cap:
                at_least += 1
            while at_least > 1 and load / (at_least - 1) <= cap:
                at_least -= 1
        servers = _erlang_c_servers(load, handle, target, t, at_least)
    else:
        servers = _erlang_a_servers(rate, handle, wait_limit, target, t, cap)
    return -(-servers // per_agent)
