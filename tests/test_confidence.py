"""Confidence intervals across replications: the Student-t quantile against tables and
its own CDF, the estimate of one figure (known data, NaN, coverage of the true mean),
and the summary of nested figures."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from statistics import NormalDist
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omniroute.errors import ValidationError
from omniroute.sim.confidence import Estimate, _t_cdf, estimate, summarise, t_quantile

# Two-sided 95% critical values to 17 digits, computed with 40-digit arithmetic (they
# agree with R's qt and SciPy's t.ppf). Note t(0.975, 5) = 2.570581835636..., not the
# 2.57058183661 sometimes quoted.
T_975 = {
    1: 12.706204736174693,
    2: 4.3026527297494618,
    5: 2.5705818356363148,
    10: 2.2281388519862742,
    30: 2.0422724563012379,
    100: 1.9839715185235519,
    1000: 1.9623390808264081,
}


@pytest.mark.parametrize(("df", "expected"), sorted(T_975.items()))
def test_t_975_matches_the_table(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-12)
    assert t_quantile(0.025, df) == pytest.approx(-expected, rel=1e-12)


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.95, 4, 2.1318467863266495),
        (0.995, 20, 2.8453397097861081),
        (0.999, 7, 4.7852896286383333),
        # Far from the usual levels: deep tails, a hair off the centre, huge df (the
        # Cornish-Fisher branch). References computed with 40-digit arithmetic.
        (1e-300, 1, -3.1830988618379066e299),
        (1e-10, 3, -2225.7692846830932),
        (1e-300, 4, -1.3160740129524925e75),
        (0.5 + 2**-40, 50, 2.2911917420207296e-12),
        (1e-12, 100_000, -7.0353717423935763),
        (1e-300, 100_000, -37.174670665466219),
        (0.975, 10**6, 1.9599663568141067),
    ],
)
def test_other_quantiles_match_references(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, rel=1e-12, abs=0)


def test_the_median_is_zero_for_every_df() -> None:
    assert [t_quantile(0.5, df) for df in (1, 2, 3, 40, 10**7)] == [0.0] * 5


@settings(max_examples=300)
@given(p=st.floats(1e-6, 1 - 1e-6), df=st.integers(1, 2000))
def test_quantiles_are_symmetric(p: float, df: int) -> None:
    assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.999999])
def test_large_df_tends_to_the_normal_quantile(p: float) -> None:
    z = NormalDist().inv_cdf(p)
    dfs = [1, 2, 3, 10, 100, 10_000, 99_999, 100_000, 100_001, 10**6, 10**9]
    quantiles = [t_quantile(p, df) for df in dfs]
    # Heavier tails than the normal, thinning as df grows, without a step where the
    # method changes (the true difference across 100_000 is about 1e-10).
    assert all(a > b > z for a, b in itertools.pairwise(quantiles))
    assert quantiles[-1] == pytest.approx(z, rel=1e-8)


@given(p=st.floats(0.001, 0.999), df=st.integers(1, 500))
def test_the_cdf_inverts_the_quantile(p: float, df: int) -> None:
    assert _t_cdf(t_quantile(p, df), df) == pytest.approx(p, rel=1e-9, abs=0)


@given(t=st.floats(-1e6, 1e6))
def test_the_cdf_matches_closed_forms_for_one_and_two_df(t: float) -> None:
    # The incomplete beta function against the Cauchy and df = 2 formulas, written
    # without cancellation in the lower tail.
    cauchy = math.atan(-1 / t) / math.pi if t < 0 else 0.5 + math.atan(t) / math.pi
    root = math.sqrt(2 + t * t)
    df2 = 1 / (root * (root - t)) if t < 0 else 0.5 + t / (2 * root)
    assert _t_cdf(t, 1) == pytest.approx(cauchy, rel=1e-12, abs=0)
    assert _t_cdf(t, 2) == pytest.approx(df2, rel=1e-12, abs=0)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.5, 1.5, math.nan, math.inf])
def test_a_probability_outside_zero_one_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match=r"^p must"):
        t_quantile(p, 5)


@pytest.mark.parametrize("df", [0, -3, 2.5, True])
def test_degrees_of_freedom_must_be_a_whole_number_from_one(df: Any) -> None:
    with pytest.raises(ValueError, match=r"^df must"):
        t_quantile(0.9, df)


def test_estimate_of_known_data() -> None:
    e = estimate([1.0, 2.0, 3.0, 4.0, 5.0])
    assert e.mean == 3.0
    assert e.n == 5
    assert e.stdev == pytest.approx(math.sqrt(2.5), rel=1e-15)
    half = t_quantile(0.975, 4) * math.sqrt(2.5) / math.sqrt(5)
    assert e.half_width() == pytest.approx(half, rel=1e-12)
    assert e.low == pytest.approx(3 - half, rel=1e-12)
    assert e.high == pytest.approx(3 + half, rel=1e-12)
    assert e.contains(3 - 0.99 * half)
    assert e.contains(3 + 0.99 * half)
    assert not e.contains(3 + 1.01 * half)
    assert not e.contains(math.nan)
    assert e.as_dict() == {"mean": 3.0, "low": e.low, "high": e.high, "stdev": e.stdev, "n": 5}


def test_a_higher_confidence_gives_a_wider_interval() -> None:
    values = [10.0, 12.0, 9.5, 11.0]
    widths = [estimate(values, c).half_width() for c in (0.5, 0.8, 0.95, 0.99)]
    assert widths == sorted(widths)
    assert widths[0] < widths[-1]
    assert estimate(values, 0.99).mean == estimate(values, 0.5).mean


def test_equal_values_give_an_interval_of_zero_width() -> None:
    assert estimate([0.1] * 7) == Estimate(0.1, 0.1, 0.1, 0.0, 7)


def test_one_replication_gives_no_interval() -> None:
    assert estimate([4.5]) == Estimate(4.5, 4.5, 4.5, 0.0, 1)
    assert estimate([4.5]).half_width() == 0.0


def test_nan_values_are_skipped() -> None:
    with_nan = estimate([1.0, math.nan, 3.0, math.nan, 8.0])
    assert with_nan == estimate([1.0, 3.0, 8.0])
    assert with_nan.n == 3
    assert estimate([math.nan, 2.0]) == Estimate(2.0, 2.0, 2.0, 0.0, 1)


@pytest.mark.parametrize("values", [[], [math.nan], [math.nan, math.nan, math.nan]])
def test_no_values_give_nan_everywhere(values: list[float]) -> None:
    e = estimate(values)
    assert e.n == 0
    assert all(math.isnan(x) for x in (e.mean, e.low, e.high, e.stdev, e.half_width()))
    assert not e.contains(0.0)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.1, 1.5, 95.0, math.nan])
def test_a_confidence_outside_zero_one_is_refused(confidence: float) -> None:
    with pytest.raises(ValidationError, match="confidence"):
        estimate([1.0, 2.0], confidence)
    with pytest.raises(ValueError, match="confidence"):
        summarise([{"a": 1.0}], confidence)


@pytest.mark.parametrize("bad", [math.inf, -math.inf])
def test_infinite_values_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        estimate([1.0, bad, 2.0])


@settings(max_examples=200)  # statistics.stdev works in fractions: slow
@given(
    values=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-1000, 1000), min_size=2, max_size=20
    )
)
def test_estimate_agrees_with_the_statistics_module(values: list[float]) -> None:
    e = estimate(values)
    assert e.n == len(values)
    assert e.mean == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-9)
    assert e.stdev == pytest.approx(statistics.stdev(values), rel=1e-9, abs=1e-9)
    assert min(values) <= e.mean <= max(values)
    assert e.low <= e.mean <= e.high
    assert e.half_width() == pytest.approx(
        t_quantile(0.975, len(values) - 1) * e.stdev / math.sqrt(len(values)),
        rel=1e-9,
        abs=1e-9,
    )


@pytest.mark.parametrize(("confidence", "band"), [(0.95, (0.935, 0.965)), (0.8, (0.77, 0.83))])
def test_intervals_cover_the_true_mean_as_often_as_they_claim(
    confidence: float, band: tuple[float, float]
) -> None:
    # Samples of five: a normal-quantile interval would cover the mean only about 88%
    # of the time at 95%, so this tells the t quantile from an approximation.
    rng = random.Random(20240611)
    mu, sigma = 120.0, 35.0
    covered = sum(
        estimate([rng.gauss(mu, sigma) for _ in range(5)], confidence).contains(mu)
        for _ in range(2000)
    )
    assert band[0] <= covered / 2000 <= band[1]


RUNS: list[dict[str, Any]] = [
    {
        "channel": "chat",
        "voice": {"offered": 100, "service_level": 0.8, "asa": 12.0, "open": True},
        "chat": {"offered": 40, "asa": None},
        "label": "day 1",
        "intervals": [{"offered": 10}, {"offered": 12}],
        "only_first": 7.0,
    },
    {
        "channel": "chat",
        "voice": {"offered": 110, "service_level": 0.7, "asa": 18.0, "open": True},
        "chat": {"offered": 44, "asa": 30.0},
        "label": "day 2",
        "intervals": [{"offered": 9}],
    },
    {
        "channel": "chat",
        "voice": {"offered": 120, "service_level": 0.9, "asa": math.nan, "open": True},
        "chat": {"offered": 42, "asa": 34.0, "note": "extra"},
        "label": "day 3",
        "intervals": [],
    },
]


def test_summarise_replaces_every_number_by_its_estimate() -> None:
    summary = summarise(RUNS)
    assert summary["voice"]["offered"] == estimate([100, 110, 120]).as_dict()
    assert summary["voice"]["service_level"] == estimate([0.8, 0.7, 0.9]).as_dict()
    assert summary["chat"]["offered"]["mean"] == 42.0
    assert summary["chat"]["offered"]["n"] == 3
    # The nesting is kept, key order included.
    assert list(summary) == ["channel", "voice", "chat", "only_first"]
    assert list(summary["voice"]) == ["offered", "service_level", "asa", "open"]


def test_summarise_uses_the_runs_that_have_a_figure() -> None:
    summary = summarise(RUNS)
    # Only in the first run: one value, no interval.
    assert summary["only_first"] == {"mean": 7.0, "low": 7.0, "high": 7.0, "stdev": 0.0, "n": 1}
    # NaN in one run, None (undefined) in another: skipped like missing.
    assert summary["voice"]["asa"] == estimate([12.0, 18.0]).as_dict()
    assert summary["chat"]["asa"] == estimate([30.0, 34.0]).as_dict()
    assert summary["chat"]["asa"]["n"] == 2


def test_summarise_keeps_equal_non_numeric_leaves_and_drops_the_rest() -> None:
    summary = summarise(RUNS)
    assert summary["channel"] == "chat"
    assert summary["voice"]["open"] is True  # a flag is not a number to average
    assert summary["chat"]["note"] == "extra"  # equal in all the runs that have it
    assert "label" not in summary  # differs between runs
    assert "intervals" not in summary  # lists are summarised elsewhere


def test_summarise_drops_figures_of_mixed_kinds() -> None:
    runs: list[dict[str, Any]] = [
        {"a": 1.0, "b": {"x": 1}, "c": True, "d": None, "e": 1, "f": (1, 2)},
        {"a": "n/a", "b": 2.0, "c": 1, "d": None, "e": False, "f": (1, 2)},
    ]
    summary = summarise(runs)
    assert summary == {"d": None}


def test_summarise_of_no_runs_is_empty() -> None:
    assert summarise([]) == {}
    assert summarise([{}, {}]) == {}


def test_summarise_passes_the_confidence_on() -> None:
    runs = [{"x": {"y": v}} for v in (1.0, 2.0, 4.0)]
    assert summarise(runs, 0.8)["x"]["y"] == estimate([1.0, 2.0, 4.0], 0.8).as_dict()
    assert summarise(runs, 0.8) != summarise(runs)
