"""The simulator against queueing theory: M/M/c runs reproduce Erlang C's
probability of waiting and average speed of answer, M/M/c+M runs Erlang A's
abandonment, and the Router's wait estimates are measured against the waits that
followed.

Each case is ``REPLICATIONS`` seeded runs with a warm-up; the theoretical value must
lie within the 95 % confidence interval of the replication means, and the interval
must be narrow (``TIGHT``), so a case cannot pass by being vague. The runs are
deterministic. With some twenty intervals checked, a change to the random streams
has a fair chance of leaving one theoretical value just outside its interval (the
one-in-twenty of a 95 % interval; near saturation the per-run waits are skewed, and
the mean of ten runs falls short more often than it overshoots): before blaming
chance, run that case with many more replications or much longer runs and see
whether the mean settles on the theory.

Times are multiples of the mean handle time ``HANDLE``; a case's cost is the number
of customers it simulates (the whole file is a few hundred thousand).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from omniroute.sim import Estimate, Results, Scenario, estimate, replicate
from omniroute.staffing import average_speed_of_answer, erlang_a, erlang_c

HANDLE = 100.0
"""Mean handle time in seconds; rates, warm-ups and patience scale with it."""
REPLICATIONS = 10
SEED = 2026

TIGHT = {"waiting": 0.20, "speed_of_answer": 0.30, "abandonment": 0.20}
"""The largest 95 % half-width allowed, as a share of the theoretical value. The
speed of answer is the noisiest figure near saturation: its half-width shrinks only
as one over the square root of the customers, and they are what the file pays for."""
OCCUPANCY = 0.02
"""How far, as a share, the simulated occupancy may be from the theory's."""


@dataclass(frozen=True)
class Queue:
    """One M/M/c (``patience`` None) or M/M/c+M model to simulate: ``agents`` with
    one conversation each, offered ``rho * agents`` Erlangs, about ``customers``
    arrivals counted per run after ``warmup`` handle times, exponential patience with
    a mean of ``patience`` handle times."""

    agents: int
    rho: float
    customers: int
    warmup: float
    patience: float | None = None

    @property
    def load(self) -> float:
        return self.rho * self.agents

    @property
    def rate(self) -> float:
        """Arrivals per second."""
        return self.load / HANDLE

    def __str__(self) -> str:
        impatient = "" if self.patience is None else f"-patience{self.patience:g}"
        return f"c{self.agents}-rho{self.rho:.2f}{impatient}"


# The warm-ups are two or more relaxation times of the queue, about
# HANDLE / (c * (1 - sqrt(rho))**2): near saturation a run that starts empty needs a
# long while to fill, and counting from the start would bias the waits down. The
# customers give the speed of answer a half-width of 15-30 %: at rho = 0.95 one run's
# mean wait is dominated by a few long excursions of the queue (its relative spread
# is about 50 / sqrt(customers)), so that case is half the file's cost.
ERLANG_C = (
    Queue(agents=5, rho=0.5, customers=4_000, warmup=20),
    Queue(agents=20, rho=0.8, customers=5_000, warmup=30),
    Queue(agents=50, rho=0.9, customers=14_000, warmup=40),
    Queue(agents=10, rho=0.95, customers=20_000, warmup=300),
)
ERLANG_A = (
    Queue(agents=10, rho=1.0, customers=2_000, warmup=20, patience=1.0),
    Queue(agents=30, rho=0.9, customers=6_000, warmup=20, patience=2.0),
    Queue(agents=20, rho=1.2, customers=2_000, warmup=20, patience=0.5),
)
BUSY, LIGHT = ERLANG_C[3:], ERLANG_C[:2]
"""Queues where most arrivals wait (rho = 0.95: 83 %) and where few do: the first
have the Router's wait estimates judged by their size (c50-rho0.90, with 36 %
waiting, lies between and is only measured)."""


def scenario(queue: Queue) -> Scenario:
    """The scenario of ``queue``: one voice queue served longest-idle-first, a service
    level threshold of 0 s (``answered_within`` counts the answered without waiting),
    no short abandons (Erlang A counts every abandon), and no drain, so the run
    stops at the end of the day, still in the steady state. The report interval is
    the warm-up, so the statistics start with the second interval."""
    warmup = queue.warmup * HANDLE
    arrivals: dict[str, Any] = {
        # The stream's name seeds its random numbers: each case draws its own.
        "name": str(queue),
        "channel": "voice",
        "group": "queue",
        "per_hour": queue.rate * 3600,
        "handle": {"kind": "exponential", "mean": HANDLE},
    }
    if queue.patience is not None:
        arrivals["patience"] = {"kind": "exponential", "mean": queue.patience * HANDLE}
    return Scenario.from_dict(
        {
            "scenario": {
                "name": str(queue),
                "duration": warmup + queue.customers / queue.rate,
                "warmup": warmup,
                "interval": warmup,
                "drain": False,
            },
            "metrics": {"thresholds": {"voice": 0}, "short_abandon": 0},
            "groups": [{"id": "queue", "strategy": "longest_idle"}],
            "operators": [
                {
                    "id": "agent",
                    "count": queue.agents,
                    "groups": ["queue"],
                    "capacity": {"total": 1},
                }
            ],
            "arrivals": [arrivals],
        }
    )


@functools.cache
def results(queue: Queue) -> Results:
    """The replications of ``queue``, simulated once for every test that reads them."""
    return replicate(scenario(queue), REPLICATIONS, SEED)


# -- the figures, per run, from ConversationStats.as_dict() -----------------------------


def waiting(overall: Mapping[str, Any]) -> float:
    """The share of arrivals that waited: all but those answered at once (an arrival
    answered at once is answered in the interval it came in, so the two counts
    cover the same customers)."""
    return 1.0 - float(overall["answered_within"] / overall["offered"])


def speed_of_answer(overall: Mapping[str, Any]) -> float:
    """The mean wait of the answered (Erlang C: of everybody, as all are answered)."""
    return float(overall["average_speed_of_answer"])


def abandonment(overall: Mapping[str, Any]) -> float:
    """The share of arrivals that left unanswered (short abandons are none here, but
    they are abandons all the same)."""
    return float((overall["abandoned"] + overall["short_abandoned"]) / overall["offered"])


FIGURES: dict[str, Callable[[Mapping[str, Any]], float]] = {
    "waiting": waiting,
    "speed_of_answer": speed_of_answer,
    "abandonment": abandonment,
}


def theory(queue: Queue) -> dict[str, float]:
    """Erlang C's figures for M/M/c, Erlang A's for M/M/c+M."""
    if queue.patience is None:
        return {
            "waiting": erlang_c(queue.agents, queue.load),
            "speed_of_answer": average_speed_of_answer(queue.agents, queue.rate, HANDLE),
            "occupancy": queue.rho,
        }
    model = erlang_a(queue.agents, queue.rate, HANDLE, queue.patience * HANDLE)
    return {
        "waiting": model.probability_of_waiting,
        "speed_of_answer": model.average_speed_of_answer,
        "abandonment": model.probability_of_abandonment,
        "occupancy": model.occupancy,
    }


def compare(queue: Queue, figure: str, values: Sequence[float]) -> tuple[float, Estimate, str]:
    """The theoretical ``figure`` of ``queue``, the 95 % interval of the runs'
    ``values``, and a line saying both (printed: ``pytest -s`` shows them all)."""
    expected = theory(queue)[figure]
    found = estimate(values)
    line = (
        f"{queue} {figure}: theory {expected:.5g}, simulated {found.mean:.5g}, "
        f"95% CI [{found.low:.5g}, {found.high:.5g}], "
        f"half-width {found.half_width():.4g} = {found.half_width() / expected:.1%} of theory"
    )
    print(line)
    assert found.n == REPLICATIONS, line
    return expected, found, line


def assert_reproduces(queue: Queue, figure: str, values: Sequence[float]) -> None:
    """The theoretical value lies within the 95 % interval, and the interval is
    ``TIGHT``."""
    expected, found, line = compare(queue, figure, values)
    assert found.contains(expected), line
    assert found.half_width() < TIGHT[figure] * expected, line


# -- Erlang C, Erlang A ------------------------------------------------------------------


@pytest.mark.parametrize("figure", ["waiting", "speed_of_answer"])
@pytest.mark.parametrize("queue", ERLANG_C, ids=str)
def test_mmc_reproduces_erlang_c(queue: Queue, figure: str) -> None:
    """M/M/c: the probability of waiting and the ASA are Erlang C's."""
    runs = results(queue).runs
    assert_reproduces(queue, figure, [FIGURES[figure](run.overall) for run in runs])


@pytest.mark.parametrize("figure", ["abandonment", "waiting", "speed_of_answer"])
@pytest.mark.parametrize("queue", ERLANG_A, ids=str)
def test_mmc_with_patience_reproduces_erlang_a(queue: Queue, figure: str) -> None:
    """M/M/c+M: the abandonment, the probability of waiting and the mean wait of
    the answered are Erlang A's, overloaded (rho > 1) too."""
    runs = results(queue).runs
    assert_reproduces(queue, figure, [FIGURES[figure](run.overall) for run in runs])


@pytest.mark.parametrize("queue", ERLANG_C + ERLANG_A, ids=str)
def test_occupancy_is_the_served_load(queue: Queue) -> None:
    """The agents are busy for the share of their time the served work needs: rho
    for M/M/c, less the abandoned work for M/M/c+M (within 2 %; the interval is
    not asked to hold it, as the run-to-run spread of the realised load is of that
    size in the smaller cases). A sanity check of the simulated clock and of the
    operators' figures behind everything else."""
    runs = results(queue).runs
    expected, found, line = compare(
        queue, "occupancy", [run.operators["occupancy"] for run in runs]
    )
    assert abs(found.mean - expected) <= OCCUPANCY * expected, line


# -- wait estimates ----------------------------------------------------------------------


def describe(figures: Mapping[str, Mapping[str, float]]) -> str:
    """Summarised figures as ``name mean [low, high]``, for messages and reports."""
    return ", ".join(
        f"{name} {fig['mean']:.4g} [{fig['low']:.4g}, {fig['high']:.4g}]"
        for name, fig in figures.items()
    )


@pytest.mark.parametrize("queue", ERLANG_C, ids=str)
def test_wait_estimates_are_paired_with_the_waits_that_followed(queue: Queue) -> None:
    """Every arrival that queued and was then answered has the Router's first
    estimate paired with its realised wait (``Run.estimates``), and the error
    figures agree with one another and with the realised waits themselves."""
    for run in results(queue).runs:
        errors = run.estimates
        # An arrival queues exactly when it cannot be answered at once, so the
        # queued are those with a wait above zero (the warm-up included, as in both).
        queued = [wait for wait in run.waits if wait > 0]
        assert errors["count"] == len(queued) > 0
        assert math.isclose(errors["mean_realised"], math.fsum(queued) / len(queued))
        assert math.isclose(errors["bias"], errors["mean_estimate"] - errors["mean_realised"])
        assert errors["mean_absolute_error"] >= abs(errors["bias"])
        assert errors["rmse"] >= errors["mean_absolute_error"]
        assert 0 <= errors["within"] <= 1
    summary = results(queue).summary()["estimates"]
    print(f"{queue} wait estimates, means of {REPLICATIONS} runs with 95% CI: {describe(summary)}")


def assert_estimates_are_the_right_size(queue: Queue) -> None:
    """The Router's estimates at queueing are, on average, within a factor of two
    of the waits that followed."""
    summary = results(queue).summary()["estimates"]
    ratio = summary["mean_estimate"]["mean"] / summary["mean_realised"]["mean"]
    assert 0.5 <= ratio <= 2, f"{queue}: estimate / realised = {ratio:.3g}; {describe(summary)}"


@pytest.mark.parametrize("queue", BUSY, ids=str)
def test_wait_estimates_are_the_right_size_on_a_real_queue(queue: Queue) -> None:
    """Where most arrivals queue, the estimates are the right size."""
    assert_estimates_are_the_right_size(queue)


@pytest.mark.xfail(
    strict=True,
    reason="estimate.py's observed rate, n / (now - oldest departure from the line), "
    "counts the time the line stood empty, and only the queued depart from it: on a "
    "queue most arrivals skip, it is the rate of queued arrivals, not of service, and "
    "estimates come out 4 to 7 times the waits that follow",
)
@pytest.mark.parametrize("queue", LIGHT, ids=str)
def test_wait_estimates_are_the_right_size_on_a_light_queue(queue: Queue) -> None:
    """Where few arrivals queue, the estimates should be the right size too."""
    assert_estimates_are_the_right_size(queue)
