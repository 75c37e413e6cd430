"""Staffing: Erlang B, C and A against published values, against independent
implementations written here (exact rational arithmetic for B and C, the truncated
birth-death chain and a simulation for A), and with bad input."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from fractions import Fraction
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omniroute import OmnirouteError, StaffingError
from omniroute.staffing import (
    MAX_SERVERS,
    ErlangA,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    service_level,
)

AGENTS = (1, 2, 5, 10, 50, 100, 200, 350, 500)
OCCUPANCIES = ("0.1", "0.5", "0.8", "0.9", "0.95", "0.98")


def close(expected: float, actual: float, digits: int = 4, tiny: float = 1e-300) -> bool:
    """``actual`` agrees with ``expected`` to ``digits`` significant digits, or both
    are within ``tiny`` of each other."""
    return math.isclose(actual, expected, rel_tol=0.5 * 10 ** (1 - digits), abs_tol=tiny)


# --- an independent Erlang B and C: exact sums of a^k / k! in integers ----------------


@cache
def exact_erlang(agents: int, load: Fraction) -> tuple[Fraction, Fraction]:
    """(B, C) from the textbook sums, exactly. With a = p/q every a^k/k! times
    q^c c! is the integer p^k q^(c-k) c!/k!."""
    p, q = load.numerator, load.denominator
    terms = [q**agents * math.factorial(agents)]
    for k in range(1, agents + 1):
        terms.append(terms[-1] * p // (q * k))
    below = sum(terms[:-1])
    blocking = Fraction(terms[-1], below + terms[-1])
    if load >= agents:
        return blocking, Fraction(1)
    # C = (a^c/c! * c/(c-a)) / (sum(a^k/k!, k < c) + a^c/c! * c/(c-a)), c/(c-a) = cq/(cq-p)
    top = terms[-1] * agents * q
    waiting = Fraction(top, below * (agents * q - p) + top)
    return blocking, waiting


def case_load(agents: int, share: str) -> Fraction:
    return Fraction(share) * agents


class TestPublishedValues:
    def test_erlang_b_table_values(self) -> None:
        """Erlang B tables (e.g. Iversen, *Teletraffic Engineering and Network
        Planning*, DTU 2015, and every traffic-table appendix): B(1, 1) = 0.5,
        B(2, 1) = 0.2, B(5, 2) = 0.03670, B(10, 5) = 0.01838."""
        assert erlang_b(1, 1.0) == 0.5
        assert close(0.2, erlang_b(2, 1.0), digits=12)
        assert close(0.03670, erlang_b(5, 2.0))
        assert close(0.01838, erlang_b(10, 5.0))

    @pytest.mark.parametrize(
        ("trunks", "erlangs"), [(10, "4.461"), (20, "12.03"), (50, "37.90"), (100, "84.06")]
    )
    def test_erlang_b_one_percent_column(self, trunks: int, erlangs: str) -> None:
        """The 1 % grade-of-service column of the standard Erlang B table: 10 trunks
        carry 4.461 E, 20 carry 12.03 E, 50 carry 37.90 E, 100 carry 84.06 E. The
        load at which B = 1 %, found by bisection, rounds to the table's figure."""
        low, high = 0.0, float(trunks)
        for _ in range(100):
            middle = (low + high) / 2
            low, high = (middle, high) if erlang_b(trunks, middle) < 0.01 else (low, middle)
        decimals = len(erlangs.split(".")[1])
        assert f"{low:.{decimals}f}" == erlangs

    def test_queueing_textbook_closed_forms(self) -> None:
        """M/M/1: P(wait) = rho and Wq = rho h / (1 - rho); M/M/2: P(wait) =
        2 rho^2 / (1 + rho) (Gross and Harris, *Fundamentals of Queueing Theory*)."""
        for rho in (0.1, 0.5, 0.9, 0.98):
            assert close(rho, erlang_c(1, rho), digits=12)
            assert close(rho * 60 / (1 - rho), average_speed_of_answer(1, rho / 60, 60.0), 12)
            assert close(2 * rho**2 / (1 + rho), erlang_c(2, 2 * rho), digits=12)

    def test_call_centre_helper_worked_example(self) -> None:
        """Call Centre Helper's worked Erlang C example ("Erlang C Formula - Made Simple
        With an Easy Worked Example", callcentrehelper.com): 100 calls per 30 minutes,
        3-minute handle time (10 Erlangs), 80 % answered within 20 s. The tests of
        pyworkforce (rodrigo-arenas/pyworkforce, queuing/tests/test_erlang.py) take
        this example, with the answer time as 0.33 min, and assert 14 agents,
        P(wait) 0.174, occupancy 0.714, SL 0.888; with max occupancy 0.7, 15 agents,
        SL 0.941, P(wait) 0.102."""
        rate, handle = 100 / 1800, 180.0
        assert required_agents(rate, handle, 0.8, 20) == 14
        assert round(erlang_c(14, rate * handle), 3) == 0.174
        assert round(occupancy(14, rate, handle), 3) == 0.714
        assert round(service_level(14, rate, handle, 19.8), 3) == 0.888
        assert required_agents(rate, handle, 0.8, 20, max_occupancy=0.7) == 15
        assert round(service_level(15, rate, handle, 19.8), 3) == 0.941
        assert round(erlang_c(15, rate * handle), 3) == 0.102

    def test_erlang_a_matches_pyworkforce(self) -> None:
        """pyworkforce's Erlang A regression values (queuing/tests/test_abandonment.py)
        for the same example with 5-minute patience and 14 agents: P(wait) 0.14526,
        P(abandon) 0.013984, occupancy 0.704297, SL(20 s) 0.916792 over all arrivals,
        and "ASA" 0.069919 min, which is its mean queue length over the arrival
        rate: our ``average_wait``. (A second implementation, not a textbook.)"""
        result = erlang_a(14, 100 / 1800, 180.0, patience=300.0)
        assert round(result.probability_of_waiting, 5) == 0.14526
        assert round(result.probability_of_abandonment, 6) == 0.013984
        assert round(result.occupancy, 6) == 0.704297
        assert round(result.service_level(20), 6) == 0.916792
        assert round(result.average_wait / 60, 6) == 0.069919


class TestAgainstExactArithmetic:
    @pytest.mark.parametrize("agents", AGENTS)
    @pytest.mark.parametrize("share", OCCUPANCIES)
    def test_erlang_b_and_c(self, agents: int, share: str) -> None:
        """Every case of 1 to 500 agents at occupancy 0.1 to 0.98 agrees with the exact
        sums to 4 significant digits (in fact to 1e-9)."""
        load = case_load(agents, share)
        blocking, waiting = exact_erlang(agents, load)
        assert close(float(blocking), erlang_b(agents, float(load)), digits=10)
        assert close(float(waiting), erlang_c(agents, float(load)), digits=10)

    @pytest.mark.parametrize("agents", AGENTS)
    @pytest.mark.parametrize("share", OCCUPANCIES)
    def test_speed_of_answer_and_service_level(self, agents: int, share: str) -> None:
        """ASA and SL from the exact probability of waiting, handle time 300 s."""
        load = case_load(agents, share)
        waiting = float(exact_erlang(agents, load)[1])
        rate, handle = float(load) / 300, 300.0
        spare = agents - float(load)
        assert close(waiting * handle / spare, average_speed_of_answer(agents, rate, handle))
        for t in (0.0, 20.0, 300.0):
            expected = 1 - waiting * math.exp(-spare * t / handle)
            assert close(expected, service_level(agents, rate, handle, t))


def chain_service_level(agents: int, load: float, handle: float, threshold: float) -> float:
    """P(W <= t) of M/M/c summed over the states an arrival can find: with j ahead in
    the queue it waits for j + 1 departures at rate c/h, a gamma (Erlang)
    distribution whose tail is a Poisson sum."""
    waiting = exact_erlang(agents, Fraction(load).limit_denominator(10**6))[1]
    rho, rate = load / agents, agents / handle
    late, state, j = 0.0, float(waiting) * (1 - rho), 0  # P(find c + j) = C (1 - rho) rho^j
    poisson, cumulative = math.exp(-rate * threshold), 0.0
    while state > 1e-18:
        cumulative += poisson
        late += state * cumulative  # P(Gamma(j + 1, rate) > t) = P(Poisson(rate t) <= j)
        j += 1
        poisson *= rate * threshold / j
        state *= rho
    return 1 - late


@pytest.mark.parametrize(("agents", "load"), [(1, 0.5), (3, 2.7), (10, 8.0), (25, 24.5)])
def test_erlang_c_service_level_from_the_chain(agents: int, load: float) -> None:
    """The closed form 1 - C e^(-(c-a)t/h) equals the sum over queue states."""
    for t in (0.0, 10.0, 60.0, 600.0):
        expected = chain_service_level(agents, load, 120.0, t)
        assert close(expected, service_level(agents, load / 120, 120.0, t), digits=8)


# --- an independent Erlang A: the truncated birth-death chain -------------------------


def chain_a(
    agents: int, rate: float, handle: float, patience: float, threshold: float
) -> dict[str, float]:
    """The M/M/c+M measures by brute force over states n = 0..N.

    Births at ``rate``, deaths at min(n, c)/handle + max(n - c, 0)/patience; the
    stationary weights are normalised in logarithms. An arrival finding j queued
    is answered with probability s / (s + j + 1) (s = c patience / handle) after
    j + 1 stages of rates (s + 1)/patience ... (s + j + 1)/patience, each its own
    abandonment included; the chance that this sum is <= t is the incomplete beta
    I_p(j + 1, s + 1), p = 1 - e^(-t/patience), written as a negative binomial sum.
    """
    mu, theta = 1 / handle, 1 / patience
    logs = [0.0]
    n = 0
    mode = agents + max(0.0, (rate - agents * mu) / theta)
    while n <= mode or logs[-1] > max(logs) - 60:
        n += 1
        logs.append(logs[-1] + math.log(rate / (min(n, agents) * mu + max(n - agents, 0) * theta)))
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = math.fsum(weights)
    pi = [w / total for w in weights]
    s = agents * patience / handle
    p = -math.expm1(-theta * threshold)
    no_wait = math.fsum(pi[:agents])
    served = within = waited = 0.0
    term, partial, harmonic = 1.0, 0.0, 0.0  # negative binomial terms (s+1)_k p^k / k!
    for j, weight in enumerate(pi[agents:]):
        partial += term
        term *= (s + 1 + j) * p / (j + 1)
        answered = s / (s + j + 1)
        harmonic += 1 / (s + j + 1)
        served += weight * answered
        below = 1 - math.exp(-(s + 1) * theta * threshold) * partial  # I_p(j+1, s+1)
        within += weight * answered * max(0.0, below)
        waited += weight * answered * harmonic / theta
    return {
        "waiting": 1 - no_wait,
        "abandonment": theta * sum((k - agents) * w for k, w in enumerate(pi) if k > agents) / rate,
        "served": no_wait + served,
        "within": no_wait + within,
        "asa": waited / (no_wait + served),
    }


ERLANG_A_CASES = [
    # agents, load, handle, patience
    (1, 0.5, 60.0, 30.0),
    (3, 2.4, 120.0, 600.0),
    (5, 4.5, 100.0, 120.0),
    (5, 8.0, 100.0, 60.0),
    (10, 10.0, 180.0, 180.0),
    (20, 15.0, 300.0, 30.0),
    (20, 40.0, 300.0, 900.0),
    (50, 49.0, 200.0, 2000.0),
]


@pytest.mark.parametrize(("agents", "load", "handle", "patience"), ERLANG_A_CASES)
def test_erlang_a_against_the_chain(
    agents: int, load: float, handle: float, patience: float
) -> None:
    """P(wait), P(abandon), ASA and SL (all arrivals and answered ones) agree with
    brute force to 8 significant digits, under- and overloaded; service levels of
    1e-9 (heavy overload) agree to 1e-13, both sides losing digits to cancellation."""
    rate = load / handle
    result = erlang_a(agents, rate, handle, patience)
    for t in (0.0, 5.0, 20.0, 120.0):
        expected = chain_a(agents, rate, handle, patience, t)
        assert close(expected["waiting"], result.probability_of_waiting, digits=8)
        assert close(expected["abandonment"], result.probability_of_abandonment, digits=8)
        assert close(expected["asa"], result.average_speed_of_answer, digits=8)
        assert close(expected["within"], result.service_level(t), 8, tiny=1e-13)
        answered = expected["within"] / expected["served"]
        assert close(answered, result.answered_service_level(t), 8, tiny=1e-13)
    assert close(1 - result.probability_of_abandonment, expected["served"], digits=8)
    assert close(rate * handle * expected["served"] / agents, result.occupancy, digits=8)


def simulate(
    agents: int, rate: float, handle: float, patience: float, customers: int, seed: int
) -> tuple[float, float, float]:
    """A first-come-first-served queue with exponential patience, one customer at a
    time: each takes the agent that frees first, if it frees before they give up.
    Returns (P(abandon), P(answered within 20 s), P(wait))."""
    rng = random.Random(seed)
    free = [0.0] * agents
    now = 0.0
    abandoned = quick = waited = 0
    for _ in range(customers):
        now += rng.expovariate(rate)
        start = max(now, free[0])
        if start > now:
            waited += 1
            if start - now > rng.expovariate(1 / patience):
                abandoned += 1
                continue
        quick += start - now <= 20
        heapq.heapreplace(free, start + rng.expovariate(1 / handle))
    return abandoned / customers, quick / customers, waited / customers


def test_erlang_a_against_a_simulation() -> None:
    """A seeded simulation of 200,000 customers, 5 agents at 90 % load, patience
    two minutes, lands within 0.01 of the formulas."""
    rate, handle, patience = 0.045, 100.0, 120.0
    abandoned, quick, waited = simulate(5, rate, handle, patience, 200_000, seed=7)
    result = erlang_a(5, rate, handle, patience)
    assert abs(abandoned - result.probability_of_abandonment) < 0.01
    assert abs(quick - result.service_level(20)) < 0.01
    assert abs(waited - result.probability_of_waiting) < 0.01


class TestErlangALimits:
    @pytest.mark.parametrize(("agents", "load"), [(1, 0.5), (14, 10.0), (100, 95.0)])
    def test_infinite_patience_is_erlang_c(self, agents: int, load: float) -> None:
        """With patience a million handle times Erlang A is Erlang C."""
        handle = 180.0
        rate = load / handle
        result = erlang_a(agents, rate, handle, patience=1e6 * handle)
        assert close(erlang_c(agents, load), result.probability_of_waiting, digits=4)
        asa = average_speed_of_answer(agents, rate, handle)
        assert close(asa, result.average_speed_of_answer, digits=4)
        for t in (0.0, 20.0, 60.0):
            assert close(service_level(agents, rate, handle, t), result.service_level(t), 4)
        assert result.probability_of_abandonment < 1e-4

    def test_no_patience_is_erlang_b(self) -> None:
        """Customers who leave at once: whoever waits abandons, and the share who
        wait is Erlang B's blocking."""
        result = erlang_a(10, 8 / 180, 180.0, patience=1e-6)
        assert close(erlang_b(10, 8.0), result.probability_of_waiting, digits=4)
        assert close(result.probability_of_waiting, result.probability_of_abandonment, 4)
        assert close(1 - result.probability_of_waiting, result.service_level(20), digits=4)

    def test_overloaded_erlang_a_is_stable(self) -> None:
        """At three times the capacity almost all wait, and two thirds abandon: the
        excess, 1 - c/a."""
        result = erlang_a(100, 300 / 180, 180.0, patience=600.0)
        assert result.probability_of_waiting > 0.999
        assert close(2 / 3, result.probability_of_abandonment, digits=3)
        assert result.occupancy > 0.999
        assert 0 <= result.service_level(20) < 1e-6

    def test_service_level_tends_to_the_answered_share(self) -> None:
        result = erlang_a(5, 0.045, 100.0, 120.0)
        assert result.service_level(0) == pytest.approx(1 - result.probability_of_waiting)
        long_wait = result.service_level(1e5)
        assert long_wait == pytest.approx(1 - result.probability_of_abandonment, rel=1e-12)
        assert result.answered_service_level(1e5) == pytest.approx(1.0)

    def test_no_traffic(self) -> None:
        result = erlang_a(3, 0.0, 60.0, 30.0)
        assert result.probability_of_waiting == result.probability_of_abandonment == 0.0
        assert result.service_level(0) == result.answered_service_level(0) == 1.0
        assert result.occupancy == 0.0

    def test_as_dict(self) -> None:
        result = erlang_a(2, 0.01, 60.0, 30.0)
        data = result.as_dict()
        assert ErlangA(**data) == result
        assert set(data) >= {"probability_of_abandonment", "average_wait", "occupancy"}


class TestNoOverflow:
    @pytest.mark.parametrize("share", [*OCCUPANCIES, "0.999", "1", "1.5", "10"])
    def test_erlang_b_c_sweep(self, share: str) -> None:
        """1 to 500 agents at every occupancy: finite, and probabilities in [0, 1]."""
        for agents in range(1, 501, 3):
            load = float(Fraction(share) * agents)
            rate, handle = load / 60, 60.0
            for value in (
                erlang_b(agents, load),
                erlang_c(agents, load),
                service_level(agents, rate, handle, 20.0),
                occupancy(agents, rate, handle),
            ):
                assert 0.0 <= value <= 1.0
            asa = average_speed_of_answer(agents, rate, handle)
            assert asa >= 0
            assert math.isfinite(asa) or load >= agents

    def test_erlang_a_sweep(self) -> None:
        """Erlang A up to 1000 agents, under- and overloaded, short and long patience."""
        for agents in (1, 7, 60, 250, 1000):
            for share in (0.1, 0.9, 0.98, 1.0, 1.2, 3.0):
                for patience in (1.0, 60.0, 3600.0):
                    result = erlang_a(agents, share * agents / 60, 60.0, patience)
                    for value in (
                        result.probability_of_waiting,
                        result.probability_of_abandonment,
                        result.occupancy,
                        result.service_level(20.0),
                        result.answered_service_level(20.0),
                    ):
                        assert 0.0 <= value <= 1.0
                    assert result.average_speed_of_answer >= 0
                    assert math.isfinite(result.average_wait)

    @pytest.mark.parametrize(
        ("threshold", "patience"), [(1.0, 1e-300), (1e300, 1e-10), (20.0, 1e-3), (20.0, 2e-3)]
    )
    def test_patience_that_is_nothing_beside_the_threshold(
        self, threshold: float, patience: float
    ) -> None:
        """threshold / patience past 1e4, even overflowing to inf: whoever waits that
        long has abandoned, so all answered from the queue are answered in time (the
        walk over NaN terms used to never end)."""
        result = erlang_a(71, 500 / 3600, 1000.0, patience)
        within = result.service_level(threshold)
        assert math.isfinite(within)
        assert math.isclose(within, 1 - result.probability_of_abandonment, rel_tol=1e-6)
        assert required_agents(500 / 3600, 1000.0, 0.5, threshold, patience=patience) == 71

    def test_a_subnormal_patience_is_refused(self) -> None:
        with pytest.raises(StaffingError, match=r"patience must be at least 2\.22507e-308 s"):
            erlang_a(71, 500 / 3600, 1000.0, 5e-324)
        with pytest.raises(StaffingError, match="patience must be at least"):
            required_agents(500 / 3600, 1000.0, 0.5, 1.0, patience=5e-324)

    def test_large_loads(self) -> None:
        assert 0 < erlang_c(100_000, 99_000.0) < 1
        assert 0 <= erlang_b(10**6, 5.0) < 1e-300
        result = erlang_a(1000, 100.0, 30.0, patience=1e5)  # 1e7 arrivals per patience
        assert math.isclose(result.probability_of_abandonment, 1 - 1000 / 3000, rel_tol=1e-4)


@given(
    agents=st.integers(1, 300),
    share=st.floats(0.01, 0.995),
    handle=st.floats(1.0, 3600.0),
    threshold=st.floats(0.0, 600.0),
)
@settings(max_examples=200)
def test_erlang_c_monotone_in_agents(
    agents: int, share: float, handle: float, threshold: float
) -> None:
    """One more agent never makes waiting likelier or the service level lower."""
    load = share * agents
    rate = load / handle
    assert erlang_c(agents + 1, load) <= erlang_c(agents, load)
    level = service_level(agents, rate, handle, threshold)
    assert service_level(agents + 1, rate, handle, threshold) >= level
    assert average_speed_of_answer(agents + 1, rate, handle) <= average_speed_of_answer(
        agents, rate, handle
    )


class TestRequiredAgents:
    @pytest.mark.parametrize(
        ("calls_per_hour", "handle", "target", "threshold"),
        [(200, 180.0, 0.8, 20), (30, 300.0, 0.9, 30), (3600, 240.0, 0.8, 20), (5, 600.0, 0.95, 60)],
    )
    def test_smallest_number_meeting_the_target(
        self, calls_per_hour: int, handle: float, target: float, threshold: float
    ) -> None:
        """The answer meets the target by the exact Erlang C, one fewer does not."""
        rate = calls_per_hour / 3600
        agents = required_agents(rate, handle, target, threshold)
        load = Fraction(calls_per_hour, 3600) * Fraction(handle)

        def exact_level(n: int) -> float:
            if n <= load:
                return 0.0
            waiting = float(exact_erlang(n, load)[1])
            return 1 - waiting * math.exp(-(n - float(load)) * threshold / handle)

        assert exact_level(agents) >= target > exact_level(agents - 1)

    def test_monotone_in_target_and_threshold(self) -> None:
        rate, handle = 0.1, 240.0
        by_target = [required_agents(rate, handle, t, 20) for t in (0.5, 0.7, 0.8, 0.9, 0.99)]
        assert by_target == sorted(by_target)
        by_threshold = [required_agents(rate, handle, 0.8, t) for t in (0, 10, 20, 60, 600)]
        assert by_threshold == sorted(by_threshold, reverse=True)

    def test_max_occupancy(self) -> None:
        """An e-mail queue answered within a day needs few agents for its service
        level; a cap on occupancy is what sets the number."""
        rate, handle = 200 / 3600, 600.0  # 33.3 Erlangs
        free = required_agents(rate, handle, 0.9, 86_400)
        assert free == 34
        capped = required_agents(rate, handle, 0.9, 86_400, max_occupancy=0.85)
        assert occupancy(capped, rate, handle) <= 0.85 < occupancy(capped - 1, rate, handle)
        assert required_agents(rate, handle, 0.9, 86_400, max_occupancy=1) == free

    @pytest.mark.parametrize("concurrency", [1, 2, 3, 4, 7])
    def test_concurrency_divides_the_servers(self, concurrency: int) -> None:
        """Chat: ``concurrency`` slots per agent, agents = ceil(slots / concurrency)."""
        rate, handle = 0.2, 420.0
        slots = required_agents(rate, handle, 0.8, 60)
        agents = required_agents(rate, handle, 0.8, 60, concurrency=concurrency)
        assert agents == -(-slots // concurrency)
        slots = required_agents(rate, handle, 0.8, 60, patience=300.0)
        agents = required_agents(rate, handle, 0.8, 60, patience=300.0, concurrency=concurrency)
        assert agents == -(-slots // concurrency)

    def test_erlang_a_search_is_minimal(self) -> None:
        rate, handle, patience = 0.5, 300.0, 120.0
        for target, threshold in ((0.8, 20), (0.6, 0), (0.9, 60)):
            agents = required_agents(rate, handle, target, threshold, patience=patience)
            assert erlang_a(agents, rate, handle, patience).service_level(threshold) >= target
            fewer = erlang_a(agents - 1, rate, handle, patience)
            assert fewer.service_level(threshold) < target
        capped = required_agents(rate, handle, 0.5, 20, patience=patience, max_occupancy=0.8)
        assert erlang_a(capped, rate, handle, patience).occupancy <= 0.8
        assert erlang_a(capped - 1, rate, handle, patience).occupancy > 0.8

    def test_erlang_a_against_erlang_c(self) -> None:
        """Abandonment shortens the queue, so at threshold 0 Erlang A never needs more
        agents than Erlang C, and for a typical 80/20 target it needs fewer. But
        customers who abandon count against the service level: with a long
        threshold and impatient customers Erlang A needs more."""
        rate, handle = 0.5, 300.0
        for patience in (10.0, 60.0, 600.0):
            assert required_agents(rate, handle, 0.8, 0, patience=patience) <= required_agents(
                rate, handle, 0.8, 0
            )
        assert required_agents(rate, handle, 0.8, 20, patience=180.0) < required_agents(
            rate, handle, 0.8, 20
        )
        rate = 0.05
        assert required_agents(rate, handle, 0.99, 600, patience=10.0) > required_agents(
            rate, handle, 0.99, 600
        )

    def test_no_traffic_needs_nobody(self) -> None:
        assert required_agents(0.0, 180.0, 0.8, 20) == 0
        assert required_agents(0, 180.0, 0.8, 20, patience=60.0) == 0

    def test_too_many(self) -> None:
        with pytest.raises(StaffingError, match="MAX_SERVERS"):
            required_agents(MAX_SERVERS / 10, 10.0, 0.8, 20)
        with pytest.raises(StaffingError, match="MAX_SERVERS"):
            required_agents(1.0, 10.0, 0.8, 20, max_occupancy=1e-6)


BAD_CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("agents < 0", lambda: erlang_b(-1, 1.0), "agents must be >= 0, got -1"),
    ("agents float", lambda: erlang_c(2.0, 1.0), "agents must be an int, got 2.0"),  # type: ignore[arg-type]
    ("agents bool", lambda: erlang_b(True, 1.0), "agents must be an int, got True"),
    ("load < 0", lambda: erlang_b(1, -0.5), "load must be >= 0, got -0.5"),
    ("load nan", lambda: erlang_c(1, math.nan), "load must be finite, got nan"),
    ("load text", lambda: erlang_c(1, "1"), "load must be a number, got '1'"),  # type: ignore[arg-type]
    ("rate < 0", lambda: service_level(1, -1, 1, 1), "arrival_rate must be >= 0, got -1"),
    ("rate inf", lambda: occupancy(1, math.inf, 1), "arrival_rate must be finite, got inf"),
    ("huge int", lambda: occupancy(1, 10**400, 1), "arrival_rate must be finite"),
    ("handle 0", lambda: average_speed_of_answer(1, 1, 0), "handle_time must be > 0, got 0"),
    ("threshold < 0", lambda: service_level(1, 0.1, 1, -1), "threshold must be >= 0, got -1"),
    ("occupancy 0 agents", lambda: occupancy(0, 1, 1), "agents must be >= 1, got 0"),
    ("erlang_a 0 agents", lambda: erlang_a(0, 1, 1, 1), "agents must be >= 1, got 0"),
    ("patience 0", lambda: erlang_a(1, 1, 1, 0), "patience must be > 0, got 0"),
    ("patience -inf", lambda: erlang_a(1, 1, 1, -math.inf), "patience must be finite"),
    ("sl threshold", lambda: erlang_a(1, 1, 1, 1).service_level(-2), "threshold must be >= 0"),
    ("target 1", lambda: required_agents(1, 1, 1.0, 1), "target_service_level must be > 0"),
    ("target 0", lambda: required_agents(1, 1, 0, 1), "and < 1, got 0"),
    ("target nan", lambda: required_agents(1, 1, math.nan, 1), "target_service_level must be"),
    ("rate nan", lambda: required_agents(math.nan, 1, 0.8, 1), "arrival_rate must be finite"),
    ("handle < 0", lambda: required_agents(1, -1, 0.8, 1), "handle_time must be > 0, got -1"),
    ("threshold inf", lambda: required_agents(1, 1, 0.8, math.inf), "threshold must be finite"),
    ("patience < 0", lambda: required_agents(1, 1, 0.8, 1, patience=-1), "patience must be > 0"),
    ("concurrency 0", lambda: required_agents(1, 1, 0.8, 1, concurrency=0), "concurrency must"),
    (
        "concurrency float",
        lambda: required_agents(1, 1, 0.8, 1, concurrency=2.5),  # type: ignore[arg-type]
        "concurrency must be an int, got 2.5",
    ),
    ("occupancy 0", lambda: required_agents(1, 1, 0.8, 1, max_occupancy=0), "max_occupancy"),
    ("occupancy > 1", lambda: required_agents(1, 1, 0.8, 1, max_occupancy=1.2), "got 1.2"),
]


@pytest.mark.parametrize(("what", "call", "message"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_input_names_the_argument(what: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(StaffingError) as raised:
        call()
    assert message in str(raised.value)
    assert isinstance(raised.value, OmnirouteError)
    assert isinstance(raised.value, ValueError)
