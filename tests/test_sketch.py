"""The quantile sketch: accuracy against exact quantiles, zeros, the memory bound,
merging, and encoding and decoding."""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omniroute.sketch import QuantileSketch

QUANTILES = (0.0, 0.25, 0.5, 0.9, 0.99, 1.0)

# Waiting times: many exact zeros, the rest spread over thirteen decades.
waits = st.one_of(
    st.just(0.0), st.floats(min_value=1e-6, max_value=1e7, allow_nan=False, allow_infinity=False)
)
accuracies = st.sampled_from([0.01, 0.05, 0.001])


def fail(path: str, reason: str) -> Exception:
    return ValueError(f"{path}: {reason}")


def sketch_of(values: list[float], **config: Any) -> QuantileSketch:
    sketch = QuantileSketch(**config)
    for value in values:
        sketch.add(value)
    sketch._check()
    return sketch


def exact_quantile(values: list[float], q: float) -> float:
    """The lower quantile, as the sketch defines it."""
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def assert_close(estimate: float | None, exact: float, accuracy: float) -> None:
    """Within the relative accuracy; the slack is float rounding at bucket edges."""
    assert estimate is not None
    assert abs(estimate - exact) <= accuracy * exact * (1 + 1e-9), (estimate, exact)


def restored(sketch: QuantileSketch) -> QuantileSketch:
    """The sketch after a trip through JSON text."""
    data = json.loads(json.dumps(sketch.encode(), allow_nan=False))
    copy = QuantileSketch.decode(data, fail, "sketch")
    copy._check()
    return copy


class TestExamples:
    def test_an_empty_sketch_has_no_quantiles(self) -> None:
        sketch = QuantileSketch()
        assert [sketch.quantile(q) for q in QUANTILES] == [None] * len(QUANTILES)
        assert (sketch.minimum, sketch.maximum, sketch.count, sketch.total) == (None, None, 0, 0)

    def test_all_zeros(self) -> None:
        """Everyone answered at once: every quantile is 0, and no bucket is used."""
        sketch = sketch_of([0.0] * 50)
        assert [sketch.quantile(q) for q in QUANTILES] == [0.0] * len(QUANTILES)
        assert (sketch.count, sketch.total, sketch._buckets) == (50, 0.0, {})

    def test_a_single_value_is_every_quantile_exactly(self) -> None:
        """Estimates are clamped into [minimum, maximum], here one value."""
        sketch = sketch_of([42.5])
        assert [sketch.quantile(q) for q in QUANTILES] == [42.5] * len(QUANTILES)

    def test_one_to_a_thousand(self) -> None:
        """Ranks 499, 899 and 989 of 1..1000 are 500, 900 and 990, each within 1%."""
        sketch = sketch_of([float(v) for v in range(1, 1001)])
        assert_close(sketch.quantile(0.5), 500.0, 0.01)
        assert_close(sketch.quantile(0.9), 900.0, 0.01)
        assert_close(sketch.quantile(0.99), 990.0, 0.01)
        assert (sketch.quantile(0), sketch.quantile(1)) == (1.0, 1000.0)
        assert sketch.total == 500500.0

    def test_zeros_come_first(self) -> None:
        """Seven zeros and three waits: p50 (rank 4) is zero, p90 (rank 8) is not."""
        sketch = sketch_of([0.0] * 7 + [10.0, 20.0, 30.0])
        assert sketch.quantile(0.5) == 0.0
        assert_close(sketch.quantile(0.9), 20.0, 0.01)

    def test_tiny_values_count_as_zero_but_stay_exact_in_min_and_total(self) -> None:
        sketch = sketch_of([1e-12, 3e-10, 5.0])
        assert (sketch._zeros, sketch.minimum, sketch.quantile(0.5)) == (2, 1e-12, 1e-12)
        assert sketch.total == math.fsum([1e-12, 3e-10, 5.0])

    def test_minus_zero_and_ints_are_stored_as_floats(self) -> None:
        assert sketch_of([-0.0, 3]) == sketch_of([0.0, 3.0])
        minimum = sketch_of([-0.0]).minimum
        assert minimum is not None
        assert math.copysign(1.0, minimum) == 1.0
        assert type(sketch_of([3]).maximum) is float

    def test_the_total_is_the_exact_sum_rounded_once(self) -> None:
        """A float running sum of 0.1 ten times is 0.9999999999999999."""
        assert sketch_of([0.1] * 10).total == 1.0
        assert sketch_of([1e16, 1.0, 1.0]).total == 1e16 + 2.0

    @pytest.mark.parametrize("value", [-1.0, -1e-12, math.nan, math.inf, -math.inf, 10**400])
    def test_bad_values_are_refused_and_change_nothing(self, value: float) -> None:
        sketch = sketch_of([0.0, 1.5, 300.0])
        before = sketch.copy()
        with pytest.raises(ValueError, match="finite number >= 0"):
            sketch.add(value)
        assert sketch == before
        sketch._check()

    @pytest.mark.parametrize("value", [True, "3", None])
    def test_non_numbers_are_refused(self, value: Any) -> None:
        sketch = sketch_of([1.5])
        before = sketch.copy()
        with pytest.raises(TypeError, match="number of seconds"):
            sketch.add(value)
        assert sketch == before

    @pytest.mark.parametrize("q", [-0.01, 1.01, math.nan, math.inf])
    def test_q_outside_zero_to_one_is_refused(self, q: float) -> None:
        sketch = sketch_of([1.5])
        before = sketch.copy()
        with pytest.raises(ValueError, match=r"q must be in \[0, 1\]"):
            sketch.quantile(q)
        assert sketch == before

    @pytest.mark.parametrize(
        ("config", "message"),
        [
            ({"relative_accuracy": 0}, "relative_accuracy"),
            ({"relative_accuracy": 1}, "relative_accuracy"),
            ({"relative_accuracy": -0.1}, "relative_accuracy"),
            ({"relative_accuracy": math.nan}, "relative_accuracy"),
            ({"relative_accuracy": True}, "relative_accuracy"),
            ({"relative_accuracy": 1e-17}, "too close"),
            ({"max_buckets": 1}, "max_buckets"),
            ({"max_buckets": True}, "max_buckets"),
            ({"max_buckets": 8.0}, "max_buckets"),
        ],
    )
    def test_bad_settings_are_refused(self, config: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            QuantileSketch(**config)

    def test_copies_are_independent(self) -> None:
        sketch = sketch_of([1.0, 2.0])
        twin = sketch.copy()
        twin.add(3.0)
        assert (sketch.count, twin.count) == (2, 3)
        assert sketch != twin
        assert sketch == sketch_of([1.0, 2.0])

    def test_equality_covers_the_settings(self) -> None:
        assert QuantileSketch(0.01) != QuantileSketch(0.02)
        assert QuantileSketch(max_buckets=8) != QuantileSketch(max_buckets=9)
        assert QuantileSketch() != "QuantileSketch()"

    def test_repr_summarises(self) -> None:
        assert repr(sketch_of([0.0, 2.0])) == (
            "QuantileSketch(relative_accuracy=0.01, max_buckets=2048, count=2, zeros=1, "
            "buckets=1, minimum=0.0, maximum=2.0, total=2.0)"
        )

    def test_the_largest_floats(self) -> None:
        """No overflow in the bucket index, the representative or the sum."""
        big = 1.7e308
        sketch = sketch_of([big, big, 1.0])
        assert sketch.quantile(0.5) == big
        assert sketch.total == math.inf
        assert sketch_of([1e300, 1e300]).total == 2e300


class TestAccuracy:
    @given(st.lists(waits, min_size=1, max_size=200), accuracies)
    def test_every_quantile_is_within_the_relative_accuracy(
        self, values: list[float], accuracy: float
    ) -> None:
        """Nothing collapses over 1e-6..1e7 with the default bound. Count, total,
        minimum and maximum are exact."""
        sketch = sketch_of(values, relative_accuracy=accuracy)
        assert len(sketch._buckets) < sketch.max_buckets
        for q in QUANTILES:
            assert_close(sketch.quantile(q), exact_quantile(values, q), accuracy)
        assert (sketch.quantile(0), sketch.quantile(1)) == (min(values), max(values))
        assert (sketch.minimum, sketch.maximum) == (min(values), max(values))
        assert (sketch.count, sketch.total) == (len(values), math.fsum(values))


class TestCollapse:
    @given(st.lists(waits, min_size=1, max_size=300), st.integers(min_value=2, max_value=8))
    def test_a_quantile_is_accurate_while_the_values_above_it_fit_the_buckets(
        self, values: list[float], max_buckets: int
    ) -> None:
        """The highest max_buckets buckets stay exact: a quantile whose values from
        its rank up use no more buckets than that is as accurate as without a bound."""
        sketch = QuantileSketch(max_buckets=max_buckets)
        for value in values:
            sketch.add(value)
            assert len(sketch._buckets) <= max_buckets
        sketch._check()
        ordered = sorted(values)
        for q in QUANTILES:
            above = ordered[math.floor(q * (len(values) - 1)) :]
            if len({sketch._index(v) for v in above if v > 0}) <= max_buckets:
                assert_close(sketch.quantile(q), exact_quantile(values, q), 0.01)

    def test_p99_survives_a_small_store(self) -> None:
        """Ten thousand waits over nine decades in 8 buckets: the top 2% lie within
        1000..1040 s (a few buckets), so p99 keeps its 1%, while p50 falls in the
        collapsed lowest bucket and is far too high."""
        rng = random.Random(7)
        low = [10 ** rng.uniform(-6, 2.9) for _ in range(9800)]
        high = [rng.uniform(1000.0, 1040.0) for _ in range(200)]
        values = low + high
        rng.shuffle(values)
        sketch = sketch_of(values, max_buckets=8)
        assert len(sketch._buckets) == 8
        assert_close(sketch.quantile(0.99), exact_quantile(values, 0.99), 0.01)
        median = sketch.quantile(0.5)
        assert median is not None
        assert median > 100 * exact_quantile(values, 0.5)

    def test_values_below_a_full_store_join_its_lowest_bucket(self) -> None:
        sketch = sketch_of([10.0, 100.0, 1000.0], max_buckets=2)
        assert sorted(sketch._buckets.values()) == [1, 2]
        sketch.add(0.001)
        assert sorted(sketch._buckets.values()) == [1, 3]
        sketch._check()
        assert sketch.minimum == 0.001


class TestMerge:
    @given(
        st.lists(st.lists(waits, max_size=60), min_size=3, max_size=3),
        st.sampled_from([3, 2048]),
    )
    def test_merging_equals_seeing_every_stream_in_any_order(
        self, parts: list[list[float]], max_buckets: int
    ) -> None:
        """Commutative and associative, collapsing (3 buckets) or not."""
        a, b, c = (sketch_of(part, max_buckets=max_buckets) for part in parts)

        def merged(*sketches: QuantileSketch) -> QuantileSketch:
            result = sketches[0].copy()
            for sketch in sketches[1:]:
                result.merge(sketch)
            result._check()
            return result

        first, second, third = parts
        assert merged(a, b) == merged(b, a) == sketch_of(first + second, max_buckets=max_buckets)
        everything = sketch_of(first + second + third, max_buckets=max_buckets)
        assert merged(a, b, c) == merged(a, merged(b, c)) == merged(c, a, b) == everything
        assert [a, b, c] == [sketch_of(part, max_buckets=max_buckets) for part in parts]

    def test_merging_with_itself_doubles(self) -> None:
        sketch = sketch_of([0.0, 1.0, 5.0])
        sketch.merge(sketch)
        sketch._check()
        assert sketch == sketch_of([0.0, 1.0, 5.0] * 2)

    def test_the_other_sketch_is_unchanged(self) -> None:
        other = sketch_of([1.0, 5.0])
        sketch_of([2.0]).merge(other)
        assert other == sketch_of([1.0, 5.0])

    def test_accuracies_must_match(self) -> None:
        sketch = sketch_of([1.0])
        before = sketch.copy()
        with pytest.raises(ValueError, match="different relative accuracy"):
            sketch.merge(sketch_of([2.0], relative_accuracy=0.02))
        assert sketch == before


class TestEncoding:
    @given(st.lists(waits, max_size=100), accuracies, st.integers(min_value=2, max_value=2048))
    def test_decode_restores_what_encode_wrote(
        self, values: list[float], accuracy: float, max_buckets: int
    ) -> None:
        sketch = sketch_of(values, relative_accuracy=accuracy, max_buckets=max_buckets)
        copy = restored(sketch)
        assert copy == sketch
        assert copy.encode() == sketch.encode()

    def test_the_encoding(self) -> None:
        assert sketch_of([0.0, 1.0, 1.0], max_buckets=8).encode() == {
            "accuracy": 0.01,
            "max_buckets": 8,
            "zeros": 1,
            "buckets": [[0, 2]],
            "count": 3,
            "total": 2.0,
            "min": 0.0,
            "max": 1.0,
        }

    def test_an_empty_sketch_round_trips(self) -> None:
        assert restored(QuantileSketch()) == QuantileSketch()

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            (lambda d: d.pop("zeros"), "sketch"),
            (lambda d: d.update(extra=1), "sketch"),
            (lambda d: d.update(accuracy=1.5), "sketch.accuracy"),
            (lambda d: d.update(accuracy="0.01"), "sketch.accuracy"),
            (lambda d: d.update(max_buckets=1), "sketch.max_buckets"),
            (lambda d: d.update(max_buckets=True), "sketch.max_buckets"),
            (lambda d: d.update(max_buckets=2), "sketch.buckets"),
            (lambda d: d.update(zeros=True), "sketch.zeros"),
            (lambda d: d.update(zeros=-1), "sketch.zeros"),
            (lambda d: d.update(buckets={}), "sketch.buckets"),
            (lambda d: d["buckets"].__setitem__(1, [d["buckets"][1][0], -1]), "sketch.buckets[1]"),
            (lambda d: d["buckets"].__setitem__(1, [d["buckets"][1][0], 0]), "sketch.buckets[1]"),
            (lambda d: d["buckets"].__setitem__(0, [True, 1]), "sketch.buckets[0]"),
            (lambda d: d["buckets"].__setitem__(0, [0, 1, 2]), "sketch.buckets[0]"),
            (lambda d: d["buckets"].__setitem__(0, (0, 1)), "sketch.buckets[0]"),
            (lambda d: d["buckets"].reverse(), "sketch.buckets[1]"),
            (lambda d: d["buckets"].__setitem__(1, d["buckets"][0]), "sketch.buckets[1]"),
            (lambda d: d["buckets"].__setitem__(2, [10**400, 1]), "sketch.buckets[2]"),
            (lambda d: d["buckets"].__setitem__(0, [-5000, 1]), "sketch.buckets[0]"),
            (lambda d: d.update(count=d["count"] + 1), "sketch.count"),
            (lambda d: d.update(count=True), "sketch.count"),
            (lambda d: d.update(total=math.nan), "sketch.total"),
            (lambda d: d.update(total=-1.0), "sketch.total"),
            (lambda d: d.update(total=1.0), "sketch.total"),
            (lambda d: d.update(min=None), "sketch.min"),
            (lambda d: d.update(min=math.inf), "sketch.min"),
            (lambda d: d.update(min=-1.0), "sketch.min"),
            (lambda d: d.update(min=1.0), "sketch.min"),
            (lambda d: d.update(min=500.0), "sketch.min"),
            (lambda d: d.update(max=2.0), "sketch.max"),
            (lambda d: d.update(max=math.inf), "sketch.max"),
        ],
    )
    def test_malformed_data_names_the_bad_field(self, change: Any, path: str) -> None:
        data = sketch_of([0.0, 0.5, 3.0, 3.0, 120.0]).encode()
        change(data)
        with pytest.raises(ValueError, match=f"^{re.escape(path)}: "):
            QuantileSketch.decode(data, fail, "sketch")

    @pytest.mark.parametrize(
        ("data", "path"),
        [
            ([], "sketch"),
            ({**QuantileSketch().encode(), "min": 0.0}, "sketch.min"),
            ({**QuantileSketch().encode(), "total": 1.0}, "sketch.total"),
            ({**sketch_of([2.0]).encode(), "min": 0.0}, "sketch.min"),
            ({**sketch_of([0.0]).encode(), "max": 2.0}, "sketch.max"),
            ({**sketch_of([0.0, 1.0]).encode(), "min": 1.0}, "sketch.min"),
        ],
    )
    def test_inconsistent_data_is_refused(self, data: Any, path: str) -> None:
        with pytest.raises(ValueError, match=f"^{re.escape(path)}: "):
            QuantileSketch.decode(data, fail, "sketch")
