"""Capacity: validation and the fit rules, one limit at a time and combined."""

from __future__ import annotations

import pytest

from omniroute import Capacity, CapacityError, ValidationError


def fits(cap: Capacity, channel: str, held: dict[str, int]) -> bool:
    active = sum(held.values())
    units = sum(cap.cost.get(c, 0) * n for c, n in held.items()) if cap.units else 0
    exclusive = any(n and c in cap.exclusive for c, n in held.items())
    return cap.fits(channel, active, held, units, exclusive)


class TestValidation:
    def test_simple_case_is_simple(self) -> None:
        """Capacity(total=3) needs nothing else."""
        assert Capacity(total=3).total == 3

    def test_needs_total_or_units(self) -> None:
        """Without total or units some channel would be unbounded."""
        with pytest.raises(CapacityError, match="total= or units="):
            Capacity(per_channel={"chat": 3})

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
    def test_total_must_be_positive_int(self, bad: object) -> None:
        """Zero, negatives, floats and bools are refused, naming the field."""
        with pytest.raises(CapacityError, match="total"):
            Capacity(total=bad)  # type: ignore[arg-type]

    def test_per_channel_zero_is_allowed_negative_is_not(self) -> None:
        """0 forbids a channel; a negative limit is an error."""
        assert Capacity(total=2, per_channel={"voice": 0}).per_channel == {"voice": 0}
        with pytest.raises(CapacityError, match=r"per_channel\['voice'\]"):
            Capacity(total=2, per_channel={"voice": -1})

    def test_cost_needs_units(self) -> None:
        """Prices without a budget mean nothing."""
        with pytest.raises(CapacityError, match="units="):
            Capacity(total=2, cost={"chat": 30})

    def test_cost_above_budget_is_refused(self) -> None:
        """A channel that could never fit is a configuration mistake."""
        with pytest.raises(CapacityError, match="exceeds units"):
            Capacity(units=100, cost={"voice": 120})

    def test_cost_must_be_positive(self) -> None:
        """A free channel would be unbounded."""
        with pytest.raises(CapacityError, match="cost"):
            Capacity(units=100, cost={"chat": 0})

    def test_errors_are_value_errors(self) -> None:
        """Hosts catching ValueError keep working."""
        with pytest.raises(ValueError, match="total"):
            Capacity(total=0)
        assert issubclass(CapacityError, ValidationError)

    def test_copies_its_inputs(self) -> None:
        """Mutating the dict given does not change the capacity."""
        per_channel = {"voice": 1}
        cap = Capacity(total=3, per_channel=per_channel)
        per_channel["voice"] = 5
        assert cap.per_channel == {"voice": 1}


class TestFits:
    def test_total(self) -> None:
        cap = Capacity(total=2)
        assert fits(cap, "chat", {"chat": 1})
        assert not fits(cap, "chat", {"chat": 2})
        assert not fits(cap, "email", {"chat": 1, "sms": 1})

    def test_per_channel(self) -> None:
        cap = Capacity(total=3, per_channel={"voice": 1, "video": 0})
        assert fits(cap, "voice", {"chat": 2})
        assert not fits(cap, "voice", {"voice": 1})
        assert not fits(cap, "video", {})
        assert fits(cap, "chat", {"voice": 1, "chat": 1})

    def test_exclusive_needs_empty_hands(self) -> None:
        """A call needs the operator to hold nothing else…"""
        cap = Capacity(total=3, exclusive={"voice"})
        assert fits(cap, "voice", {})
        assert not fits(cap, "voice", {"chat": 1})

    def test_exclusive_blocks_everything_while_held(self) -> None:
        """…and blocks every other assignment while it lasts."""
        cap = Capacity(total=3, exclusive={"voice"})
        assert not fits(cap, "chat", {"voice": 1})
        assert not cap.has_room(1, 0, holds_exclusive=True)

    def test_units(self) -> None:
        """100 units: a call costs 100, a chat 30, an e-mail 10."""
        cap = Capacity(units=100, cost={"voice": 100, "chat": 30, "email": 10})
        assert fits(cap, "chat", {"chat": 2, "email": 1})
        assert not fits(cap, "chat", {"chat": 3})
        assert fits(cap, "email", {"chat": 3})
        assert not fits(cap, "voice", {"email": 1})
        assert fits(cap, "voice", {})

    def test_units_only_priced_channels(self) -> None:
        """With a budget, a channel that cost= does not price cannot be taken."""
        cap = Capacity(units=100, cost={"chat": 30})
        assert not fits(cap, "sms", {})

    def test_combined(self) -> None:
        """Every limit applies at once: the tightest wins."""
        cap = Capacity(total=2, per_channel={"chat": 1}, units=100, cost={"chat": 30, "email": 80})
        assert not fits(cap, "chat", {"chat": 1})
        assert not fits(cap, "email", {"chat": 1})
        assert fits(cap, "email", {})
        assert not fits(cap, "chat", {"email": 1})

    def test_has_room_ignores_channels_but_not_budget(self) -> None:
        cap = Capacity(units=100, cost={"chat": 30, "email": 10})
        assert cap.has_room(9, 90, holds_exclusive=False)
        assert not cap.has_room(10, 100, holds_exclusive=False)

    def test_utilisation_is_the_tightest_share(self) -> None:
        cap = Capacity(total=4, units=100, cost={"chat": 30})
        assert cap.utilisation(1, 60) == 0.6
        assert cap.utilisation(3, 30) == 0.75


class TestViolations:
    def test_none_within_limits(self) -> None:
        assert Capacity(total=3, per_channel={"voice": 1}).violations({"voice": 1, "chat": 2}) == []

    def test_each_limit_is_named(self) -> None:
        cap = Capacity(total=2, per_channel={"chat": 1}, exclusive={"voice"})
        problems = cap.violations({"chat": 2, "voice": 1})
        assert any("total limit is 2" in p for p in problems)
        assert any("'chat', limit is 1" in p for p in problems)
        assert any("exclusive" in p for p in problems)

    def test_budget(self) -> None:
        cap = Capacity(units=100, cost={"chat": 30})
        assert any("units" in p for p in cap.violations({"chat": 4}))
        assert any("does not price" in p for p in cap.violations({"sms": 1}))
