"""Quantiles of a stream (p50/p90/p99 of waiting times) in bounded memory.

:class:`QuantileSketch` is a DDSketch (Masson, Rim and Lee, VLDB 2019): a value
``x > 0`` is counted in the logarithmic bucket ``i = ceil(log(x) / log(gamma))``
with ``gamma = (1 + a) / (1 - a)``, which holds the values in
``(gamma**(i-1), gamma**i]``. A quantile is answered with the representative of
its bucket, ``2 * gamma**i / (gamma + 1)``, which is within a relative error
``a`` (the ``relative_accuracy``) of every value in the bucket, so of the true
quantile. Quantiles follow the lower definition: ``quantile(q)`` estimates the
value of rank ``floor(q * (count - 1))`` (from 0) in sorted order. Estimates are
kept within ``[minimum, maximum]``, which are exact, as are ``count`` and
``total`` (the sum, for means).

Zeros. Many customers are answered at once, so exact zeros are common. Values
below ``1e-9`` have their own exact counter, the zero bucket: a quantile that
falls in it is answered with ``minimum`` (``0.0`` when any exact zero was
added), so the error there is below ``1e-9`` absolute rather than relative.

Memory. The zero bucket and at most ``max_buckets`` buckets are stored (a dict
of bucket index to count). When a value would need one more, the lowest
buckets are folded into one, as DDSketch's collapsing-lowest store does: a
value below the lowest bucket is counted in it, and otherwise the lowest two
buckets become one, at the higher index. So the highest ``max_buckets``
buckets seen stay exact: high quantiles (p90, p99) keep their accuracy, while
a quantile whose rank falls in the collapsed bucket is overestimated (values
below it are counted at its index). Unlike DDSketch's dense store this bounds
the buckets actually used, not the span of their indices. With the defaults
(``a = 0.01``, 2048 buckets) nothing collapses for values from ``1e-9`` to
``1e8`` seconds.

Merging. The state after any sequence of :meth:`~QuantileSketch.add` and
:meth:`~QuantileSketch.merge` calls depends only on the values seen: the
buckets are the highest ``max_buckets`` indices, the lowest of them also
counting everything below, and ``total`` is the correctly rounded exact sum
(kept as integers). So merging is commutative and associative, and equals one
sketch that saw both streams (with the same ``max_buckets``).

Costs: :meth:`~QuantileSketch.add` is ``O(1)`` (well under a microsecond: a
``log``, a ``ceil`` and a dict update), except when it collapses a full store,
``O(max_buckets)``; :meth:`~QuantileSketch.quantile` is ``O(b log b)`` for the
``b`` buckets in use; :meth:`~QuantileSketch.merge` is ``O(b)``, plus a sort if
it collapses.

>>> waits = QuantileSketch(relative_accuracy=0.01)
>>> for seconds in [0.0, 0.0, 0.0, 4.2, 12.0, 30.5, 61.0, 250.0]:
...     waits.add(seconds)
>>> waits.count, waits.total, waits.quantile(0.0), waits.quantile(1.0)
(8, 357.7, 0.0, 250.0)
>>> waits.quantile(0.25)  # rank floor(0.25 * 7) = 1: a zero
0.0
>>> round(waits.quantile(0.5), 2)  # rank 3: 4.2 within 1%
4.18
>>> round(waits.quantile(0.9), 1)  # rank 6: 61.0 within 1%
61.0
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from math import ceil, log
from typing import Any

from omniroute._reading import Reader, finite, kind

__all__ = ["QuantileSketch"]

# Values below this go to the zero bucket: logarithmic buckets for them would
# only waste memory on what is, for waiting times, nothing.
_ZERO_FLOOR = 1e-9

# The exact sum is kept as integers. Floats from 2**-30 (below _ZERO_FLOOR) up
# are whole multiples of 2**-82, so ``int(value * 2.0**82)`` is exact for them:
# one multiplication and one conversion on the hot path. Everything else that
# is not zero (tiny and enormous values) is summed in units of 2**-1074, the
# smallest float, through as_integer_ratio.
_FIXED_BITS = 82
_FIXED_SCALE = 2.0**_FIXED_BITS
_FIXED_LIMIT = 2.0**900  # value * _FIXED_SCALE must stay finite
_FINE_BITS = 1074


class QuantileSketch:
    """Quantiles of a stream of non-negative numbers within a relative error, in
    bounded memory (DDSketch: logarithmic buckets).

    ``relative_accuracy`` (``a``, in ``(0, 1)``) bounds the relative error of
    every quantile whose bucket has not been collapsed; ``max_buckets`` (>= 2)
    bounds the memory (see :mod:`omniroute.sketch`). Raises ``ValueError`` for
    anything else.
    """

    __slots__ = (
        "_accuracy",
        "_buckets",
        "_count",
        "_fine_sum",
        "_fixed_sum",
        "_gamma",
        "_lowest",
        "_max",
        "_max_buckets",
        "_min",
        "_multiplier",
        "_zeros",
    )

    def __init__(self, relative_accuracy: float = 0.01, max_buckets: int = 2048) -> None:
        a = relative_accuracy
        if not isinstance(a, (int, float)) or isinstance(a, bool) or not 0 < a < 1:
            raise ValueError(f"relative_accuracy must be a number in (0, 1), got {a!r}")
        gamma = (1 + float(a)) / (1 - float(a))
        if not 1.0 < gamma < math.inf:
            raise ValueError(f"relative_accuracy {a!r} is too close to 0 or 1 for floats")
        if not isinstance(max_buckets, int) or isinstance(max_buckets, bool) or max_buckets < 2:
            raise ValueError(f"max_buckets must be an int >= 2, got {max_buckets!r}")
        self._accuracy = float(a)
        self._max_buckets = max_buckets
        self._gamma = gamma
        # Multiplying by the reciprocal is cheaper than dividing on every add.
        self._multiplier = 1.0 / log(gamma)
        self._buckets: dict[int, int] = {}
        self._zeros = 0
        self._count = 0
        self._fixed_sum = 0  # in units of 2**-_FIXED_BITS
        self._fine_sum = 0  # in units of 2**-_FINE_BITS
        # Sentinels while empty, so add compares without testing for None.
        self._min = math.inf
        self._max = -math.inf
        # The lowest bucket index, remembered once the store is full (it only
        # rises from then on); None when unknown.
        self._lowest: int | None = None

    @property
    def relative_accuracy(self) -> float:
        """The bound ``a`` on the relative error of a quantile estimate."""
        return self._accuracy

    @property
    def max_buckets(self) -> int:
        """How many buckets (besides the zero bucket) are kept at most."""
        return self._max_buckets

    @property
    def count(self) -> int:
        """How many values were added, zeros included."""
        return self._count

    @property
    def total(self) -> float:
        """The sum of the values, correctly rounded from the exact sum (``inf``
        if it exceeds the largest float). Cost ``O(1)``, a big-integer division."""
        if not self._fine_sum:
            return self._fixed_sum / (1 << _FIXED_BITS)
        exact = (self._fixed_sum << (_FINE_BITS - _FIXED_BITS)) + self._fine_sum
        try:
            return exact / (1 << _FINE_BITS)
        except OverflowError:
            return math.inf

    @property
    def minimum(self) -> float | None:
        """The smallest value added, exactly; ``None`` if none was."""
        return self._min if self._count else None

    @property
    def maximum(self) -> float | None:
        """The largest value added, exactly; ``None`` if none was."""
        return self._max if self._count else None

    def add(self, value: float) -> None:
        """Count one value (seconds waited, say): a finite number >= 0.

        Raises ``ValueError`` for a negative or non-finite value and
        ``TypeError`` for a bool or a non-number, changing nothing. Cost
        ``O(1)``, or ``O(max_buckets)`` when it collapses a full store.
        """
        # The hot path: a float that gets a logarithmic bucket. Kept inline
        # (see _count_in_bucket for the same steps) to save a call.
        if type(value) is float and _ZERO_FLOOR <= value < _FIXED_LIMIT:
            index = ceil(log(value) * self._multiplier)
            buckets = self._buckets
            if index in buckets:
                buckets[index] += 1
            elif len(buckets) < self._max_buckets:
                buckets[index] = 1
            else:
                self._count_when_full(index)
            self._fixed_sum += int(value * _FIXED_SCALE)
        elif type(value) is float and value == 0.0:  # answered at once: common
            self._zeros += 1
            value = 0.0  # not -0.0
        else:
            value = self._add_unusual(value)
        self._count += 1
        if value < self._min:
            self._min = value
        if value > self._max:
            self._max = value

    def _add_unusual(self, value: float) -> float:
        """Everything but the hot path: checks the value, counts it in its
        bucket and sum, and returns it as the float that add then records."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number of seconds, got {kind(value)}")
        if not finite(value) or value < 0:
            raise ValueError(f"expected a finite number >= 0, got {value!r}")
        value = float(value) + 0.0  # an int, or a float subclass; -0.0 becomes 0.0
        if value < _ZERO_FLOOR:
            self._zeros += 1
        else:
            self._count_in_bucket(self._index(value))
        if value < _ZERO_FLOOR or value >= _FIXED_LIMIT:
            self._fine_sum += _in_fine_units(value)
        else:
            self._fixed_sum += int(value * _FIXED_SCALE)
        return value

    def _index(self, value: float) -> int:
        """The bucket of a value >= the zero floor."""
        return ceil(log(value) * self._multiplier)

    def _count_in_bucket(self, index: int) -> None:
        buckets = self._buckets
        if index in buckets:
            buckets[index] += 1
        elif len(buckets) < self._max_buckets:
            buckets[index] = 1
        else:
            self._count_when_full(index)

    def _count_when_full(self, index: int) -> None:
        """Count one value in a new bucket ``index`` while the store is full:
        below the lowest bucket it joins that one, above it the lowest two
        buckets become one, at the higher index. ``O(max_buckets)`` then."""
        buckets = self._buckets
        lowest = self._lowest
        if lowest is None:
            lowest = min(buckets)
        if index < lowest:
            buckets[lowest] += 1
        else:
            buckets[index] = 1
            collapsed = buckets.pop(lowest)
            lowest = min(buckets)
            buckets[lowest] += collapsed
        self._lowest = lowest

    def quantile(self, q: float) -> float | None:
        """An estimate of the value of rank ``floor(q * (count - 1))`` in sorted
        order, within ``relative_accuracy`` of it unless its bucket was collapsed
        (see :mod:`omniroute.sketch`); ``None`` when empty.

        ``quantile(0)`` is ``minimum`` and ``quantile(1)`` is ``maximum``,
        exactly. Raises ``ValueError`` unless ``0 <= q <= 1``. Cost
        ``O(b log b)`` for the ``b`` buckets in use.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must be in [0, 1], got {q!r}")
        count = self._count
        if not count:
            return None
        if q == 1.0:
            return self._max
        rank = int(q * (count - 1)) - self._zeros
        if q == 0.0 or rank < 0:
            # In the zero bucket (or the very lowest value): its values are in
            # [0, 1e-9), the least of them is exact.
            return self._min
        buckets = self._buckets
        for index in sorted(buckets):
            rank -= buckets[index]
            if rank < 0:
                try:
                    estimate = 2.0 * self._gamma**index / (self._gamma + 1.0)
                except OverflowError:  # the bucket of the largest floats
                    return self._max
                return min(max(estimate, self._min), self._max)
        raise AssertionError("bucket counts do not add up to count")  # pragma: no cover

    def merge(self, other: QuantileSketch) -> None:
        """Add ``other``'s values into this sketch; ``other`` is unchanged.

        The result equals a sketch that saw both streams, with this sketch's
        ``max_buckets``; so merging is commutative and associative. (If
        ``other`` had fewer ``max_buckets`` and collapsed, its collapsed values
        stay where it put them.) Raises ``ValueError`` if the relative
        accuracies differ. Cost ``O(b)`` for ``other``'s buckets, plus
        ``O(b log b)`` when the result must collapse.
        """
        if not isinstance(other, QuantileSketch):
            raise TypeError(f"can only merge a QuantileSketch, got {type(other).__name__}")
        if other._accuracy != self._accuracy:
            raise ValueError(
                f"cannot merge sketches of different relative accuracy: "
                f"{self._accuracy!r} and {other._accuracy!r}"
            )
        # Read other whole first: it may be self.
        theirs = list(other._buckets.items())
        zeros, count = other._zeros, other._count
        fixed_sum, fine_sum = other._fixed_sum, other._fine_sum
        low, high = other._min, other._max
        buckets = self._buckets
        for index, n in theirs:
            buckets[index] = buckets.get(index, 0) + n
        self._lowest = None
        if len(buckets) > self._max_buckets:
            self._collapse_lowest()
        self._zeros += zeros
        self._count += count
        self._fixed_sum += fixed_sum
        self._fine_sum += fine_sum
        self._min = min(self._min, low)
        self._max = max(self._max, high)

    def _collapse_lowest(self) -> None:
        """Fold the lowest buckets into the lowest of the ``max_buckets`` kept."""
        buckets = self._buckets
        indices = sorted(buckets)
        cut = len(indices) - self._max_buckets
        lowest = indices[cut]
        buckets[lowest] += sum(buckets.pop(index) for index in indices[:cut])
        self._lowest = lowest

    def copy(self) -> QuantileSketch:
        """An independent sketch equal to this one. Cost ``O(b)``."""
        twin = QuantileSketch.__new__(QuantileSketch)
        for name in self.__slots__:
            setattr(twin, name, getattr(self, name))
        twin._buckets = dict(self._buckets)
        return twin

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuantileSketch):
            return NotImplemented
        return (
            self._accuracy == other._accuracy
            and self._max_buckets == other._max_buckets
            and self._zeros == other._zeros
            and self._count == other._count
            and self._min == other._min
            and self._max == other._max
            and self._buckets == other._buckets
            and self.total == other.total
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"QuantileSketch(relative_accuracy={self._accuracy!r}, "
            f"max_buckets={self._max_buckets!r}, count={self._count!r}, "
            f"zeros={self._zeros!r}, buckets={len(self._buckets)!r}, "
            f"minimum={self.minimum!r}, maximum={self.maximum!r}, total={self.total!r})"
        )

    def encode(self) -> dict[str, Any]:
        """The sketch as JSON-ready plain data, for :meth:`decode`.

        ``total`` is the rounded sum: a decoded sketch equals this one, but
        continues summing from the rounded value. Cost ``O(b log b)``.
        """
        return {
            "accuracy": self._accuracy,
            "max_buckets": self._max_buckets,
            "zeros": self._zeros,
            "buckets": [[index, n] for index, n in sorted(self._buckets.items())],
            "count": self._count,
            "total": self.total,
            "min": self.minimum,
            "max": self.maximum,
        }

    @classmethod
    def decode(cls, data: Any, fail: Callable[[str, str], Exception], path: str) -> QuantileSketch:
        """A sketch from :meth:`encode`'s data.

        Strict: anything :meth:`encode` could not have written raises
        ``fail(path, reason)``, with the path of the first bad field below
        ``path`` (``"sketch.buckets[3]"``). Cost ``O(b)``.
        """
        read = Reader(fail)
        record = read.record(
            data,
            path,
            ("accuracy", "max_buckets", "zeros", "buckets", "count", "total", "min", "max"),
        )
        accuracy = read.number(record["accuracy"], f"{path}.accuracy")
        try:
            cls(accuracy)
        except ValueError as exc:
            raise fail(f"{path}.accuracy", str(exc)) from None
        max_buckets = read.integer(record["max_buckets"], f"{path}.max_buckets")
        if max_buckets < 2:
            raise fail(f"{path}.max_buckets", f"expected an int >= 2, got {max_buckets!r}")
        sketch = cls(accuracy, max_buckets)

        zeros = read.integer(record["zeros"], f"{path}.zeros")
        if zeros < 0:
            raise fail(f"{path}.zeros", f"expected a count >= 0, got {zeros!r}")
        items = read.items(record["buckets"], f"{path}.buckets")
        if len(items) > max_buckets:
            raise fail(f"{path}.buckets", f"{len(items)} buckets, more than max_buckets")
        lowest_index = sketch._index(_ZERO_FLOOR)
        highest_index = sketch._index(sys.float_info.max)
        buckets = sketch._buckets
        previous = lowest_index - 1
        for i, item in enumerate(items):
            at = f"{path}.buckets[{i}]"
            if not (
                isinstance(item, list)
                and len(item) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in item)
                and item[1] >= 1
            ):
                raise fail(at, f"expected [index, count] with count >= 1, got {kind(item)}")
            index, n = item
            if not previous < index <= highest_index:
                raise fail(
                    at,
                    f"index {index!r} must be above the previous bucket's ({previous}) "
                    f"and at most {highest_index}",
                )
            buckets[index] = n
            previous = index

        count = read.integer(record["count"], f"{path}.count")
        if count != zeros + sum(buckets.values()):
            raise fail(
                f"{path}.count",
                f"{count!r} is not the zeros plus the bucket counts, "
                f"{zeros + sum(buckets.values())}",
            )
        total = read.number(record["total"], f"{path}.total") + 0.0
        if total < 0:
            raise fail(f"{path}.total", f"expected a sum >= 0, got {total!r}")
        if not count:
            if total:
                raise fail(f"{path}.total", f"expected 0 for an empty sketch, got {total!r}")
            for name in ("min", "max"):
                if record[name] is not None:
                    raise fail(f"{path}.{name}", "expected null for an empty sketch")
            return sketch

        low = _read_bound(read, record["min"], f"{path}.min")
        high = _read_bound(read, record["max"], f"{path}.max")
        if low > high:
            raise fail(f"{path}.min", f"{low!r} is above max {high!r}")
        # Where encode would have put them: min in the zero bucket or at most
        # the lowest bucket (which may hold collapsed lower values), max in the
        # zero bucket or the highest bucket (never collapsed).
        if zeros and low >= _ZERO_FLOOR:
            raise fail(f"{path}.min", f"{low!r} is not in the zero bucket, which is not empty")
        if not zeros and (low < _ZERO_FLOOR or sketch._index(low) > min(buckets)):
            raise fail(f"{path}.min", f"{low!r} is below or above the lowest bucket")
        if buckets and (high < _ZERO_FLOOR or sketch._index(high) != max(buckets)):
            raise fail(f"{path}.max", f"{high!r} is not in the highest bucket")
        if not buckets and high >= _ZERO_FLOOR:
            raise fail(f"{path}.max", f"{high!r} is not in the zero bucket, the only one")
        if total < high:
            raise fail(f"{path}.total", f"{total!r} is less than max {high!r}")

        sketch._zeros = zeros
        sketch._count = count
        sketch._fine_sum = _in_fine_units(total)
        sketch._min = low
        sketch._max = high
        return sketch

    def _check(self) -> None:
        """Assert every internal invariant."""
        buckets = self._buckets
        assert len(buckets) <= self._max_buckets
        assert all(type(i) is int and type(n) is int and n >= 1 for i, n in buckets.items())
        assert self._zeros >= 0
        assert self._count == self._zeros + sum(buckets.values())
        if self._lowest is not None:
            assert len(buckets) == self._max_buckets
            assert self._lowest == min(buckets)
        if not self._count:
            assert (self._min, self._max) == (math.inf, -math.inf)
            assert self._fixed_sum == self._fine_sum == 0
            return
        assert 0.0 <= self._min <= self._max < math.inf
        assert (self._min < _ZERO_FLOOR) == (self._zeros > 0)
        assert (self._max < _ZERO_FLOOR) == (not buckets)
        if buckets:
            assert self._index(self._max) == max(buckets)
        if buckets and not self._zeros:
            assert self._index(self._min) <= min(buckets)
        assert self.total >= self._max


def _read_bound(read: Reader, value: Any, path: str) -> float:
    """``min`` or ``max`` of a sketch that is not empty: a finite number >= 0."""
    if value is None:
        raise read.fail(path, "expected a number for a sketch that is not empty, got null")
    number = read.number(value, path) + 0.0
    if number < 0:
        raise read.fail(path, f"expected a number >= 0, got {number!r}")
    return number


def _in_fine_units(value: float) -> int:
    """A finite float >= 0 as an exact multiple of 2**-1074, the smallest float."""
    numerator, denominator = value.as_integer_ratio()  # denominator: a power of 2
    return numerator << (_FINE_BITS + 1 - denominator.bit_length())
