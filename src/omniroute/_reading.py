"""Strict readers of plain (JSON-shaped) data, naming the path of the first bad field.

The shared base of every decoder in omniroute: snapshots and journals
(:class:`omniroute.codec.Decoder`), customer history and the wait estimator. Each
raises what its ``fail(path, reason)`` returns, so the caller chooses the error
class and how the message starts.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard, TypeVar

from omniroute.errors import ValidationError

__all__ = ["Reader", "finite", "is_int", "is_number", "kind"]

T = TypeVar("T")


class Reader:
    """Reads values of plain data strictly; ``fail(path, reason)`` makes the error."""

    def __init__(self, fail: Callable[[str, str], Exception], *, upgrade: bool = False) -> None:
        self.fail = fail
        # Data older than its newest format may lack fields added since: default them.
        self.upgrade = upgrade

    def record(
        self, value: Any, path: str, keys: tuple[str, ...], defaults: Mapping[str, Any] = {}
    ) -> Mapping[str, Any]:
        """A mapping with exactly these keys; those in ``defaults`` (fields newer
        than the oldest data we read) may be absent and take their default."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {kind(value)}")
        if value.keys() == _key_set(keys):  # the usual case, checked in one step
            return value
        if self.upgrade and any(key not in value for key in defaults):
            value = {**defaults, **value}
        assert isinstance(value, Mapping)
        missing = [key for key in keys if key not in value]
        if missing:
            raise self.fail(path, f"missing field(s) {missing}")
        extra = sorted(str(key) for key in value if key not in keys)
        if extra:
            raise self.fail(path, f"unexpected field(s) {extra}")
        return value

    def build(self, make: Callable[..., T], path: str, *args: Any, **fields: Any) -> T:
        """Build a model value; its own validation error becomes ours."""
        try:
            return make(*args, **fields)
        except ValidationError as exc:
            raise self.fail(path, str(exc)) from None

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {kind(value)}")
        return value

    def name(self, value: Any, path: str) -> str:
        """A non-empty string: an id."""
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected a non-empty string, got {kind(value)}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected a boolean, got {kind(value)}")
        return value

    def integer(self, value: Any, path: str) -> int:
        if not is_int(value):
            raise self.fail(path, f"expected an integer, got {kind(value)}")
        return value

    def number(self, value: Any, path: str) -> float:
        if not is_number(value):
            raise self.fail(path, f"expected a number, got {kind(value)}")
        if not finite(value):
            raise self.fail(path, f"expected a finite number, got {repr(value)[:80]}")
        return float(value)

    def optional(self, read: Callable[[Any, str], T], value: Any, path: str) -> T | None:
        return None if value is None else read(value, path)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {kind(value)}")
        return value

    def texts(self, value: Any, path: str) -> list[str]:
        return [self.text(item, f"{path}[{i}]") for i, item in enumerate(self.items(value, path))]


def is_int(value: object) -> TypeGuard[int]:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or a float that is not a bool (maybe not finite: see :func:`finite`)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite(value: float) -> bool:
    """Whether a number is finite; an int too large for a float is not."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@functools.cache
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


def kind(value: Any) -> str:
    """How a JSON reader would name this value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return f"{type(value).__name__} {value!r}"[:80]
