"""Group selection rules: conditions, first match wins, the default, and encoding."""

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omniroute import Conversation, FrozenMappingError, JournalError, SnapshotError
from omniroute.codec import Decoder
from omniroute.errors import ConfigurationError, NoRoute, UnknownGroup
from omniroute.rules import (
    Condition,
    Eq,
    Exists,
    Ge,
    Gt,
    In,
    Le,
    Lt,
    Missing,
    Ne,
    NotIn,
    Rule,
    Rules,
    decode_rules,
    encode_rules,
)


def conv(**fields: Any) -> Conversation:
    """A chat in the group "inbox", with ``fields`` changed."""
    return Conversation(**({"id": "c1", "channel": "chat", "group": "inbox"} | fields))


def holds(condition: Any, **fields: Any) -> bool:
    """Whether a rule with one condition on "x" matches a conversation with these
    metadata fields."""
    return Rule("g", when={"x": condition}).matches(conv(metadata=fields))


class TestConditions:
    def test_a_plain_value_means_equality(self) -> None:
        """A JSON scalar in ``when`` is stored as ``Eq`` of it."""
        assert {"channel": Eq("sms"), "vip": Eq(True), "n": Eq(None)} == Rule(
            "g", when={"channel": "sms", "vip": True, "n": None}
        ).when

    @pytest.mark.parametrize(
        ("condition", "value", "expected"),
        [
            (Eq("chat"), "chat", True),
            (Eq("chat"), "Chat", False),
            (Eq(1), 1.0, True),
            (Eq(1), True, False),
            (Eq(True), 1, False),
            (Eq(1), "1", False),
            (Eq(None), None, True),
            (Eq(None), 0, False),
            (Eq(0), None, False),
            (Eq("a"), ["a"], False),
        ],
    )
    def test_equality_needs_the_same_kind(self, condition: Eq, value: Any, expected: bool) -> None:
        """Booleans, numbers, strings and None are separate kinds: 1 is not True."""
        assert expected == holds(condition, x=value)

    @pytest.mark.parametrize(
        ("condition", "value", "expected"),
        [
            (Ne("eu"), "us", True),
            (Ne("eu"), "eu", False),
            (Ne("eu"), 5, True),
            (Ne(1), True, True),
            (In("de", "fr"), "fr", True),
            (In("de", "fr"), "en", False),
            (In(1, "a"), 1.0, True),
            (In(1), True, False),
            (In("a"), ["a"], False),
            (NotIn("de", "fr"), "en", True),
            (NotIn("de", "fr"), "de", False),
            (NotIn(1), True, True),
            (NotIn("a"), ["a"], True),
        ],
    )
    def test_membership_and_inequality(self, condition: Any, value: Any, expected: bool) -> None:
        """``In``/``NotIn``/``Ne`` compare like ``Eq``, kind included; an unhashable
        value is simply not a member."""
        assert expected == holds(condition, x=value)

    @pytest.mark.parametrize(
        ("condition", "value", "expected"),
        [
            (Gt(3), 4, True),
            (Gt(3), 3, False),
            (Gt(3), 3.5, True),
            (Ge(3), 3, True),
            (Ge(3), 2.99, False),
            (Lt(3), 2, True),
            (Lt(3), 3, False),
            (Le(3.5), 3.5, True),
            (Le(3.5), 4, False),
            (Gt("m"), "z", True),
            (Lt("m"), "a", True),
            (Ge("b"), "a", False),
        ],
    )
    def test_order_comparisons(self, condition: Any, value: Any, expected: bool) -> None:
        """Numbers compare as numbers and strings by code point."""
        assert expected == holds(condition, x=value)

    @pytest.mark.parametrize(
        ("condition", "value"),
        [
            *[
                (c, v)
                for c in (Gt(3), Ge(3), Lt(3), Le(3))
                for v in ("4", True, False, None, [1], {"a": 1}, math.nan, 2j)
            ],
            *[(c, v) for c in (Gt("a"), Lt("z")) for v in (1, 0.5, True, None, ["b"])],
        ],
    )
    def test_comparing_different_kinds_is_no_match_not_an_error(
        self, condition: Any, value: Any
    ) -> None:
        """A string against a number, a boolean, None, a list or NaN never matches and
        never raises at routing time."""
        assert holds(condition, x=value) is False

    def test_exists_and_missing(self) -> None:
        """``Exists`` needs the key, whatever its value (None included); ``Missing``
        needs it absent."""
        assert (
            holds(Exists(), x=None),
            holds(Exists(), x=0),
            holds(Exists()),
        ) == (True, True, False)
        assert (
            holds(Missing()),
            holds(Missing(), x=None),
            holds(Missing(), x="a"),
        ) == (True, False, False)

    @pytest.mark.parametrize(
        "condition", [Eq("a"), Ne("a"), In("a"), NotIn("a"), Gt(1), Ge(1), Lt(1), Le(1), Exists()]
    )
    def test_an_absent_attribute_matches_only_missing(self, condition: Condition) -> None:
        """Even ``Ne`` and ``NotIn`` need the attribute present."""
        assert holds(condition) is False

    def test_a_customer_id_of_none_is_absent(self) -> None:
        """No customer id means the attribute is missing, not equal to None."""
        rule = Rule("g", when={"customer_id": Missing()})
        assert (rule.matches(conv()), rule.matches(conv(customer_id="u1"))) == (True, False)
        assert Rule("g", when={"customer_id": Eq(None)}).matches(conv()) is False

    def test_equal_conditions_compare_by_kind(self) -> None:
        """Conditions that would behave differently are not equal: Eq(1) is not
        Eq(True), but Eq(1) is Eq(1.0)."""
        assert (Eq(1) == Eq(True), Eq(1) == Eq(1.0), In(1, "a") == In(1.0, "a")) == (
            False,
            True,
            True,
        )
        assert (In(1) == In(True), Ne(0) == Ne(False)) == (False, False)

    def test_repr_reads_like_the_call(self) -> None:
        """A condition shows as the call that builds it."""
        shown = [Eq("a"), Ne(1), In("a", 2), NotIn(None), Gt(1.5), Ge(2), Lt("z"), Le(0)]
        assert (
            repr(shown)
            == "[Eq('a'), Ne(1), In('a', 2), NotIn(None), Gt(1.5), Ge(2), Lt('z'), Le(0)]"
        )
        assert repr([Exists(), Missing()]) == "[Exists(), Missing()]"

    def test_conditions_are_frozen(self) -> None:
        """A condition cannot change once built."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            Gt(1).value = 2  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("make", "match"),
        [
            (lambda: In(), r"In\(\) needs at least one value"),
            (lambda: NotIn(), r"NotIn\(\) needs at least one value"),
            (lambda: In(["a", "b"]), r"In: .*got \['a', 'b'\]; pass the values themselves"),  # type: ignore[arg-type]
            (lambda: NotIn({"a"}), r"NotIn: .*got \{'a'\}; pass the values themselves"),  # type: ignore[arg-type]
            (lambda: In("a", object), "In: values must be JSON scalars"),  # type: ignore[arg-type]
            (lambda: Eq([1]), r"Eq: values must be JSON scalars .*got \[1\]"),  # type: ignore[arg-type]
            (lambda: Eq(math.nan), "Eq: .*numbers finite.*got nan"),
            (lambda: Ne(math.inf), "Ne: .*got inf"),
            (lambda: Gt(None), "Gt: compares with a finite number or a string, got None"),  # type: ignore[arg-type]
            (lambda: Ge(True), "Ge: compares with a finite number or a string, got True"),
            (lambda: Lt(math.inf), "Lt: .*got inf"),
            (lambda: Le([1]), r"Le: .*got \[1\]"),  # type: ignore[arg-type]
        ],
    )
    def test_bad_values_are_refused_on_construction(self, make: Any, match: str) -> None:
        """Condition values must be JSON scalars (finite), order comparisons need a
        number or a string, and membership needs at least one value."""
        with pytest.raises(ConfigurationError, match=match):
            make()

    @given(values=st.lists(st.none() | st.booleans() | st.integers() | st.text(), min_size=1))
    def test_in_is_any_eq_and_not_in_its_negation(self, values: list[Any]) -> None:
        """``In`` agrees with a loop over ``Eq``, ``NotIn`` and ``Ne`` are negations."""
        for actual in [*values, 0, 1, True, False, None, "", "x", 1.0]:
            expected = any(Eq(v).holds(actual) for v in values)
            assert (expected, not expected) == (
                In(*values).holds(actual),
                NotIn(*values).holds(actual),
            )
            assert Ne(values[0]).holds(actual) is not Eq(values[0]).holds(actual)


class TestRule:
    def test_an_empty_when_matches_everything(self) -> None:
        """No conditions, no constraint."""
        assert Rule("g").matches(conv(channel="voice", metadata={"a": 1})) is True

    def test_every_condition_must_hold(self) -> None:
        """Conditions are joined with AND."""
        rule = Rule("g", when={"channel": "sms", "topic": "refund"})
        assert (
            rule.matches(conv(channel="sms", metadata={"topic": "refund"})),
            rule.matches(conv(channel="chat", metadata={"topic": "refund"})),
            rule.matches(conv(channel="sms", metadata={"topic": "loan"})),
        ) == (True, False, False)

    def test_fields_are_read_from_the_conversation_before_metadata(self) -> None:
        """``channel``, ``priority`` and ``customer_id`` are the conversation's own; a
        metadata key of the same name is not looked at."""
        c = conv(
            channel="sms",
            priority=4,
            customer_id="u1",
            metadata={"channel": "chat", "priority": 0, "customer_id": "u2"},
        )
        assert Rule("g", when={"channel": "sms", "priority": Gt(3), "customer_id": "u1"}).matches(c)
        assert not Rule("g", when={"channel": "chat"}).matches(c)

    def test_defaults(self) -> None:
        """A rule only needs a group."""
        rule = Rule("g")
        assert (rule.when, rule.requires, rule.priority, rule.name) == ({}, {}, None, None)

    def test_copies_and_freezes_its_mappings(self) -> None:
        """Changing what was passed in changes nothing; the rule's own mappings refuse
        changes."""
        when: dict[str, Any] = {"topic": "refund"}
        requires = {"en": 1}
        rule = Rule("g", when=when, requires=requires)
        when["topic"] = "loan"
        requires["en"] = 5
        assert ({"topic": Eq("refund")}, {"en": 1}) == (rule.when, rule.requires)
        with pytest.raises(FrozenMappingError):
            rule.when["x"] = Eq(1)  # type: ignore[index]

    def test_describe_names_the_rule(self) -> None:
        """Messages name a rule by its name, else by its group."""
        assert (
            Rule("g", name="vip").describe(),
            Rule("billing").describe(),
        ) == ("rule 'vip'", "rule to 'billing'")

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"group": ""}, "^rule: group must be a non-empty string, got ''"),
            ({"group": "", "name": "vip"}, "^rule 'vip': group must be a non-empty string"),
            ({"group": 5}, "^rule: group must be a non-empty string, got 5"),
            ({"name": ""}, "^rule name must be a non-empty string, got ''"),
            ({"name": 3}, "^rule name must be a non-empty string, got 3"),
            ({"when": ["channel"]}, r"^rule to 'g': when must be a mapping, got \['channel'\]"),
            ({"when": {"": "a"}}, "^rule to 'g': when keys must be attribute names, got ''"),
            ({"when": {3: "a"}}, "^rule to 'g': when keys must be attribute names, got 3"),
            (
                {"when": {"topic": ["a", "b"]}, "name": "vip"},
                r"^rule 'vip': when\['topic'\] must be a JSON scalar .* or one of Eq, Ne, In",
            ),
            ({"when": {"x": math.nan}}, r"^rule to 'g': when\['x'\] must be a JSON scalar"),
            ({"requires": {"en": -1}}, r"^rule to 'g': requires\['en'\] must be an int >= 0"),
            ({"requires": {"en": True}}, r"^rule to 'g': requires\['en'\] must be an int >= 0"),
            ({"requires": {"": 1}}, "^rule to 'g': requires keys must be skill names"),
            ({"priority": 1.5}, "^rule to 'g': priority must be an int or None, got 1.5"),
            ({"priority": True}, "^rule to 'g': priority must be an int or None, got True"),
        ],
    )
    def test_bad_fields_name_the_rule_and_the_reason(
        self, kwargs: dict[str, Any], match: str
    ) -> None:
        """Every malformed field is refused on construction, naming the rule."""
        with pytest.raises(ConfigurationError, match=match):
            Rule(**({"group": "g"} | kwargs))

    def test_a_condition_of_our_own_is_refused(self) -> None:
        """Only the built-in conditions encode, so only they are accepted."""

        class Odd(Condition):
            op = "odd"

            def holds(self, value: Any) -> bool:
                return bool(value % 2)

        with pytest.raises(ConfigurationError, match=r"when\['n'\] must be .*got .*Odd"):
            Rule("g", when={"n": Odd()})


class TestRules:
    RULES = Rules(
        [
            Rule("vip", when={"tier": "gold"}, priority=5, requires={"en": 3}, name="vip"),
            Rule("billing", when={"topic": In("invoice", "refund")}, requires={"billing": 1}),
            Rule("sms", when={"channel": "sms"}),
        ],
        default="support",
    )

    def test_the_first_matching_rule_wins(self) -> None:
        """Rules are tried in order; later matches are ignored; None means the default."""
        every = conv(channel="sms", metadata={"tier": "gold", "topic": "refund"})
        two = conv(channel="sms", metadata={"topic": "refund"})
        first, second, third = self.RULES.rules
        assert (first, second, third, None) == (
            self.RULES.match(every),
            self.RULES.match(two),
            self.RULES.match(conv(channel="sms")),
            self.RULES.match(conv()),
        )

    def test_apply_sets_the_group_merges_requires_and_raises_priority(self) -> None:
        """Skills merge with the higher level per skill; priority only goes up."""
        c = conv(metadata={"tier": "gold"}, requires={"en": 1, "de": 2}, priority=1)
        assert (
            (routed := self.RULES.apply(c)).group,
            routed.requires,
            routed.priority,
        ) == ("vip", {"en": 3, "de": 2}, 5)
        high = self.RULES.apply(conv(metadata={"tier": "gold"}, requires={"en": 4}, priority=9))
        assert (high.requires, high.priority) == ({"en": 4}, 9)

    def test_apply_keeps_everything_else(self) -> None:
        """Only group, requires and priority change; the input is left as it was."""
        c = conv(
            channel="sms",
            customer_id="u1",
            created_at=12.5,
            metadata={"topic": "refund", "page": "/help"},
        )
        routed = self.RULES.apply(c)
        assert attrs.evolve(c, group="billing", requires={"billing": 1}) == routed
        assert c.group == "inbox"

    def test_apply_uses_the_default_and_changes_nothing_else(self) -> None:
        """No match: the default group, requires and priority as they were."""
        c = conv(channel="voice", requires={"en": 1}, priority=2)
        assert attrs.evolve(c, group="support") == self.RULES.apply(c)

    def test_no_match_and_no_default_names_the_conversation_and_what_was_looked_at(
        self,
    ) -> None:
        """``NoRoute`` names the id and each attribute the rules read, with its value."""
        rules = Rules(
            [
                Rule("vip", when={"tier": "gold", "priority": Gt(3)}),
                Rule("sms", when={"channel": "sms"}),
            ]
        )
        with pytest.raises(
            NoRoute,
            match=r"^Conversation 'c7': no rule matches and there is no default group; "
            r"the rules look at tier \(absent\), priority=0, channel='chat'$",
        ):
            rules.apply(conv(id="c7"))

    def test_no_route_is_a_lookup_error(self) -> None:
        """A host's ``except LookupError`` catches it."""
        with pytest.raises(LookupError):
            Rules([Rule("sms", when={"channel": "sms"})]).apply(conv())

    def test_a_default_alone_routes_everything(self) -> None:
        """No rules, only a default."""
        assert Rules([], default="support").apply(conv()).group == "support"

    def test_a_conversation_without_a_group_gets_one(self) -> None:
        """The Router's case: a conversation submitted with ``group=""``."""
        assert self.RULES.apply(conv(group="", metadata={"topic": "invoice"})).group == "billing"

    def test_groups_lists_every_destination(self) -> None:
        """Rule groups and the default: the groups the Router must keep."""
        assert frozenset({"vip", "billing", "sms", "support"}) == self.RULES.groups()
        assert frozenset({"a"}) == Rules([Rule("a"), Rule("a")]).groups()

    def test_check_groups_accepts_known_groups(self) -> None:
        """Nothing raised when every group is known."""
        self.RULES.check_groups({"vip", "billing", "sms", "support", "other"})

    @pytest.mark.parametrize(
        ("known", "match"),
        [
            (
                {"billing", "sms", "support"},
                r"^rule 'vip' \(#1\) routes to the unknown group 'vip'; "
                r"known groups: \['billing', 'sms', 'support'\]$",
            ),
            (
                {"vip", "sms", "support"},
                r"^rule #2 routes to the unknown group 'billing'; known groups: ",
            ),
            (
                {"vip", "billing", "sms"},
                r"^the default group 'support' is unknown; "
                r"known groups: \['billing', 'sms', 'vip'\]$",
            ),
        ],
    )
    def test_check_groups_names_the_rule_and_the_unknown_group(
        self, known: set[str], match: str
    ) -> None:
        """By name when the rule has one, else by its 1-based position."""
        with pytest.raises(UnknownGroup, match=match):
            self.RULES.check_groups(known)

    @pytest.mark.parametrize(
        ("args", "kwargs", "match"),
        [
            ([[]], {}, "^no rules and no default group"),
            ([[Rule("a"), "b"]], {}, "^rule #2 is not a Rule: 'b'"),
            (
                [[Rule("a", name="x"), Rule("b", name="x")]],
                {},
                "^rule #2 has the name 'x' of rule #1",
            ),
            (["billing"], {}, "^rules must be a sequence of Rule, got 'billing'"),
            ([5], {}, "^rules must be a sequence of Rule, got 5"),
            ([[Rule("a")]], {"default": ""}, "^the default group must be a non-empty string"),
            ([[Rule("a")]], {"default": 3}, "^the default group must be a non-empty string"),
        ],
    )
    def test_bad_rules_are_refused(
        self, args: list[Any], kwargs: dict[str, Any], match: str
    ) -> None:
        """An empty list without default, a stranger in the list, two rules of one
        name, a malformed default."""
        with pytest.raises(ConfigurationError, match=match):
            Rules(*args, **kwargs)

    def test_takes_any_sequence_and_keeps_a_tuple(self) -> None:
        """A list or a generator becomes a tuple, so the rules cannot change."""
        assert (Rule("a"), Rule("b")) == Rules(Rule(g) for g in "ab").rules  # type: ignore[arg-type]


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
ORDERED = st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
CONDITIONS = st.one_of(
    SCALARS,
    SCALARS.map(Eq),
    SCALARS.map(Ne),
    st.lists(SCALARS, min_size=1, max_size=4).map(lambda vs: In(*vs)),
    st.lists(SCALARS, min_size=1, max_size=4).map(lambda vs: NotIn(*vs)),
    st.sampled_from([Gt, Ge, Lt, Le]).flatmap(lambda op: ORDERED.map(op)),
    st.just(Exists()),
    st.just(Missing()),
)
NAMES = st.text(min_size=1, max_size=6)


@st.composite
def rule_sets(draw: st.DrawFn) -> Rules:
    rules = draw(
        st.lists(
            st.builds(
                Rule,
                NAMES,
                when=st.dictionaries(NAMES, CONDITIONS, max_size=4),
                requires=st.dictionaries(NAMES, st.integers(0, 9), max_size=2),
                priority=st.none() | st.integers(),
                name=st.none() | NAMES,
            ),
            max_size=4,
            unique_by=lambda r: r.name if r.name is not None else id(r),
        )
    )
    default = draw(NAMES if not rules else st.none() | NAMES)
    return Rules(rules, default=default)


# -- encoding ------------------------------------------------------------------------

SNAPSHOT = Decoder(SnapshotError, "snapshot")

ALL_CONDITIONS = Rules(
    [
        Rule(
            "a",
            name="every",
            when={
                "k1": "x",
                "k2": Ne(1.5),
                "k3": In("a", 1, True, None),
                "k4": NotIn(2),
                "k5": Gt(0),
                "k6": Ge("m"),
                "k7": Lt(-1),
                "k8": Le(7.25),
                "k9": Exists(),
                "k10": Missing(),
            },
            requires={"en": 2},
            priority=3,
        ),
        Rule("b"),
    ],
    default="c",
)


class TestEncoding:
    def test_encodes_to_plain_data(self) -> None:
        """The documented shape: one object per rule, one per condition."""
        assert encode_rules(
            Rules(
                [
                    Rule(
                        "sms",
                        name="texts",
                        when={"channel": "sms", "lang": In("de", "fr"), "vip": Exists()},
                        requires={"en": 1},
                        priority=2,
                    )
                ]
            )
        ) == {
            "rules": [
                {
                    "group": "sms",
                    "name": "texts",
                    "when": {
                        "channel": {"op": "eq", "value": "sms"},
                        "lang": {"op": "in", "values": ["de", "fr"]},
                        "vip": {"op": "exists"},
                    },
                    "requires": {"en": 1},
                    "priority": 2,
                }
            ],
            "default": None,
        }

    def test_every_condition_survives_json(self) -> None:
        """Encode, ``json.dumps``, ``json.loads``, decode: the same rules."""
        text = json.dumps(encode_rules(ALL_CONDITIONS))
        assert decode_rules(SNAPSHOT, json.loads(text), "rules") == ALL_CONDITIONS

    @pytest.mark.parametrize("error", [SnapshotError, JournalError])
    def test_raises_the_decoders_error(self, error: type[Exception]) -> None:
        """The caller chooses the error class, as for the Decoder's other readers."""
        with pytest.raises(error, match=r"^what rules: expected an object"):
            decode_rules(Decoder(error, "what"), [], "rules")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("change", "match"),
        [
            (lambda d: d.pop("default"), r"^snapshot rules: missing field\(s\) \['default'\]"),
            (lambda d: d.update(extra=1), r"^snapshot rules: unexpected field\(s\) \['extra'\]"),
            (lambda d: d.update(rules={}), "^snapshot rules.rules: expected a list"),
            (lambda d: d.update(default=5), "^snapshot rules.default: expected a string"),
            (lambda d: d.update(default=""), "^snapshot rules: the default group must be"),
            (
                lambda d: d.update(rules=[], default=None),
                "^snapshot rules: no rules and no default",
            ),
            (lambda d: d["rules"].append(5), r"^snapshot rules.rules\[2\]: expected an object"),
            (lambda d: d["rules"][1].pop("when"), r"^snapshot rules.rules\[1\]: missing field"),
            (lambda d: d["rules"][1].update(x=1), r"^snapshot rules.rules\[1\]: unexpected"),
            (lambda d: d["rules"][1].update(group=""), r"^snapshot rules.rules\[1\]: rule: group"),
            (
                lambda d: d["rules"][1].update(group=1),
                r"^snapshot rules.rules\[1\].group: expected",
            ),
            (lambda d: d["rules"][1].update(name=1), r"^snapshot rules.rules\[1\].name: expected"),
            (
                lambda d: d["rules"][1].update(priority=1.0),
                r"^snapshot rules.rules\[1\].priority: expected an integer",
            ),
            (
                lambda d: d["rules"][1].update(requires={"en": "x"}),
                r"^snapshot rules.rules\[1\].requires.en: expected an integer",
            ),
            (
                lambda d: d["rules"][1].update(requires={"en": -1}),
                r"^snapshot rules.rules\[1\]: rule to 'b': requires\['en'\] must be",
            ),
            (
                lambda d: d["rules"][1].update(when=[]),
                r"^snapshot rules.rules\[1\].when: expected an object",
            ),
            (
                lambda d: d["rules"][0]["when"].update(k1="x"),
                r"^snapshot rules.rules\[0\].when.k1: expected an object, got 'x'",
            ),
            (
                lambda d: d["rules"][0]["when"]["k1"].pop("op"),
                r"^snapshot rules.rules\[0\].when.k1.op: expected a string",
            ),
            (
                lambda d: d["rules"][0]["when"]["k1"].update(op="like"),
                r"^snapshot rules.rules\[0\].when.k1.op: unknown operator 'like'; "
                r"expected one of \['eq', 'ne', 'in', 'not_in', 'gt', 'ge', 'lt', 'le', "
                r"'exists', 'missing'\]",
            ),
            (
                lambda d: d["rules"][0]["when"]["k1"].pop("value"),
                r"^snapshot rules.rules\[0\].when.k1: missing field\(s\) \['value'\]",
            ),
            (
                lambda d: d["rules"][0]["when"]["k9"].update(value=1),
                r"^snapshot rules.rules\[0\].when.k9: unexpected field\(s\) \['value'\]",
            ),
            (
                lambda d: d["rules"][0]["when"]["k3"].update(values="ab"),
                r"^snapshot rules.rules\[0\].when.k3.values: expected a list",
            ),
            (
                lambda d: d["rules"][0]["when"]["k3"].update(values=[]),
                r"^snapshot rules.rules\[0\].when.k3: In\(\) needs at least one value",
            ),
            (
                lambda d: d["rules"][0]["when"]["k3"]["values"].append([1]),
                r"^snapshot rules.rules\[0\].when.k3.values\[4\]: expected a JSON scalar",
            ),
            (
                lambda d: d["rules"][0]["when"]["k1"].update(value={"a": 1}),
                r"^snapshot rules.rules\[0\].when.k1.value: expected a JSON scalar",
            ),
            (
                lambda d: d["rules"][0]["when"]["k2"].update(value=math.nan),
                r"^snapshot rules.rules\[0\].when.k2.value: expected a JSON scalar, got nan",
            ),
            (
                lambda d: d["rules"][0]["when"]["k5"].update(value=None),
                r"^snapshot rules.rules\[0\].when.k5: Gt: compares with a finite number",
            ),
            (
                lambda d: d["rules"].append(d["rules"][0]),
                r"^snapshot rules: rule #3 has the name 'every' of rule #1",
            ),
        ],
    )
    def test_decoding_is_strict_and_names_the_path(self, change: Any, match: str) -> None:
        """A missing or unknown field, a wrong type, a value the model refuses: the
        decoder's error, naming where."""
        data = json.loads(json.dumps(encode_rules(ALL_CONDITIONS)))
        change(data)
        with pytest.raises(SnapshotError, match=match):
            decode_rules(SNAPSHOT, data, "rules")

    @given(rules=rule_sets())
    def test_round_trip(self, rules: Rules) -> None:
        """Any rules come back equal from JSON, and behave the same."""
        back = decode_rules(SNAPSHOT, json.loads(json.dumps(encode_rules(rules))), "rules")
        assert rules == back
        assert encode_rules(rules) == encode_rules(back)


class TestRoutingProperties:
    @given(
        rules=rule_sets(),
        metadata=st.dictionaries(
            st.sampled_from(["a", "b", "k", "x"]), SCALARS | st.lists(SCALARS)
        ),
        channel=st.sampled_from(["chat", "sms"]),
        priority=st.integers(-3, 3),
    )
    def test_apply_never_fails_but_for_no_route_and_lands_on_a_known_group(
        self, rules: Rules, metadata: dict[str, Any], channel: str, priority: int
    ) -> None:
        """Whatever the attributes, ``apply`` routes to one of ``groups()`` or raises
        ``NoRoute`` (only when there is no default)."""
        c = conv(channel=channel, priority=priority, metadata=metadata)
        try:
            routed = rules.apply(c)
        except NoRoute:
            assert (rules.default, rules.match(c)) == (None, None)
        else:
            assert routed.group in rules.groups()
            assert routed.priority >= c.priority
