"""Button-menu triage: a "button bot" that asks the customer where they want to go.

A :class:`Menu` is a tree of :class:`Node` s, each a prompt with :class:`Button` s. A
button leads to another node, or ends the menu at a :class:`Leaf` that says where
the conversation goes: a group, or no group and some ``metadata`` for the Router's
rules (:mod:`omniroute.rules`) to choose from.

The menu is a value, validated when built, and walking it changes nothing: a
:class:`Walk` is where one customer stands, and each reply makes a new one. The same
menu serves messengers with buttons (send ``walk.node.buttons`` as a keyboard; the
reply is the label) and SMS (send :meth:`Menu.render`; the reply is the label or its
number). Between two messages keep ``walk.path``, the labels chosen so far, and
resume with ``menu.walk(path)``.

>>> menu = Menu(
...     [
...         Node("start", "How can we help?", [
...             Button("Billing", leaf=Leaf("billing")),
...             Button("Something else", next="other"),
...         ]),
...         Node("other", "Which one?", [
...             Button("Refund", leaf=Leaf(metadata={"topic": "refund"})),
...             Button("Technical", leaf=Leaf("tech", requires={"tech": 2})),
...         ]),
...     ],
...     start="start",
... )
>>> print(menu.render("other"))
Which one?
1. Refund
2. Technical
>>> walk = menu.walk(["something ELSE", "2"])
>>> (walk.done, walk.path, walk.leaf.group)
(True, ('Something else', 'Technical'), 'tech')
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from omniroute._frozen import FrozenDict, frozen_levels, frozen_metadata
from omniroute.errors import ConfigurationError, UnknownGroup, UnknownId, ValidationError
from omniroute.model import Conversation
from omniroute.rules import (
    JSONScalar,
    Rules,
    _check_levels,
    _check_priority,
    _is_scalar,
    _merge_requires,
    _raise_priority,
)

__all__ = [
    "TRIAGE_KEY",
    "Button",
    "InvalidChoice",
    "Leaf",
    "Menu",
    "Node",
    "Walk",
    "WalkNotFinished",
]

TRIAGE_KEY = "triage"
"""The metadata key under which :meth:`Walk.conversation` records the labels chosen."""


class InvalidChoice(ValidationError):
    """A reply matches no button of the current node, or the walk has already
    reached a leaf. The message names the node, the reply and the valid options."""


class WalkNotFinished(ValidationError):
    """A conversation was asked of a walk that has not reached a leaf yet."""


def _key(label: str) -> str:
    """How replies are compared with labels: stripped, case-insensitive."""
    return label.strip().casefold()


@attrs.frozen
class Leaf:
    """Where a menu choice routes: ``group``, or ``""`` to let the Router's rules
    choose from the ``metadata`` this leaf adds (e.g. ``{"topic": "refund"}``).

    ``requires`` adds required skills (the higher level per skill); ``priority``, if
    set, is a floor for the conversation's priority. ``metadata`` values are JSON
    scalars, for the rules to compare; the key ``"triage"`` is reserved. A leaf with
    no group and no metadata routes nowhere: :class:`Menu` refuses it.

    >>> Leaf("billing", priority=2).priority
    2
    """

    group: str = ""
    requires: Mapping[str, int] = attrs.field(
        factory=FrozenDict, converter=frozen_levels, kw_only=True
    )
    priority: int | None = attrs.field(default=None, kw_only=True)
    metadata: Mapping[str, JSONScalar] = attrs.field(
        factory=FrozenDict, converter=frozen_metadata, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.group, str):
            raise ConfigurationError(
                f"leaf: group must be a string ('' lets the rules choose), got {self.group!r}"
            )
        who = self.describe()
        _check_levels(who, "requires", self.requires)
        _check_priority(who, self.priority)
        for key, value in self.metadata.items():
            if not isinstance(key, str) or not key:
                raise ConfigurationError(
                    f"{who}: metadata keys must be non-empty strings, got {key!r}"
                )
            if key == TRIAGE_KEY:
                raise ConfigurationError(
                    f"{who}: the metadata key {TRIAGE_KEY!r} is reserved for the labels chosen"
                )
            if not _is_scalar(value):
                raise ConfigurationError(
                    f"{who}: metadata[{key!r}] must be a JSON scalar (str, int, float, bool, "
                    f"None; numbers finite), got {value!r}"
                )

    def describe(self) -> str:
        """``leaf to 'billing'``, or ``leaf for the rules`` when it has no group."""
        return f"leaf to {self.group!r}" if self.group else "leaf for the rules"


@attrs.frozen
class Button:
    """One choice: a ``label`` and either ``next``, the id of the node it opens, or
    ``leaf``, where the conversation goes.

    >>> Button("Billing", leaf=Leaf("billing")).next is None
    True
    """

    label: str
    next: str | None = attrs.field(default=None, kw_only=True)
    leaf: Leaf | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label.strip():
            raise ConfigurationError(f"button label must be a non-blank string, got {self.label!r}")
        who = f"button {self.label!r}"
        if (self.next is None) == (self.leaf is None):
            given = "both" if self.next is not None else "neither"
            raise ConfigurationError(
                f"{who}: give exactly one of next= (a node id) or leaf= (where it routes), "
                f"got {given}"
            )
        if self.next is not None and (not isinstance(self.next, str) or not self.next):
            raise ConfigurationError(f"{who}: next must be a non-empty node id, got {self.next!r}")
        if self.leaf is not None and not isinstance(self.leaf, Leaf):
            raise ConfigurationError(f"{who}: leaf must be a Leaf, got {self.leaf!r}")


def _buttons(value: Sequence[Button]) -> tuple[Button, ...]:
    return _as_tuple(value)  # type: ignore[no-any-return]


def _nodes(value: Sequence[Node]) -> tuple[Node, ...]:
    return _as_tuple(value)  # type: ignore[no-any-return]


def _as_tuple(value: Any) -> Any:
    if isinstance(value, (str, bytes, Mapping)):
        return value  # refused in __attrs_post_init__
    try:
        return tuple(value)
    except TypeError:
        return value  # refused in __attrs_post_init__


@attrs.frozen
class Node:
    """A question and its buttons, in the order they are shown.

    Labels must differ once stripped and case-folded, since replies are compared
    that way. A label that is a number must be its own position ("1" first…), so
    that it cannot be mistaken for the number of another button.
    """

    id: str
    prompt: str
    buttons: tuple[Button, ...] = attrs.field(converter=_buttons)
    _by_key: dict[str, Button] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ConfigurationError(f"node id must be a non-empty string, got {self.id!r}")
        who = f"node {self.id!r}"
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ConfigurationError(
                f"{who}: prompt must be a non-blank string, got {self.prompt!r}"
            )
        if not isinstance(self.buttons, tuple):
            raise ConfigurationError(f"{who}: buttons must be a sequence of Button")
        if not self.buttons:
            raise ConfigurationError(f"{who} has no buttons: the customer could not answer it")
        by_key: dict[str, Button] = {}
        for number, button in enumerate(self.buttons, start=1):
            if not isinstance(button, Button):
                raise ConfigurationError(f"{who}: button #{number} is not a Button: {button!r}")
            key = _key(button.label)
            if key in by_key:
                raise ConfigurationError(
                    f"{who}: buttons {by_key[key].label!r} and {button.label!r} have the same "
                    "label (replies are compared case-insensitively)"
                )
            if key.isascii() and key.isdigit() and int(key) != number:
                raise ConfigurationError(
                    f"{who}: button #{number} is labelled {button.label!r}, which is also the "
                    f"number of button #{int(key)}; a numeric label must be its own position"
                )
            by_key[key] = button
        object.__setattr__(self, "_by_key", by_key)

    def choice(self, reply: str) -> Button | None:
        """The button a reply means: its label (stripped, case-insensitive) or its
        1-based number as text; None if none. Costs O(1).

        >>> node = Node("n", "Pick one", [Button("Yes", next="y"), Button("No", next="n")])
        >>> (node.choice(" yes ").label, node.choice("2").label, node.choice("3"))
        ('Yes', 'No', None)
        """
        if not isinstance(reply, str):
            return None
        key = _key(reply)
        button = self._by_key.get(key)
        if button is None and key.isascii() and key.isdigit() and 0 < int(key) <= len(self.buttons):
            button = self.buttons[int(key) - 1]
        return button

    def render(self, numbered: bool = True) -> str:
        """The prompt, then one line per button: ``1. Billing`` when ``numbered``
        (for SMS), else the label alone.

        >>> print(Node("n", "Pick one", [Button("Yes", next="y")]).render(numbered=False))
        Pick one
        Yes
        """
        lines = [self.prompt]
        for number, button in enumerate(self.buttons, start=1):
            lines.append(f"{number}. {button.label}" if numbered else button.label)
        return "\n".join(lines)


@attrs.frozen
class Menu:
    """A tree of nodes, walked from ``start``.

    Raises :class:`~omniroute.errors.ConfigurationError`, naming the node and the
    button, for an empty menu, two nodes with one id, an unknown ``start``, a button
    pointing to a node that does not exist, a leaf that routes nowhere (no group and
    no metadata), a cycle (with its path), or nodes that cannot be reached from
    ``start``. Building costs O(nodes + buttons).
    """

    nodes: tuple[Node, ...] = attrs.field(converter=_nodes)
    start: str = attrs.field(kw_only=True)
    _index: dict[str, Node] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.nodes, tuple):
            raise ConfigurationError(f"menu nodes must be a sequence of Node, got {self.nodes!r}")
        if not self.nodes:
            raise ConfigurationError("the menu is empty: give it at least one node")
        index: dict[str, Node] = {}
        for number, node in enumerate(self.nodes, start=1):
            if not isinstance(node, Node):
                raise ConfigurationError(f"menu node #{number} is not a Node: {node!r}")
            if node.id in index:
                raise ConfigurationError(f"two nodes have the id {node.id!r}; node ids must differ")
            index[node.id] = node
        object.__setattr__(self, "_index", index)
        if not isinstance(self.start, str) or self.start not in index:
            raise ConfigurationError(
                f"the start node {self.start!r} does not exist; nodes: {list(index)}"
            )
        for node in self.nodes:
            for button in node.buttons:
                where = f"node {node.id!r}, button {button.label!r}"
                if button.next is not None and button.next not in index:
                    raise ConfigurationError(
                        f"{where}: leads to the node {button.next!r}, which does not exist; "
                        f"nodes: {list(index)}"
                    )
                leaf = button.leaf
                if leaf is not None and not leaf.group and not leaf.metadata:
                    raise ConfigurationError(
                        f"{where}: the leaf has no group and no metadata, so it routes nowhere; "
                        "give it a group, or metadata for the Router's rules to route on"
                    )
        self._check_acyclic()
        reached = self._reachable()
        unreachable = [node.id for node in self.nodes if node.id not in reached]
        if unreachable:
            raise ConfigurationError(
                f"node(s) {unreachable} cannot be reached from the start node {self.start!r}"
            )

    def _check_acyclic(self) -> None:
        """Depth-first search with an explicit stack; raise on the first back edge."""
        done: set[str] = set()
        for root in [self.start, *self._index]:
            if root in done:
                continue
            # The current path: (node id, label of the button taken from the previous
            # node), and for each node an iterator over its remaining buttons.
            path: list[tuple[str, str | None]] = [(root, None)]
            on_path = {root}
            todo: list[Iterator[Button]] = [iter(self._index[root].buttons)]
            while todo:
                button = next(todo[-1], None)
                if button is None:
                    node_id, _ = path.pop()
                    on_path.discard(node_id)
                    done.add(node_id)
                    todo.pop()
                    continue
                target = button.next
                if target is None or target in done:
                    continue
                if target in on_path:
                    raise ConfigurationError(
                        f"the menu has a cycle: {self._cycle(path, button.label, target)}; "
                        "a menu must be a tree (for a 'back' button, use Walk.back())"
                    )
                path.append((target, button.label))
                on_path.add(target)
                todo.append(iter(self._index[target].buttons))

    @staticmethod
    def _cycle(path: list[tuple[str, str | None]], label: str, target: str) -> str:
        first = next(i for i, (node_id, _) in enumerate(path) if node_id == target)
        shown = repr(target)
        for node_id, via in path[first + 1 :]:
            shown += f" -[{via}]-> {node_id!r}"
        return shown + f" -[{label}]-> {target!r}"

    def _reachable(self) -> set[str]:
        reached = {self.start}
        todo = [self.start]
        while todo:
            for button in self._index[todo.pop()].buttons:
                if button.next is not None and button.next not in reached:
                    reached.add(button.next)
                    todo.append(button.next)
        return reached

    def node(self, node_id: str) -> Node:
        """The node with this id. Raises :class:`~omniroute.errors.UnknownId`."""
        try:
            return self._index[node_id]
        except (KeyError, TypeError):
            raise UnknownId(
                f"the menu has no node {node_id!r}; nodes: {list(self._index)}"
            ) from None

    def render(self, node_id: str, numbered: bool = True) -> str:
        """A node as text: its prompt, then its buttons, numbered for SMS.

        >>> menu = Menu([Node("a", "Hi!", [Button("Sales", leaf=Leaf("s"))])], start="a")
        >>> print(menu.render("a"))
        Hi!
        1. Sales
        """
        return self.node(node_id).render(numbered)

    def walk(self, replies: Iterable[str] = ()) -> Walk:
        """A walk at the start node, after :meth:`Walk.choose` of each reply in turn.

        ``menu.walk()`` starts a customer's walk; ``menu.walk(saved_path)`` resumes
        one from its ``path``. Raises :class:`InvalidChoice` as ``choose`` does.
        Costs O(replies).
        """
        walk = Walk(self, (), self._index[self.start], None)
        for reply in replies:
            walk = walk.choose(reply)
        return walk

    def leaves(self) -> Iterator[tuple[Node, Button, Leaf]]:
        """Every leaf, with the node and button leading to it, in menu order."""
        for node in self.nodes:
            for button in node.buttons:
                if button.leaf is not None:
                    yield node, button, button.leaf

    def groups(self) -> frozenset[str]:
        """The groups the leaves name (leaves for the rules add none)."""
        return frozenset(leaf.group for _, _, leaf in self.leaves() if leaf.group)

    def check_groups(self, known: Collection[str], rules: Rules | None = None) -> None:
        """Check that every leaf can be routed.

        A leaf naming a group not in ``known`` raises
        :class:`~omniroute.errors.UnknownGroup`. A leaf with no group leaves the choice
        to ``rules``; whether some rule matches its metadata depends on the rest of
        the conversation, which is not known here, so such a leaf needs ``rules``
        with a default group, else :class:`~omniroute.errors.ConfigurationError`.
        ``rules``, when given, are checked against ``known`` too.
        """
        for node, button, leaf in self.leaves():
            where = f"node {node.id!r}, button {button.label!r}"
            if leaf.group:
                if leaf.group not in known:
                    raise UnknownGroup(
                        f"{where}: routes to the unknown group {leaf.group!r}; "
                        f"known groups: {sorted(known)}"
                    )
            elif rules is None:
                raise ConfigurationError(
                    f"{where}: the leaf leaves the group to the rules (metadata "
                    f"{dict(leaf.metadata)}), but no rules were given"
                )
            elif rules.default is None:
                raise ConfigurationError(
                    f"{where}: the leaf relies on the rules (metadata {dict(leaf.metadata)}), "
                    "and they have no default group, so a conversation no rule matches "
                    "would have nowhere to go; give the rules a default"
                )
        if rules is not None:
            rules.check_groups(known)


@attrs.frozen
class Walk:
    """Where one customer stands in a menu. Immutable: :meth:`choose` returns a new
    walk. Get one from :meth:`Menu.walk`.

    ``path``: the labels chosen so far, as written on the buttons. ``node``: the node
    to show now, or None once a leaf is reached. ``leaf``: where the menu ended, or
    None until then.
    """

    menu: Menu = attrs.field(repr=False)
    path: tuple[str, ...]
    node: Node | None
    leaf: Leaf | None

    @property
    def done(self) -> bool:
        """Whether a leaf has been reached."""
        return self.leaf is not None

    def choose(self, reply: str) -> Walk:
        """The walk after the customer's reply: a button label (stripped,
        case-insensitive) or a button's number as text ("2").

        Raises :class:`InvalidChoice` naming the node, the reply and the options, or
        when the walk is already done. Costs O(1).
        """
        node = self.node
        if node is None:
            raise InvalidChoice(
                f"the walk {list(self.path)} has already reached a leaf; "
                f"there is nothing left to choose (reply {reply!r})"
            )
        button = node.choice(reply)
        if button is None:
            labels = [b.label for b in node.buttons]
            raise InvalidChoice(
                f"node {node.id!r}: {reply!r} is not one of the choices; reply with a label "
                f"{labels} or a number from 1 to {len(labels)}"
            )
        path = (*self.path, button.label)
        if button.leaf is not None:
            return Walk(self.menu, path, None, button.leaf)
        return Walk(self.menu, path, self.menu.node(button.next or ""), None)

    def back(self) -> Walk:
        """The walk before the last choice; at the start, the same walk. For a
        "Back" button or command. Costs O(len(path))."""
        return self.menu.walk(self.path[:-1])

    def conversation(
        self,
        id: str,
        channel: str,
        *,
        customer_id: str | None = None,
        priority: int = 0,
        requires: Mapping[str, int] | None = None,
        created_at: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Conversation:
        """The conversation to submit once the walk is done.

        Its group is the leaf's (``""`` when the leaf leaves it to the Router's
        rules); its required skills are ``requires`` and the leaf's, the higher level
        per skill; its priority is at least the leaf's; its metadata is ``metadata``,
        then the leaf's, then ``{"triage": [labels chosen]}``.

        Raises :class:`WalkNotFinished` before a leaf is reached, and
        :class:`~omniroute.errors.ValidationError` for what ``Conversation`` refuses.
        """
        leaf = self.leaf
        if leaf is None:
            where = self.node.id if self.node is not None else "?"
            raise WalkNotFinished(
                f"the walk {list(self.path)} is at node {where!r}, not at a leaf; "
                "choose until walk.done before building the conversation"
            )
        return Conversation(
            id,
            channel=channel,
            group=leaf.group,
            customer_id=customer_id,
            priority=_raise_priority(priority, leaf.priority),
            requires=_merge_requires(requires or {}, leaf.requires),
            created_at=created_at,
            metadata={**(metadata or {}), **leaf.metadata, TRIAGE_KEY: list(self.path)},
        )
