"""The wait estimator on its own: the fallback from handle times, the observed rate
of a line, the horizon and window, encoding and decoding, and the settings."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omniroute.errors import ConfigurationError, SnapshotError, ValidationError
from omniroute.estimate import WaitEstimates, WaitEstimator

LINE = (("billing",), "chat", (("english", 2),), None)


def fail(path: str, reason: str) -> Exception:
    return SnapshotError(f"snapshot {path}: {reason}")


def restored(estimator: WaitEstimator) -> WaitEstimator:
    """The estimator after a trip through JSON text."""
    data = json.loads(json.dumps(estimator.encode()))
    copy = WaitEstimator.decode(estimator.settings, data, fail)
    copy._check()
    return copy


def with_departures(*times: float, **config: Any) -> WaitEstimator:
    estimator = WaitEstimator(WaitEstimates(**config))
    for t in times:
        estimator.departed(LINE, t)
    estimator._check()
    return estimator


def wait(estimator: WaitEstimator, position: int, now: float, servers: int = 2) -> float | None:
    return estimator.estimate(LINE, "billing", "chat", position, servers, now)


class TestFallback:
    def test_before_any_departure_the_default_handle_time_is_assumed(self) -> None:
        """Place 3 with 2 servers and 300 s each: 3 * 300 / 2."""
        assert wait(WaitEstimator(WaitEstimates()), 3, now=0.0) == 450.0

    def test_the_configured_handle_time_is_assumed(self) -> None:
        """Place 1 with 4 servers and 60 s each: 15 s."""
        estimator = WaitEstimator(WaitEstimates(handle_time=60.0))
        assert wait(estimator, 1, now=0.0, servers=4) == 15.0

    def test_handled_samples_make_an_exponentially_weighted_mean(self) -> None:
        """The first sample sets the mean, each next moves it by smoothing times the
        difference: 100, then 100 + 0.5 * (200 - 100) = 150, then 150 + 0.5 * -50."""
        estimator = WaitEstimator(WaitEstimates(smoothing=0.5))
        estimator.handled("billing", "chat", 100.0)
        assert estimator.mean_handle_time("billing", "chat") == 100.0
        assert wait(estimator, 1, now=0.0) == 50.0
        estimator.handled("billing", "chat", 200.0)
        assert estimator.mean_handle_time("billing", "chat") == 150.0
        estimator.handled("billing", "chat", 100.0)
        assert estimator.mean_handle_time("billing", "chat") == 125.0
        assert wait(estimator, 2, now=0.0) == 2 * 125.0 / 2
        estimator._check()

    def test_the_default_smoothing_weighs_the_newest_sample_one_tenth(self) -> None:
        """100, then 100 + 0.1 * (200 - 100) = 110, then 110 + 0.1 * (50 - 110) = 104;
        place 3 of 4 servers then waits 3 * 104 / 4 = 78 s."""
        estimator = WaitEstimator(WaitEstimates())
        estimator.handled("billing", "chat", 100)
        estimator.handled("billing", "chat", 200.0)
        assert estimator.mean_handle_time("billing", "chat") == 110.0
        estimator.handled("billing", "chat", 50.0)
        assert estimator.mean_handle_time("billing", "chat") == 104.0
        assert wait(estimator, 3, now=0.0, servers=4) == 78.0
        estimator._check()

    def test_handle_times_are_kept_per_group_and_channel(self) -> None:
        """A voice call's handle time says nothing about chats, nor sales about billing."""
        estimator = WaitEstimator(WaitEstimates())
        estimator.handled("billing", "voice", 600.0)
        estimator.handled("sales", "chat", 30.0)
        assert estimator.mean_handle_time("billing", "chat") == 300.0
        assert wait(estimator, 1, now=0.0) == 150.0

    @pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan, True, "60"])
    def test_bad_handle_times_are_refused(self, seconds: Any) -> None:
        """A negative, infinite or non-numeric duration is a bug in the caller."""
        estimator = WaitEstimator(WaitEstimates())
        with pytest.raises(ValidationError, match="billing"):
            estimator.handled("billing", "chat", seconds)
        assert estimator.encode()["handle_times"] == []

    @pytest.mark.parametrize("servers", [0, -1])
    def test_without_servers_or_observed_rate_there_is_no_estimate(self, servers: int) -> None:
        """Nobody can serve it: None, not infinity."""
        assert wait(WaitEstimator(WaitEstimates()), 1, now=0.0, servers=servers) is None
        assert wait(with_departures(0.0, 10.0), 1, now=20.0, servers=servers) is None

    def test_position_scales_the_fallback(self) -> None:
        """Place p waits for p departures."""
        estimator = WaitEstimator(WaitEstimates(handle_time=90.0))
        assert [wait(estimator, p, now=0.0, servers=3) for p in (1, 2, 3, 10)] == [
            30.0,
            60.0,
            90.0,
            300.0,
        ]


class TestObservedRate:
    def test_fewer_than_min_samples_use_the_fallback(self) -> None:
        """Two departures are not enough evidence with min_samples=3."""
        assert wait(with_departures(0.0, 10.0), 2, now=20.0) == 300.0

    def test_min_samples_departures_give_the_observed_rate(self) -> None:
        """Departures at 0, 10, 20; at 30 s the rate is 3 / 30, so place 2 waits 20 s."""
        estimator = with_departures(0.0, 10.0, 20.0)
        assert wait(estimator, 2, now=30.0) == 20.0
        assert wait(estimator, 2, now=30.0) == 2 / (3 / 30.0)

    def test_the_observed_rate_ignores_servers(self) -> None:
        """Once observed, the line's own pace counts, even with no server online now."""
        estimator = with_departures(0.0, 10.0, 20.0)
        assert wait(estimator, 2, now=30.0, servers=0) == 20.0
        assert wait(estimator, 2, now=30.0, servers=50) == 20.0

    def test_position_scales_the_observed_estimate(self) -> None:
        """Rate 4 / 40 s: place p waits 10 p seconds."""
        estimator = with_departures(0.0, 10.0, 20.0, 30.0)
        assert [wait(estimator, p, now=40.0) for p in (1, 2, 5)] == [10.0, 20.0, 50.0]

    def test_the_rate_decays_as_time_passes_without_departures(self) -> None:
        """Departures at 0, 10, 20: at 30 s place 1 waits 10 s, at 60 s 20 s, at
        300 s 100 s."""
        estimator = with_departures(0.0, 10.0, 20.0)
        assert [wait(estimator, 1, now=t) for t in (30.0, 60.0, 300.0)] == [10.0, 20.0, 100.0]

    def test_departures_all_at_now_fall_back(self) -> None:
        """No span to measure a rate over: the theory answers."""
        estimator = with_departures(5.0, 5.0, 5.0)
        assert wait(estimator, 1, now=5.0) == 150.0

    def test_departures_older_than_the_horizon_are_not_counted(self) -> None:
        """Horizon 100 s: at 105 s the departure at 0 s is out, the rest give 3 / 95."""
        estimator = with_departures(0.0, 10.0, 20.0, 30.0, horizon=100.0)
        assert wait(estimator, 1, now=100.0) == 1 / (4 / 100.0)
        assert wait(estimator, 1, now=105.0) == 1 / (3 / 95.0)

    def test_the_horizon_drops_a_quiet_line_back_to_the_fallback(self) -> None:
        """Once fewer than min_samples departures are within the horizon, the
        handle time answers again."""
        estimator = with_departures(0.0, 10.0, 20.0, horizon=100.0)
        assert wait(estimator, 1, now=110.0) != 1 / (3 / 110.0)
        assert wait(estimator, 1, now=110.0) == 150.0
        assert wait(estimator, 1, now=10_000.0) == 150.0
        estimator.handled("billing", "chat", 40.0)
        assert wait(estimator, 1, now=10_000.0) == 20.0

    def test_only_the_last_window_departures_are_kept(self) -> None:
        """Window 4: of departures at 0, 100, 101, 102, 103 only the last four count,
        so at 104 s the rate is 4 / 4 s, not 5 / 104 s."""
        estimator = with_departures(0.0, 100.0, 101.0, 102.0, 103.0, window=4)
        assert wait(estimator, 1, now=104.0) == 1.0
        assert estimator.encode()["lines"][0]["departures"] == [100.0, 101.0, 102.0, 103.0]

    def test_departures_are_kept_per_line(self) -> None:
        """Another line's departures do not speed this one up."""
        estimator = with_departures(0.0, 1.0, 2.0)
        other = (("billing",), "voice", (), None)
        assert estimator.estimate(other, "billing", "voice", 1, 2, 3.0) == 150.0

    def test_forgetting_a_line_drops_its_departures(self) -> None:
        """A line that disappears starts over as a new line."""
        estimator = with_departures(0.0, 10.0, 20.0)
        estimator.forget_line(LINE)
        estimator.forget_line(LINE)  # already gone: nothing to do
        assert wait(estimator, 1, now=30.0) == 150.0
        assert estimator.encode()["lines"] == []


class TestEncoding:
    def test_a_round_trip_gives_identical_estimates(self) -> None:
        """Keys with nested tuples, None and ints come back as equal tuples; every
        estimate is bit-identical."""
        estimator = WaitEstimator(WaitEstimates(window=5, horizon=50.0))
        lines: list[Hashable] = [
            LINE,
            (("billing", "sales"), "voice", (("english", 2), ("french", 1)), "vip"),
            ((), "email", (), None),
            "plain",
        ]
        for i, line in enumerate(lines):
            for k in range(3 + i):
                estimator.departed(line, 0.1 * k + i / 3)
        estimator.handled("billing", "chat", 123.4)
        estimator.handled("billing", "chat", 0.7)
        estimator.handled("sales", "voice", 1 / 3)
        copy = restored(estimator)
        assert estimator.encode() == copy.encode()
        for line in lines:
            assert line in copy._lines
            for now in (0.5, 1.234567, 7.0, 60.0):
                for position in (1, 2, 7):
                    for group, channel in (("billing", "chat"), ("sales", "voice")):
                        before = estimator.estimate(line, group, channel, position, 3, now)
                        after = copy.estimate(line, group, channel, position, 3, now)
                        assert before == after

    def test_encoding_is_plain_json_data(self) -> None:
        """Lists, numbers, strings and null; an empty estimator encodes to empty lists."""
        assert WaitEstimator(WaitEstimates()).encode() == {"lines": [], "handle_times": []}
        estimator = with_departures(1.5, 2.5)
        estimator.handled("billing", "chat", 30.0)
        assert estimator.encode() == {
            "lines": [
                {"line": [["billing"], "chat", [["english", 2]], None], "departures": [1.5, 2.5]}
            ],
            "handle_times": [{"group": "billing", "channel": "chat", "mean": 30.0}],
        }

    @pytest.mark.parametrize("key", [1.5, (True,), frozenset(), ("a", (b"x",))])
    def test_unencodable_line_keys_are_refused(self, key: Any) -> None:
        """Only str, int, None and tuples of them survive JSON unchanged."""
        estimator = WaitEstimator(WaitEstimates())
        estimator.departed(key, 0.0)
        with pytest.raises(TypeError, match="line keys"):
            estimator.encode()

    def test_a_smaller_window_keeps_the_newest_departures(self) -> None:
        """Restoring with window 3 what window 5 wrote keeps the last three."""
        estimator = with_departures(1.0, 2.0, 3.0, 4.0, 5.0, window=5)
        copy = WaitEstimator.decode(WaitEstimates(window=3), estimator.encode(), fail)
        copy._check()
        assert copy.encode()["lines"][0]["departures"] == [3.0, 4.0, 5.0]

    GOOD: dict[str, Any] = {  # noqa: RUF012 (read only)
        "lines": [
            {"line": ["a"], "departures": [1.0]},
            {"line": ["b", [1, None]], "departures": [1.0, 2.0]},
            {"line": "c", "departures": [0, 3.5]},
        ],
        "handle_times": [{"group": "g", "channel": "chat", "mean": 2.0}],
    }

    def test_the_good_example_decodes(self) -> None:
        """The base of the malformed examples below is itself valid."""
        estimator = WaitEstimator.decode(WaitEstimates(), self.GOOD, fail)
        estimator._check()
        assert {("a",), ("b", (1, None)), "c"} == set(estimator._lines)

    @pytest.mark.parametrize(
        ("change", "path", "reason"),
        [
            (lambda d: d.pop("lines") and None, "estimates", "missing field"),
            (lambda d: d.update(extra=1), "estimates", "unexpected field"),
            (lambda d: d.update(lines={}), "estimates.lines", "expected a list"),
            (lambda d: d["lines"].append(3), "estimates.lines[3]", "expected an object"),
            (
                lambda d: d["lines"][1].pop("line") and None,
                "estimates.lines[1]",
                "missing field",
            ),
            (
                lambda d: d["lines"][1].update(line=["b", [1.5]]),
                "estimates.lines[1].line[1][0]",
                "float",
            ),
            (
                lambda d: d["lines"][1].update(line=["b", {"x": 1}]),
                "estimates.lines[1].line[1]",
                "expected a string, an integer, null or a list",
            ),
            (lambda d: d["lines"][0].update(line=[False]), "estimates.lines[0].line[0]", "boolean"),
            (lambda d: d["lines"][2].update(line=["a"]), "estimates.lines[2].line", "duplicate"),
            (
                lambda d: d["lines"][2].update(departures=[1.0, "2"]),
                "estimates.lines[2].departures[1]",
                "finite number",
            ),
            (
                lambda d: d["lines"][2].update(departures=[math.inf]),
                "estimates.lines[2].departures[0]",
                "finite number",
            ),
            (
                lambda d: d["lines"][2].update(departures=[10**400]),
                "estimates.lines[2].departures[0]",
                "finite number",
            ),
            (
                lambda d: d["lines"][1].update(departures=[2.0, 1.0]),
                "estimates.lines[1].departures[1]",
                "back in time",
            ),
            (
                lambda d: d["lines"][0].update(departures=[]),
                "estimates.lines[0].departures",
                "at least one",
            ),
            (
                lambda d: d["handle_times"][0].update(group=None),
                "estimates.handle_times[0].group",
                "expected a string",
            ),
            (
                lambda d: d["handle_times"][0].update(mean=math.nan),
                "estimates.handle_times[0].mean",
                "finite number",
            ),
            (
                lambda d: d["handle_times"][0].update(mean=-1.0),
                "estimates.handle_times[0].mean",
                ">= 0",
            ),
            (
                lambda d: d["handle_times"].append(dict(d["handle_times"][0])),
                "estimates.handle_times[1]",
                "duplicate",
            ),
        ],
    )
    def test_malformed_data_names_the_path(self, change: Any, path: str, reason: str) -> None:
        """Every bad field raises the caller's error with its path and the reason."""
        data = json.loads(json.dumps(self.GOOD))
        change(data)
        with pytest.raises(SnapshotError, match=reason) as info:
            WaitEstimator.decode(WaitEstimates(), data, fail)
        assert f"snapshot {path}: " in str(info.value)

    def test_a_document_that_is_not_an_object_is_refused(self) -> None:
        """The root itself is checked too."""
        with pytest.raises(SnapshotError, match=r"snapshot estimates: expected an object"):
            WaitEstimator.decode(WaitEstimates(), [], fail)

    def test_the_root_path_can_be_chosen(self) -> None:
        """An estimator stored deeper in a document names its own place."""
        with pytest.raises(SnapshotError, match=r"router\.estimates\.lines: expected a list"):
            WaitEstimator.decode(
                WaitEstimates(), {"lines": 1, "handle_times": []}, fail, path="router.estimates"
            )

    def test_absurdly_deep_keys_are_refused(self) -> None:
        """No recursion error from a hostile document."""
        key: Any = "x"
        for _ in range(100):
            key = [key]
        data = {"lines": [{"line": key, "departures": [1.0]}], "handle_times": []}
        with pytest.raises(SnapshotError, match="nested deeper"):
            WaitEstimator.decode(WaitEstimates(), data, fail)


class TestSettings:
    def test_the_defaults(self) -> None:
        """Twenty departures, half an hour, three samples, five minutes, one tenth."""
        assert (
            WaitEstimates().window,
            WaitEstimates().horizon,
            WaitEstimates().min_samples,
            WaitEstimates().handle_time,
            WaitEstimates().smoothing,
        ) == (20, 1800.0, 3, 300.0, 0.1)

    @pytest.mark.parametrize(
        "config",
        [
            {"window": 1},
            {"window": 2.0},
            {"window": True},
            {"horizon": 0},
            {"horizon": -5.0},
            {"horizon": math.inf},
            {"horizon": math.nan},
            {"horizon": True},
            {"horizon": "60"},
            {"min_samples": 1},
            {"min_samples": 21},
            {"min_samples": True},
            {"min_samples": 3.0},
            {"window": 4, "min_samples": 5},
            {"handle_time": 0.0},
            {"handle_time": math.inf},
            {"handle_time": False},
            {"smoothing": 0},
            {"smoothing": 1.5},
            {"smoothing": math.nan},
            {"smoothing": True},
        ],
    )
    def test_bad_settings_are_refused_naming_field_and_value(self, config: dict[str, Any]) -> None:
        """ConfigurationError (a ValueError) says which field and what it got."""
        name, value = list(config.items())[-1]
        with pytest.raises(ConfigurationError, match=f"{name} must") as info:
            WaitEstimates(**config)
        assert f"got {value!r}" in str(info.value)
        assert isinstance(info.value, ValueError)

    def test_boundary_settings_are_accepted(self) -> None:
        """window 2 with min_samples 2, smoothing exactly 1, int seconds."""
        estimates = WaitEstimates(window=2, min_samples=2, smoothing=1, horizon=1, handle_time=1)
        estimator = WaitEstimator(estimates)
        estimator.handled("g", "c", 5.0)
        estimator.handled("g", "c", 7.0)
        assert estimator.mean_handle_time("g", "c") == 7.0


departures = st.lists(
    st.floats(min_value=0, max_value=10_000, allow_nan=False, allow_infinity=False),
    max_size=30,
).map(sorted)
handle_times = st.lists(st.floats(min_value=0, max_value=100_000), max_size=5)
configs = st.builds(
    WaitEstimates,
    window=st.integers(2, 8),
    horizon=st.sampled_from([1.0, 60.0, 1800.0]),
    min_samples=st.just(2),
    smoothing=st.sampled_from([0.1, 0.5, 1.0]),
)


@settings(max_examples=200)
@given(
    config=configs,
    times=departures,
    handled=handle_times,
    later=st.floats(min_value=0, max_value=5000),
    positions=st.lists(st.integers(1, 500), min_size=1, max_size=5),
    servers=st.integers(0, 10),
)
def test_estimates_are_finite_ordered_and_survive_a_round_trip(
    config: WaitEstimates,
    times: list[float],
    handled: list[float],
    later: float,
    positions: list[int],
    servers: int,
) -> None:
    """Whatever happened, an estimate is None (no servers, nothing observed) or a
    finite number >= 0, grows with the place in line, and is the same after a round
    trip through JSON."""
    estimator = WaitEstimator(config)
    for t in times:
        estimator.departed(LINE, t)
    for seconds in handled:
        estimator.handled("billing", "chat", seconds)
    estimator._check()
    copy = restored(estimator)
    now = (times[-1] if times else 0.0) + later
    previous = 0.0
    for position in sorted(positions):
        estimate = wait(estimator, position, now, servers)
        assert estimate == wait(copy, position, now, servers)
        if estimate is None:
            assert servers == 0
            continue
        assert math.isfinite(estimate)
        assert estimate >= previous
        previous = estimate
