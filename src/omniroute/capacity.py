"""How much work an operator may hold at once.

One model covers the limits contact centres use, all combinable:

* ``total`` — at most this many conversations at once (Rocket.Chat's "max chats");
* ``per_channel`` — at most this many of one channel (``{"voice": 1}``; 0 forbids it);
* ``exclusive`` — channels that need the operator to hold nothing else, and that block
  every other assignment while they last (a phone call);
* ``units`` and ``cost`` — a budget, as in Azure's job router and Salesforce
  Omni-Channel: 100 units, a call costs 100, a chat 30, an e-mail 10. With a budget,
  an operator takes only the channels that ``cost`` prices.

The simple case stays simple: ``Capacity(total=3)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from omniroute._frozen import check_names, frozen_levels, names
from omniroute.errors import CapacityError, WrongType

__all__ = ["Capacity", "channels_differ"]


def _check_channel_counts(name: str, counts: Mapping[str, int], minimum: int) -> None:
    if not isinstance(counts, Mapping):
        raise WrongType(f"Capacity {name} must be a mapping of channel to count, got {counts!r}")
    for channel, limit in counts.items():
        if not isinstance(channel, str) or not channel:
            raise CapacityError(f"Capacity {name} keys must be channel names, got {channel!r}")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < minimum:
            raise CapacityError(
                f"Capacity {name}[{channel!r}] must be an int >= {minimum}, got {limit!r}"
            )


def _positive_or_none(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CapacityError(f"Capacity {name} must be a positive int or None, got {value!r}")


@attrs.frozen(kw_only=True)
class Capacity:
    """The limits on what one operator may hold at once.

    ``total`` or ``units`` must be given, so that every channel — including ones
    nobody has named yet — is bounded. Raises :class:`~omniroute.CapacityError` on
    malformed limits.

    >>> Capacity(total=3, per_channel={"voice": 1}, exclusive={"voice"}).total
    3
    """

    total: int | None = None
    per_channel: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels)
    exclusive: frozenset[str] = attrs.field(factory=frozenset, converter=names)
    units: int | None = None
    cost: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels)
    _cheapest: int | None = attrs.field(init=False, default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _positive_or_none("total", self.total)
        _positive_or_none("units", self.units)
        if self.total is None and self.units is None:
            raise CapacityError(
                "Capacity needs total= or units= so that every channel is bounded; "
                "for one conversation at a time write Capacity(total=1)"
            )
        _check_channel_counts("per_channel", self.per_channel, minimum=0)
        _check_channel_counts("cost", self.cost, minimum=1)
        check_names("Capacity", "exclusive", self.exclusive, "channel names", CapacityError)
        if self.cost and self.units is None:
            raise CapacityError("Capacity cost= only makes sense with units=")
        if self.units is not None:
            for channel, price in self.cost.items():
                if price > self.units:
                    raise CapacityError(
                        f"Capacity cost[{channel!r}]={price} exceeds units={self.units}: "
                        "that channel could never be taken"
                    )
        # Frozen, so set the derived field the way attrs' own __init__ does.
        object.__setattr__(self, "_cheapest", min(self.cost.values(), default=None))

    def fits(
        self,
        channel: str,
        active: int,
        active_by_channel: Mapping[str, int],
        units_used: int,
        holds_exclusive: bool,
    ) -> bool:
        """Whether one more conversation on ``channel`` fits beside the given load.

        Runtime complexity: ``O(1)``.
        """
        if holds_exclusive:
            return False
        if active and channel in self.exclusive:
            return False
        if self.total is not None and active >= self.total:
            return False
        limit = self.per_channel.get(channel)
        if limit is not None and active_by_channel.get(channel, 0) >= limit:
            return False
        if self.units is not None:
            price = self.cost.get(channel)
            if price is None or units_used + price > self.units:
                return False
        return True

    def has_room(self, active: int, units_used: int, holds_exclusive: bool) -> bool:
        """Whether some channel could still fit; what an index of free operators keeps.

        Per-channel limits are not looked at: the Router checks the channel itself.
        """
        if holds_exclusive:
            return False
        if self.total is not None and active >= self.total:
            return False
        if self.units is not None:
            cheapest = self._cheapest
            if cheapest is None or units_used + cheapest > self.units:
                return False
        return True

    def violations(self, active_by_channel: Mapping[str, int]) -> list[str]:
        """Why a load (conversations held, per channel) breaks these limits; [] if none.

        Used before an operator's capacity is replaced, and by invariant checks.
        """
        held = {channel: n for channel, n in active_by_channel.items() if n}
        active = sum(held.values())
        problems = []
        if self.total is not None and active > self.total:
            problems.append(f"holds {active} conversations, total limit is {self.total}")
        for channel, n in held.items():
            limit = self.per_channel.get(channel)
            if limit is not None and n > limit:
                problems.append(f"holds {n} on {channel!r}, limit is {limit}")
            if channel in self.exclusive and active > 1:
                problems.append(f"holds {channel!r}, which is exclusive, beside other work")
        if self.units is not None:
            unpriced = sorted(channel for channel in held if channel not in self.cost)
            if unpriced:
                problems.append(f"holds {unpriced}, which cost= does not price")
            used = sum(self.cost.get(channel, 0) * n for channel, n in held.items())
            if used > self.units:
                problems.append(f"uses {used} units, budget is {self.units}")
        return problems

    def utilisation(self, active: int, units_used: int) -> float:
        """The share of the tightest of ``total`` and ``units`` in use, in [0, 1].

        The Router reports 1.0 instead while an exclusive conversation is held.
        """
        share = 0.0
        if self.total is not None:
            share = active / self.total
        if self.units is not None:
            share = max(share, units_used / self.units)
        return share

    def cost_of(self, channel: str) -> int:
        """The units one conversation on ``channel`` uses (0 without a budget)."""
        return self.cost.get(channel, 0) if self.units is not None else 0


def channels_differ(capacity: Capacity) -> bool:
    """Whether which channels fit an operator with room depends on the channel:
    per-channel limits, exclusive channels or a units budget. Else ``total`` is the
    only limit, and any channel fits while they have room."""
    return bool(capacity.per_channel or capacity.exclusive or capacity.units is not None)
