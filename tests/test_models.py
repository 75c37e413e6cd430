"""The value types validate on construction and copy what they are given."""

from __future__ import annotations

import json
import pickle
from typing import Any

import attrs
import pytest

from omniroute import (
    Capacity,
    Channel,
    Conversation,
    FrozenMappingError,
    Group,
    Operator,
    ValidationError,
)
from omniroute.strategies import LeastLoaded, RoundRobin


class TestConversation:
    def test_defaults(self) -> None:
        c = Conversation("c1", channel=Channel.CHAT, group="billing")
        assert (c.priority, c.requires, c.customer_id, c.metadata) == (0, {}, None, {})

    def test_is_frozen(self) -> None:
        c = Conversation("c1", channel="chat", group="g")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            c.priority = 3  # type: ignore[misc]

    def test_copies_metadata_and_requires(self) -> None:
        meta: dict[str, Any] = {"topic": "cards"}
        requires = {"ru": 2}
        c = Conversation("c1", channel="chat", group="g", metadata=meta, requires=requires)
        meta["topic"] = "loans"
        requires["ru"] = 5
        assert c.metadata == {"topic": "cards"}
        assert c.requires == {"ru": 2}

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"id": ""}, "id must be a non-empty string"),
            ({"id": 7}, "id must be a non-empty string"),
            ({"channel": ""}, "'c1': channel"),
            ({"group": 5}, "'c1': group"),
            ({"priority": 1.5}, "'c1': priority"),
            ({"priority": True}, "'c1': priority"),
            ({"requires": {"ru": -1}}, r"'c1': requires\['ru'\]"),
            ({"requires": {"ru": "high"}}, r"'c1': requires\['ru'\]"),
            ({"customer_id": 5}, "'c1': customer_id"),
            ({"created_at": "yesterday"}, "'c1': created_at"),
        ],
    )
    def test_bad_values_name_the_id_and_field(self, kwargs: dict[str, Any], match: str) -> None:
        fields: dict[str, Any] = {"id": "c1", "channel": "chat", "group": "g"} | kwargs
        with pytest.raises(ValidationError, match=match):
            Conversation(**fields)

    def test_well_known_channels(self) -> None:
        assert {Channel.CHAT, Channel.MESSENGER, Channel.SMS, Channel.EMAIL} <= {
            "chat",
            "messenger",
            "sms",
            "email",
        }
        assert (Channel.VOICE, Channel.VIDEO, Channel.SOCIAL) == ("voice", "video", "social")


class TestOperator:
    def test_defaults_to_one_at_a_time(self) -> None:
        assert Operator("ann").capacity == Capacity(total=1)

    def test_a_single_group_name_is_not_split_into_letters(self) -> None:
        assert Operator("ann", groups="billing").groups == frozenset({"billing"})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"id": ""}, "Operator id"),
            ({"skills": {"ru": -2}}, r"'ann': skills\['ru'\]"),
            ({"groups": {""}}, "'ann': group ids"),
            ({"capacity": 3}, "'ann': capacity must be a Capacity"),
        ],
    )
    def test_bad_values(self, kwargs: dict[str, Any], match: str) -> None:
        fields: dict[str, Any] = {"id": "ann"} | kwargs
        with pytest.raises(ValidationError, match=match):
            Operator(**fields)


class TestGroup:
    def test_default_strategy_is_least_loaded(self) -> None:
        assert isinstance(Group("g").strategy, LeastLoaded)

    def test_each_group_gets_its_own_default_instance(self) -> None:
        assert Group("a").strategy is not Group("b").strategy

    def test_strategy_must_follow_the_protocol(self) -> None:
        with pytest.raises(ValidationError, match="'g': strategy must implement"):
            Group("g", strategy="round_robin")  # type: ignore[arg-type]

    def test_accepts_a_strategy(self) -> None:
        assert Group("g", strategy=RoundRobin()).strategy.name == "round_robin"


class TestFrozenMappings:
    def test_mappings_inside_values_cannot_change(self) -> None:
        """Changing them behind the Router's back would skip validation."""
        c = Conversation("c1", channel="chat", group="g", requires={"ru": 1}, metadata={"a": 1})
        op = Operator("ann", skills={"ru": 3}, capacity=Capacity(total=2, per_channel={"v": 1}))
        for mapping in (c.requires, c.metadata, op.skills, op.capacity.per_channel):
            with pytest.raises(FrozenMappingError, match="build a new value"):
                mapping["x"] = 1  # type: ignore[index]
            with pytest.raises(TypeError):
                mapping.update({"x": 1})  # type: ignore[attr-defined]

    def test_values_still_pickle_and_serialise(self) -> None:
        c = Conversation("c1", channel="chat", group="g", requires={"ru": 1}, metadata={"a": [1]})
        assert pickle.loads(pickle.dumps(c)) == c
        assert json.loads(json.dumps(c.metadata)) == {"a": [1]}
        op = Operator("ann", skills={"ru": 3}, capacity=Capacity(units=100, cost={"chat": 30}))
        assert pickle.loads(pickle.dumps(op)) == op

    def test_requirement_is_the_sorted_requires(self) -> None:
        c = Conversation("c1", channel="chat", group="g", requires={"ru": 1, "de": 2})
        assert c.requirement == (("de", 2), ("ru", 1))

    def test_single_exclusive_channel_name(self) -> None:
        assert Capacity(total=2, exclusive="voice").exclusive == frozenset({"voice"})


def test_routed_copies_every_field() -> None:
    """``Conversation.routed`` skips validation, so it must not forget a field: a
    copy routed to nothing new equals the original, and a new field list fails here."""
    import attrs as _attrs

    from omniroute import Relaxation
    from omniroute._frozen import frozen_levels

    c = Conversation(
        "c1",
        channel="chat",
        group="g",
        customer_id="u",
        priority=2,
        requires={"ru": 1},
        relax=[Relaxation(5, {})],
        prefer_operator="ann",
        prefer_wait=30.0,
        created_at=1.0,
        metadata={"k": 1},
    )
    assert c.routed() == c
    assert [f.name for f in _attrs.fields(Conversation)] == [
        "id", "channel", "group", "customer_id", "priority", "requires", "relax",
        "prefer_operator", "prefer_wait", "created_at", "metadata", "requirement",
    ]  # fmt: skip
    moved = c.routed(group="h", requires=frozen_levels({"ru": 3}), priority=5)
    assert moved == _attrs.evolve(c, group="h", requires={"ru": 3}, priority=5)
    assert moved.requirement == (("ru", 3),)
