"""The converters of frozen value types' fields: a read-only dict for their
mappings, a frozenset for their sets of names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from omniroute.errors import FrozenMappingError, ValidationError, WrongType

V = TypeVar("V")


class FrozenDict(dict[str, V]):
    """A dict that refuses changes after construction.

    A subclass of dict, so reads cost what dict reads cost, ``json.dumps`` and
    ``==`` work, and a host may pass it wherever a dict is expected.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise FrozenMappingError(
            "this mapping belongs to a frozen omniroute value; build a new value instead"
        )

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[V]:
        import copy

        return type(self)(copy.deepcopy(dict(self), memo))


def frozen_map(value: Mapping[str, V] | None) -> FrozenDict[V]:
    """A frozen copy of ``value``. Anything but a mapping or None comes back as it
    is, for the owner's checks to refuse by name (a converter cannot name it)."""
    if isinstance(value, FrozenDict):
        return value
    if value is not None and not isinstance(value, Mapping):
        return value  # not a mapping: the owner's check names it
    return FrozenDict(value) if value else FrozenDict()


# attrs converters with concrete types: type checkers read a field's __init__
# parameter from its converter, and cannot solve a generic one.


def frozen_levels(value: Mapping[str, int] | None) -> FrozenDict[int]:
    """Converter for name → integer fields (skills, limits, costs)."""
    return frozen_map(value)


def frozen_metadata(value: Mapping[str, Any] | None) -> FrozenDict[Any]:
    """Converter for the host's own metadata."""
    return frozen_map(value)


def names(value: Any) -> frozenset[str]:
    # A bare string would become a set of its letters; treat it as one name.
    if isinstance(value, str):
        return frozenset([value])
    try:
        return frozenset(value)
    except TypeError:
        return value  # type: ignore[no-any-return]  # the owner's check names it


def check_names(
    owner: str, field: str, value: Any, what: str, error: type[ValidationError] = ValidationError
) -> None:
    """``value`` is a set of non-empty strings (``names``' output), else an error."""
    if not isinstance(value, frozenset):
        raise WrongType(f"{owner}: {field} must be a set of {what}, got {value!r}")
    for name in value:
        if not isinstance(name, str) or not name:
            raise error(f"{owner}: {what} must be non-empty strings, got {name!r}")
