"""Group selection rules: which group a conversation goes to, from its attributes.

Like the filters of a Twilio TaskRouter workflow. A :class:`Rules` is an ordered list
of :class:`Rule`; the first rule whose conditions all hold chooses the group, may add
required skills and may raise the priority. When no rule matches, the default group
is used; without a default, :class:`~omniroute.errors.NoRoute` is raised.

A condition looks at one attribute of the conversation: ``"channel"``,
``"customer_id"``, ``"priority"``, or any other name, which is a key of its
``metadata`` (``"topic"``, ``"region"``, ``"language"``…). Conditions are plain
values (equality) or the operators :class:`In`, :class:`NotIn`, :class:`Ne`,
:class:`Gt`, :class:`Ge`, :class:`Lt`, :class:`Le`, :class:`Exists` and
:class:`Missing`. Their values are JSON scalars, so rules always encode to JSON and
back unchanged.

How values compare:

- booleans, numbers (``int`` and ``float`` alike), strings and ``None`` are four
  separate kinds: ``Eq(1)`` does not match ``True``, ``Gt(3)`` does not match
  ``"4"``. Comparing different kinds is no match, never an exception;
- an absent attribute (a metadata key the conversation lacks, or a ``customer_id``
  of ``None``) matches only :class:`Missing`. ``Ne("eu")`` and ``NotIn("eu")`` need
  the attribute present: add a ``Missing()`` rule to catch the rest;
- ``channel``, ``customer_id`` and ``priority`` name the conversation's own fields;
  a metadata key with one of those names is never looked at.

>>> from omniroute import Conversation
>>> rules = Rules([Rule("vip", when={"tier": "gold"}, priority=5)], default="support")
>>> vip = rules.apply(Conversation("c1", channel="chat", group="inbox", metadata={"tier": "gold"}))
>>> (vip.group, vip.priority)
('vip', 5)
>>> rules.apply(Conversation("c2", channel="chat", group="inbox")).group
'support'
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

import attrs

from omniroute._frozen import FrozenDict, frozen_levels
from omniroute.errors import ConfigurationError, NoRoute, UnknownGroup

if TYPE_CHECKING:
    # Annotations only: the model, the codec and the Router may import this module.
    from omniroute.codec import Decoder
    from omniroute.conversation import Conversation

__all__ = [
    "Condition",
    "Eq",
    "Exists",
    "Ge",
    "Gt",
    "In",
    "JSONScalar",
    "Le",
    "Lt",
    "Missing",
    "Ne",
    "NotIn",
    "Rule",
    "Rules",
    "decode_rules",
    "encode_rules",
]

JSONScalar: TypeAlias = str | int | float | bool | None
"""A value a condition may compare with: it encodes to JSON and back unchanged."""

# -- scalars -------------------------------------------------------------------------

_NONE, _BOOL, _NUMBER, _STRING, _OTHER = range(5)


def _kind(value: Any) -> int:
    """Which of the four comparable kinds ``value`` is, or ``_OTHER``."""
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, (int, float)):
        return _NUMBER
    if isinstance(value, str):
        return _STRING
    return _OTHER


def _is_scalar(value: Any) -> bool:
    kind = _kind(value)
    return kind != _OTHER and not (kind == _NUMBER and not math.isfinite(value))


def _scalar_key(value: Any) -> tuple[int, Any]:
    # Conditions compare (kind, value), so Eq(1) != Eq(True) although 1 == True.
    return (_kind(value), value)


def _scalars_key(values: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple(_scalar_key(v) for v in values)


def _check_scalar(owner: str, value: Any) -> None:
    if not _is_scalar(value):
        raise ConfigurationError(
            f"{owner}: values must be JSON scalars (str, int, float, bool, None; "
            f"numbers finite), got {value!r}"
        )


def _merge_requires(own: Mapping[str, int], extra: Mapping[str, int]) -> dict[str, int]:
    """Skill requirements of both, the higher level where both name a skill."""
    merged = dict(own)
    for skill, level in extra.items():
        merged[skill] = max(level, merged.get(skill, level))
    return merged


def _raise_priority(own: int, floor: int | None) -> int:
    """``own``, raised to ``floor`` if one is set."""
    return own if floor is None else max(own, floor)


def _check_levels(owner: str, field: str, levels: Mapping[str, int]) -> None:
    for skill, level in levels.items():
        if not isinstance(skill, str) or not skill:
            raise ConfigurationError(f"{owner}: {field} keys must be skill names, got {skill!r}")
        if not isinstance(level, int) or isinstance(level, bool) or level < 0:
            raise ConfigurationError(
                f"{owner}: {field}[{skill!r}] must be an int >= 0, got {level!r}"
            )


def _check_priority(owner: str, priority: Any) -> None:
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise ConfigurationError(f"{owner}: priority must be an int or None, got {priority!r}")


# -- conditions ----------------------------------------------------------------------


class Condition:
    """What one attribute of a conversation must be. Build one of the subclasses."""

    __slots__ = ()

    op: ClassVar[str]
    """The name of the operator in encoded rules: ``"eq"``, ``"in"``…"""

    if_absent: ClassVar[bool] = False
    """Whether the condition holds for an attribute the conversation lacks."""

    def holds(self, value: Any) -> bool:
        """Whether a present attribute with this value satisfies the condition."""
        raise NotImplementedError


@attrs.frozen
class Eq(Condition):
    """Equal to ``value``, of the same kind. A plain value in ``when`` means this.

    >>> (Eq("chat").holds("chat"), Eq(1).holds(1.0), Eq(1).holds(True))
    (True, True, False)
    """

    op: ClassVar[str] = "eq"
    value: JSONScalar = attrs.field(eq=_scalar_key)

    def __attrs_post_init__(self) -> None:
        _check_scalar("Eq", self.value)

    def holds(self, value: Any) -> bool:
        if type(value) is type(self.value):  # the usual case: both strings
            return bool(value == self.value)
        return _kind(value) == _kind(self.value) and bool(value == self.value)

    def __repr__(self) -> str:
        return f"Eq({self.value!r})"


@attrs.frozen
class Ne(Condition):
    """Present and not equal to ``value`` (a value of another kind is not equal).

    >>> (Ne("eu").holds("us"), Ne("eu").holds("eu"), Ne("eu").holds(5))
    (True, False, True)
    """

    op: ClassVar[str] = "ne"
    value: JSONScalar = attrs.field(eq=_scalar_key)

    def __attrs_post_init__(self) -> None:
        _check_scalar("Ne", self.value)

    def holds(self, value: Any) -> bool:
        return not (_kind(value) == _kind(self.value) and bool(value == self.value))

    def __repr__(self) -> str:
        return f"Ne({self.value!r})"


def _value_set(values: tuple[Any, ...]) -> frozenset[tuple[int, Any]]:
    return frozenset(_scalar_key(v) for v in values)


@attrs.frozen(init=False, repr=False)
class _Members(Condition):
    """A condition on membership in a set of ``values``: ``O(1)`` whatever its size."""

    values: tuple[JSONScalar, ...] = attrs.field(eq=_scalars_key)
    _keys: frozenset[tuple[int, Any]] = attrs.field(eq=False, repr=False)

    def __init__(self, *values: JSONScalar) -> None:
        _check_values(type(self).__name__, values)
        self.__attrs_init__(values, _value_set(values))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.values))})"


@attrs.frozen(init=False, repr=False)
class In(_Members):
    """Equal to one of ``values``. Costs O(1) whatever the number of values.

    >>> (In("de", "fr").holds("fr"), In("de", "fr").holds("en"))
    (True, False)
    """

    op: ClassVar[str] = "in"

    def holds(self, value: Any) -> bool:
        kind = _kind(value)
        return kind != _OTHER and (kind, value) in self._keys


@attrs.frozen(init=False, repr=False)
class NotIn(_Members):
    """Present and equal to none of ``values``. Costs O(1).

    >>> (NotIn("de", "fr").holds("en"), NotIn("de", "fr").holds("de"))
    (True, False)
    """

    op: ClassVar[str] = "not_in"

    def holds(self, value: Any) -> bool:
        kind = _kind(value)
        return kind == _OTHER or (kind, value) not in self._keys


def _check_values(name: str, values: tuple[Any, ...]) -> None:
    if not values:
        raise ConfigurationError(f"{name}() needs at least one value")
    for value in values:
        if not _is_scalar(value):
            hint = ""
            if isinstance(value, (list, tuple, set, frozenset)):
                hint = f"; pass the values themselves: {name}(*values)"
            raise ConfigurationError(
                f"{name}: values must be JSON scalars (str, int, float, bool, None; "
                f"numbers finite), got {value!r}{hint}"
            )


def _check_ordered(name: str, value: Any) -> None:
    if _kind(value) not in (_NUMBER, _STRING) or not _is_scalar(value):
        raise ConfigurationError(
            f"{name}: compares with a finite number or a string, got {value!r}"
        )


class _Ordered(Condition):
    """Shared by the four order comparisons: same kind (number or string) and the
    comparison holds."""

    __slots__ = ()
    value: int | float | str

    def __attrs_post_init__(self) -> None:
        _check_ordered(type(self).__name__, self.value)

    def holds(self, value: Any) -> bool:
        kind = _kind(value)
        return kind == _kind(self.value) and self._compare(value)

    def _compare(self, value: Any) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


@attrs.frozen(repr=False)
class Gt(_Ordered):
    """Greater than ``value``: a number, or a string (compared by code point).

    >>> (Gt(3).holds(4), Gt(3).holds(3), Gt(3).holds("4"))
    (True, False, False)
    """

    op: ClassVar[str] = "gt"
    value: int | float | str

    def _compare(self, value: Any) -> bool:
        return bool(value > self.value)


@attrs.frozen(repr=False)
class Ge(_Ordered):
    """Greater than or equal to ``value``, a number or a string.

    >>> (Ge(3).holds(3), Ge(3).holds(2.5))
    (True, False)
    """

    op: ClassVar[str] = "ge"
    value: int | float | str

    def _compare(self, value: Any) -> bool:
        return bool(value >= self.value)


@attrs.frozen(repr=False)
class Lt(_Ordered):
    """Less than ``value``, a number or a string.

    >>> (Lt(3).holds(2), Lt(3).holds(None))
    (True, False)
    """

    op: ClassVar[str] = "lt"
    value: int | float | str

    def _compare(self, value: Any) -> bool:
        return bool(value < self.value)


@attrs.frozen(repr=False)
class Le(_Ordered):
    """Less than or equal to ``value``, a number or a string.

    >>> (Le("m").holds("a"), Le("m").holds("z"))
    (True, False)
    """

    op: ClassVar[str] = "le"
    value: int | float | str

    def _compare(self, value: Any) -> bool:
        return bool(value <= self.value)


@attrs.frozen
class Exists(Condition):
    """The attribute is present, whatever its value.

    >>> Exists().holds(None)
    True
    """

    op: ClassVar[str] = "exists"

    def holds(self, value: Any) -> bool:
        return True

    def __repr__(self) -> str:
        return "Exists()"


@attrs.frozen
class Missing(Condition):
    """The attribute is absent: a metadata key the conversation lacks, or no
    ``customer_id``.

    >>> (Missing().if_absent, Missing().holds("x"))
    (True, False)
    """

    op: ClassVar[str] = "missing"
    if_absent: ClassVar[bool] = True

    def holds(self, value: Any) -> bool:
        return False

    def __repr__(self) -> str:
        return "Missing()"


_CONDITIONS: Final[dict[str, type[Condition]]] = {
    c.op: c for c in (Eq, Ne, In, NotIn, Gt, Ge, Lt, Le, Exists, Missing)
}
_SINGLE: Final = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_MANY: Final = frozenset({"in", "not_in"})

_ABSENT: Final = object()


def _lookup(conversation: Conversation, key: str) -> Any:
    """The conversation's value for ``key``, or ``_ABSENT``."""
    if key == "channel":
        return conversation.channel
    if key == "priority":
        return conversation.priority
    if key == "customer_id":
        return _ABSENT if conversation.customer_id is None else conversation.customer_id
    return conversation.metadata.get(key, _ABSENT)


def _conditions(value: Mapping[str, Any] | None) -> FrozenDict[Any]:
    """Converter for ``Rule.when``: plain scalars become :class:`Eq`; anything else
    is kept for the rule to refuse with its name."""
    if value is None:
        return FrozenDict()
    if not isinstance(value, Mapping):
        return value  # refused in __attrs_post_init__
    return FrozenDict(
        {
            k: Eq(v) if not isinstance(v, Condition) and _is_scalar(v) else v
            for k, v in value.items()
        }
    )


# -- rules ---------------------------------------------------------------------------


@attrs.frozen
class Rule:
    """Send conversations whose attributes satisfy every condition of ``when`` to
    ``group``.

    ``when``: attribute → condition, all of which must hold; a plain JSON scalar
    means equality, and an empty ``when`` matches everything. ``requires``: skills
    added to the conversation's own (the higher level where both name a skill).
    ``priority``: if set, the conversation's priority becomes at least this.
    ``name``: shown in error messages instead of the rule's position.

    Raises :class:`~omniroute.errors.ConfigurationError` naming the rule and the
    reason when a field is malformed.

    >>> Rule("billing", when={"topic": In("invoice", "refund")}).when
    {'topic': In('invoice', 'refund')}
    """

    group: str = ""
    when: Mapping[str, Condition] = attrs.field(
        factory=FrozenDict, converter=_conditions, kw_only=True
    )
    requires: Mapping[str, int] = attrs.field(
        factory=FrozenDict, converter=frozen_levels, kw_only=True
    )
    priority: int | None = attrs.field(default=None, kw_only=True)
    name: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise ConfigurationError(f"rule name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.group, str) or not self.group:
            who = "rule" if self.name is None else f"rule {self.name!r}"
            raise ConfigurationError(f"{who}: group must be a non-empty string, got {self.group!r}")
        who = self.describe()
        if not isinstance(self.when, Mapping):
            raise ConfigurationError(f"{who}: when must be a mapping, got {self.when!r}")
        for key, condition in self.when.items():
            if not isinstance(key, str) or not key:
                raise ConfigurationError(f"{who}: when keys must be attribute names, got {key!r}")
            if type(condition) not in _CONDITIONS.values():
                raise ConfigurationError(
                    f"{who}: when[{key!r}] must be a JSON scalar (str, int, float, bool, "
                    f"None; numbers finite) or one of {', '.join(_CONDITION_NAMES)}, "
                    f"got {condition!r}"
                )
        _check_levels(who, "requires", self.requires)
        _check_priority(who, self.priority)

    def describe(self) -> str:
        """How messages name this rule: ``rule 'vip'``, or ``rule to 'billing'``."""
        return f"rule {self.name!r}" if self.name is not None else f"rule to {self.group!r}"

    def matches(self, conversation: Conversation) -> bool:
        """Whether every condition holds. Costs O(conditions).

        >>> from omniroute import Conversation
        >>> Rule("sms", when={"channel": "sms"}).matches(Conversation("c", "sms", "g"))
        True
        """
        for key, condition in self.when.items():
            value = _lookup(conversation, key)
            if not (condition.if_absent if value is _ABSENT else condition.holds(value)):
                return False
        return True


_CONDITION_NAMES: Final = tuple(c.__name__ for c in _CONDITIONS.values())


def _rule_list(value: Sequence[Rule]) -> tuple[Rule, ...]:
    if isinstance(value, (str, bytes, Mapping)):
        return value  # type: ignore[return-value]  # refused in __attrs_post_init__
    try:
        return tuple(value)
    except TypeError:
        return value  # type: ignore[return-value]  # refused in __attrs_post_init__


@attrs.frozen
class Rules:
    """An ordered list of rules, first match wins, and an optional default group.

    Raises :class:`~omniroute.errors.ConfigurationError` for an empty list without a
    default, an element that is not a :class:`Rule`, two rules with the same name,
    or a malformed default.
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rule_list)
    default: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.rules, tuple):
            raise ConfigurationError(f"rules must be a sequence of Rule, got {self.rules!r}")
        if self.default is not None and (not isinstance(self.default, str) or not self.default):
            raise ConfigurationError(
                f"the default group must be a non-empty string or None, got {self.default!r}"
            )
        if not self.rules and self.default is None:
            raise ConfigurationError(
                "no rules and no default group: every conversation would have nowhere to "
                "go; give at least one rule or a default"
            )
        names: dict[str, int] = {}
        for number, rule in enumerate(self.rules, start=1):
            if not isinstance(rule, Rule):
                raise ConfigurationError(f"rule #{number} is not a Rule: {rule!r}")
            if rule.name is not None:
                if rule.name in names:
                    raise ConfigurationError(
                        f"rule #{number} has the name {rule.name!r} of rule #{names[rule.name]}; "
                        "give each rule its own name"
                    )
                names[rule.name] = number

    def match(self, conversation: Conversation) -> Rule | None:
        """The first rule that matches, or ``None`` if only the default can apply.

        Costs O(rules * conditions) in the worst case.

        >>> from omniroute import Conversation
        >>> Rules([Rule("sms", when={"channel": "sms"})]).match(Conversation("c", "chat", "g"))
        """
        for rule in self.rules:
            if rule.matches(conversation):
                return rule
        return None

    def apply(self, conversation: Conversation) -> Conversation:
        """A copy of ``conversation`` routed by the first matching rule: its group,
        its required skills merged in (the higher level per skill), its priority as a
        floor. With no match, the default group and nothing else changed.

        Raises :class:`~omniroute.errors.NoRoute` naming the conversation and the
        attributes the rules looked at, when nothing matches and there is no default.
        Costs O(rules * conditions).
        """
        rule = self.match(conversation)
        if rule is not None:
            # Every value here is already checked: skip a new Conversation's checks.
            requires = (
                frozen_levels(_merge_requires(conversation.requires, rule.requires))
                if rule.requires
                else None
            )
            priority = _raise_priority(conversation.priority, rule.priority)
            return conversation.routed(group=rule.group, requires=requires, priority=priority)
        if self.default is not None:
            return conversation.routed(group=self.default)
        raise NoRoute(
            f"Conversation {conversation.id!r}: no rule matches and there is no default "
            f"group; the rules look at {self._attributes(conversation)}"
        )

    def _attributes(self, conversation: Conversation) -> str:
        keys = dict.fromkeys(key for rule in self.rules for key in rule.when)
        shown = []
        for key in keys:
            value = _lookup(conversation, key)
            shown.append(f"{key} (absent)" if value is _ABSENT else f"{key}={value!r}")
        return ", ".join(shown)  # never empty: a rule that does not match has a condition

    def groups(self) -> frozenset[str]:
        """Every group these rules may route to, the default included.

        >>> sorted(Rules([Rule("a"), Rule("b")], default="c").groups())
        ['a', 'b', 'c']
        """
        found = {rule.group for rule in self.rules}
        if self.default is not None:
            found.add(self.default)
        return frozenset(found)

    def check_groups(self, known: Collection[str]) -> None:
        """Raise :class:`~omniroute.errors.UnknownGroup` if a rule or the default
        routes to a group not in ``known``, naming the rule (its name, or its
        1-based position) and listing the known groups."""
        for number, rule in enumerate(self.rules, start=1):
            if rule.group not in known:
                label = f"#{number}" if rule.name is None else f"{rule.name!r} (#{number})"
                raise UnknownGroup(
                    f"rule {label} routes to the unknown group {rule.group!r}; "
                    f"known groups: {sorted(known)}"
                )
        if self.default is not None and self.default not in known:
            raise UnknownGroup(
                f"the default group {self.default!r} is unknown; known groups: {sorted(known)}"
            )


# -- encoding ------------------------------------------------------------------------


def _encode_condition(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, _Members):
        return {"op": condition.op, "values": list(condition.values)}
    if isinstance(condition, (Exists, Missing)):
        return {"op": condition.op}
    value = condition.value  # type: ignore[attr-defined]  # every other condition has one
    return {"op": condition.op, "value": value}


def encode_rules(rules: Rules) -> dict[str, Any]:
    """``rules`` as plain data that ``json.dumps`` accepts and :func:`decode_rules`
    reads back equal.

    >>> encode_rules(Rules([Rule("sms", when={"channel": "sms"})], default="inbox"))
    ... # doctest: +NORMALIZE_WHITESPACE
    {'rules': [{'group': 'sms', 'name': None, 'when': {'channel': {'op': 'eq', 'value': 'sms'}},
                'requires': {}, 'priority': None}], 'default': 'inbox'}
    """
    return {
        "rules": [
            {
                "group": rule.group,
                "name": rule.name,
                "when": {key: _encode_condition(c) for key, c in rule.when.items()},
                "requires": dict(rule.requires),
                "priority": rule.priority,
            }
            for rule in rules.rules
        ],
        "default": rules.default,
    }


def _decode_scalar(decoder: Decoder, value: Any, path: str) -> JSONScalar:
    if not _is_scalar(value):
        raise decoder.fail(path, f"expected a JSON scalar, got {value!r}"[:120])
    return value  # type: ignore[no-any-return]


def _decode_condition(decoder: Decoder, value: Any, path: str) -> Condition:
    if not isinstance(value, Mapping):
        raise decoder.fail(path, f"expected an object, got {value!r}"[:120])
    op = decoder.text(value.get("op"), f"{path}.op")
    make = _CONDITIONS.get(op)
    if make is None:
        raise decoder.fail(
            f"{path}.op", f"unknown operator {op!r}; expected one of {list(_CONDITIONS)}"
        )
    if op in _MANY:
        data = decoder.record(value, path, ("op", "values"))
        values = [
            _decode_scalar(decoder, v, f"{path}.values[{i}]")
            for i, v in enumerate(decoder.items(data["values"], f"{path}.values"))
        ]
        return decoder.build(lambda: make(*values), path)
    if op in _SINGLE:
        data = decoder.record(value, path, ("op", "value"))
        return decoder.build(
            make, path, value=_decode_scalar(decoder, data["value"], f"{path}.value")
        )
    decoder.record(value, path, ("op",))
    return make()


def decode_rules(decoder: Decoder, value: Any, path: str) -> Rules:
    """Read what :func:`encode_rules` wrote, strictly: a missing or unknown field, a
    wrong type or a rule that does not validate raises ``decoder``'s error naming
    the path."""
    data = decoder.record(value, path, ("rules", "default"))
    read = []
    for i, item in enumerate(decoder.items(data["rules"], f"{path}.rules")):
        at = f"{path}.rules[{i}]"
        fields = decoder.record(item, at, ("group", "name", "when", "requires", "priority"))
        when = fields["when"]
        if not isinstance(when, Mapping):
            raise decoder.fail(f"{at}.when", f"expected an object, got {when!r}"[:120])
        conditions = {
            decoder.text(key, f"{at}.when"): _decode_condition(decoder, c, f"{at}.when.{key}")
            for key, c in when.items()
        }
        read.append(
            decoder.build(
                Rule,
                at,
                group=decoder.text(fields["group"], f"{at}.group"),
                name=decoder.optional(decoder.text, fields["name"], f"{at}.name"),
                when=conditions,
                requires=decoder.levels(fields["requires"], f"{at}.requires"),
                priority=decoder.optional(decoder.integer, fields["priority"], f"{at}.priority"),
            )
        )
    default = decoder.optional(decoder.text, data["default"], f"{path}.default")
    return decoder.build(Rules, path, rules=read, default=default)
