"""Button-menu triage: menus validate on construction, walks are values, and a
finished walk gives the conversation to submit."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omniroute import Conversation, FrozenMappingError, UnknownId
from omniroute.errors import ConfigurationError, UnknownGroup, ValidationError
from omniroute.rules import Rule, Rules
from omniroute.triage import (
    TRIAGE_KEY,
    Button,
    InvalidChoice,
    Leaf,
    Menu,
    Node,
    Walk,
    WalkNotFinished,
)

MENU = Menu(
    [
        Node(
            "start",
            "How can we help?",
            [
                Button("Billing", next="billing"),
                Button("Tech support", leaf=Leaf("tech", requires={"tech": 2})),
                Button("Something else", leaf=Leaf(metadata={"topic": "other"})),
            ],
        ),
        Node(
            "billing",
            "Which billing question?",
            [
                Button("Invoice", leaf=Leaf("billing", metadata={"topic": "invoice"})),
                Button("Refund", leaf=Leaf("billing", priority=3, requires={"billing": 1})),
            ],
        ),
    ],
    start="start",
)


def leaf_button(label: str = "x", group: str = "g") -> Button:
    return Button(label, leaf=Leaf(group))


def one_node(*buttons: Button, node_id: str = "a") -> Node:
    return Node(node_id, "Pick one", list(buttons) or [leaf_button()])


class TestLeaf:
    def test_defaults(self) -> None:
        """A leaf needs nothing but a group (or metadata, checked by the Menu)."""
        leaf = Leaf("g")
        assert (leaf.requires, leaf.priority, leaf.metadata) == ({}, None, {})

    def test_no_group_means_the_rules_choose(self) -> None:
        """``""`` is a valid group for a leaf: the Router's rules decide."""
        assert Leaf(metadata={"topic": "refund"}).describe() == "leaf for the rules"
        assert Leaf("billing").describe() == "leaf to 'billing'"

    def test_copies_and_freezes_its_mappings(self) -> None:
        """Changing what was passed in changes nothing; the leaf's mappings refuse
        changes."""
        metadata: dict[str, Any] = {"topic": "refund"}
        leaf = Leaf(metadata=metadata)
        metadata["topic"] = "loan"
        assert leaf.metadata == {"topic": "refund"}
        with pytest.raises(FrozenMappingError):
            leaf.metadata["x"] = 1  # type: ignore[index]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"group": 5}, r"^leaf: group must be a string \(.*\), got 5"),
            ({"requires": {"en": -1}}, r"^leaf to 'g': requires\['en'\] must be an int >= 0"),
            ({"priority": 1.5}, "^leaf to 'g': priority must be an int or None, got 1.5"),
            ({"metadata": {"": 1}}, "^leaf to 'g': metadata keys must be non-empty strings"),
            ({"metadata": {"triage": "a"}}, "^leaf to 'g': the metadata key 'triage' is reserved"),
            ({"metadata": {"tags": ["a"]}}, r"^leaf to 'g': metadata\['tags'\] must be a JSON"),
            ({"metadata": {"n": math.inf}}, r"^leaf to 'g': metadata\['n'\] must be a JSON"),
            (
                {"group": "", "metadata": {"n": {}}},
                r"^leaf for the rules: metadata\['n'\] must be a JSON scalar",
            ),
        ],
    )
    def test_bad_fields_are_refused(self, kwargs: dict[str, Any], match: str) -> None:
        """Each malformed field is refused on construction, naming the leaf."""
        with pytest.raises(ConfigurationError, match=match):
            Leaf(**({"group": "g"} | kwargs))


class TestButton:
    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({}, r"^button 'x': give exactly one of next= .* got neither"),
            ({"next": "a", "leaf": Leaf("g")}, r"^button 'x': give exactly one of .* got both"),
            ({"next": ""}, "^button 'x': next must be a non-empty node id, got ''"),
            ({"next": 3}, "^button 'x': next must be a non-empty node id, got 3"),
            ({"leaf": "billing"}, "^button 'x': leaf must be a Leaf, got 'billing'"),
        ],
    )
    def test_needs_exactly_one_destination(self, kwargs: dict[str, Any], match: str) -> None:
        """A button opens a node or ends at a leaf, never both, never neither."""
        with pytest.raises(ConfigurationError, match=match):
            Button("x", **kwargs)

    @pytest.mark.parametrize("label", ["", "   ", None, 3])
    def test_needs_a_label(self, label: Any) -> None:
        """A blank or missing label cannot be shown or chosen."""
        with pytest.raises(ConfigurationError, match=r"^button label must be a non-blank string"):
            Button(label, next="a")


class TestNode:
    @pytest.mark.parametrize(
        ("args", "match"),
        [
            (("", "Hi", [leaf_button()]), "^node id must be a non-empty string, got ''"),
            ((5, "Hi", [leaf_button()]), "^node id must be a non-empty string, got 5"),
            (("a", " ", [leaf_button()]), "^node 'a': prompt must be a non-blank string"),
            (("a", "Hi", []), "^node 'a' has no buttons: the customer could not answer it"),
            (("a", "Hi", "Yes"), "^node 'a': buttons must be a sequence of Button"),
            (("a", "Hi", [leaf_button(), "No"]), "^node 'a': button #2 is not a Button: 'No'"),
            (
                ("a", "Hi", [leaf_button("Yes"), leaf_button(" yes ")]),
                r"^node 'a': buttons 'Yes' and ' yes ' have the same label \(replies are "
                "compared case-insensitively\\)",
            ),
            (
                ("a", "Hi", [leaf_button("Yes"), leaf_button("1")]),
                "^node 'a': button #2 is labelled '1', which is also the number of button #1",
            ),
        ],
    )
    def test_bad_nodes_name_the_node_and_the_reason(
        self, args: tuple[Any, ...], match: str
    ) -> None:
        """A node needs an id, a prompt and buttons whose labels cannot be confused."""
        with pytest.raises(ConfigurationError, match=match):
            Node(*args)

    def test_numeric_labels_in_their_own_position_are_fine(self) -> None:
        """Buttons labelled "1", "2" are what a numbered reply would name anyway."""
        node = one_node(leaf_button("1"), leaf_button("2", group="h"))
        assert [node.choice("2"), node.choice(" 1")] == [node.buttons[1], node.buttons[0]]

    @pytest.mark.parametrize(
        ("reply", "expected"),
        [
            ("Billing", 0),
            ("billing", 0),
            ("  BILLING \n", 0),
            ("Tech support", 1),
            ("1", 0),
            (" 3 ", 2),
            ("0", None),
            ("4", None),
            ("-1", None),
            ("1.", None),
            ("Tech", None),
            ("", None),
        ],
    )
    def test_a_reply_is_a_label_or_a_number(self, reply: str, expected: int | None) -> None:
        """Labels compare stripped and case-insensitively; numbers count from 1."""
        node = MENU.node("start")
        assert node.choice(reply) == (None if expected is None else node.buttons[expected])

    def test_a_reply_that_is_not_text_chooses_nothing(self) -> None:
        """A host passing a non-string gets no button, not a crash."""
        assert MENU.node("start").choice(2) is None  # type: ignore[arg-type]

    def test_render_numbered_and_plain(self) -> None:
        """Numbered for SMS, plain labels for channels where customers type them."""
        node = MENU.node("billing")
        assert node.render() == "Which billing question?\n1. Invoice\n2. Refund"
        assert node.render(numbered=False) == "Which billing question?\nInvoice\nRefund"

    def test_buttons_become_a_tuple(self) -> None:
        """A node cannot change after it is built."""
        buttons = [leaf_button()]
        node = Node("a", "Hi", buttons)
        buttons.append(leaf_button("y"))
        assert node.buttons == (leaf_button(),)


class TestMenu:
    def test_a_shared_subtree_is_not_a_cycle(self) -> None:
        """Two buttons may open the same node: the menu is a DAG, walked as a tree."""
        menu = Menu(
            [
                Node("a", "A", [Button("x", next="c"), Button("y", next="b")]),
                Node("b", "B", [Button("z", next="c")]),
                Node("c", "C", [leaf_button()]),
            ],
            start="a",
        )
        assert menu.walk(["x"]).node == menu.walk(["y", "z"]).node == menu.node("c")

    def test_the_start_need_not_be_first(self) -> None:
        """Nodes may be listed in any order."""
        menu = Menu([one_node(node_id="b"), one_node(Button("go", next="b"))], start="a")
        assert menu.walk().node == menu.node("a")

    def test_nodes_become_a_tuple_and_menus_compare_by_value(self) -> None:
        """Built from any iterable; equal menus are equal."""
        menu = Menu(iter([one_node()]), start="a")  # type: ignore[arg-type]
        assert (menu.nodes, menu) == ((one_node(),), Menu([one_node()], start="a"))

    @pytest.mark.parametrize(
        ("nodes", "start", "match"),
        [
            ([], "a", "^the menu is empty: give it at least one node"),
            ("a", "a", "^menu nodes must be a sequence of Node, got 'a'"),
            ([one_node(), "b"], "a", "^menu node #2 is not a Node: 'b'"),
            ([one_node(), one_node()], "a", "^two nodes have the id 'a'"),
            ([one_node()], "b", r"^the start node 'b' does not exist; nodes: \['a'\]"),
            ([one_node()], None, r"^the start node None does not exist"),
            (
                [one_node(Button("Next", next="zz"))],
                "a",
                r"^node 'a', button 'Next': leads to the node 'zz', which does not exist; "
                r"nodes: \['a'\]",
            ),
            (
                [one_node(Button("Other", leaf=Leaf()))],
                "a",
                "^node 'a', button 'Other': the leaf has no group and no metadata, so it "
                "routes nowhere",
            ),
            (
                [one_node(Button("Again", next="a"))],
                "a",
                r"^the menu has a cycle: 'a' -\[Again\]-> 'a'; a menu must be a tree",
            ),
            (
                [
                    one_node(Button("x", next="b")),
                    one_node(leaf_button(), Button("y", next="c"), node_id="b"),
                    one_node(Button("Back", next="a"), node_id="c"),
                ],
                "a",
                r"^the menu has a cycle: 'a' -\[x\]-> 'b' -\[y\]-> 'c' -\[Back\]-> 'a'; .*"
                r"use Walk.back\(\)",
            ),
            (
                [
                    one_node(),
                    one_node(Button("x", next="c"), node_id="b"),
                    one_node(Button("y", next="b"), node_id="c"),
                ],
                "a",
                r"^the menu has a cycle: 'b' -\[x\]-> 'c' -\[y\]-> 'b'",
            ),
            (
                [one_node(), one_node(node_id="b"), one_node(Button("x", next="b"), node_id="c")],
                "a",
                r"^node\(s\) \['b', 'c'\] cannot be reached from the start node 'a'",
            ),
        ],
    )
    def test_bad_menus_name_the_node_and_the_reason(
        self, nodes: Any, start: Any, match: str
    ) -> None:
        """Empty, duplicate ids, unknown start, dangling buttons, leaves routing
        nowhere, cycles (with their path, unreachable ones included), unreachable
        nodes."""
        with pytest.raises(ConfigurationError, match=match):
            Menu(nodes, start=start)

    def test_node_and_render_refuse_an_unknown_id(self) -> None:
        """``UnknownId`` (a KeyError) naming the id and listing the nodes."""
        with pytest.raises(UnknownId, match=r"^the menu has no node 'x'; nodes: \['start', "):
            MENU.render("x")
        with pytest.raises(KeyError):
            MENU.node("x")

    def test_render(self) -> None:
        """The prompt and the buttons of the node named."""
        assert MENU.render("start") == (
            "How can we help?\n1. Billing\n2. Tech support\n3. Something else"
        )
        assert MENU.render("billing", numbered=False) == "Which billing question?\nInvoice\nRefund"

    def test_leaves_and_groups(self) -> None:
        """Every leaf in menu order, with where it hangs; the groups they name."""
        assert [(n.id, b.label) for n, b, _ in MENU.leaves()] == [
            ("start", "Tech support"),
            ("start", "Something else"),
            ("billing", "Invoice"),
            ("billing", "Refund"),
        ]
        assert MENU.groups() == frozenset({"tech", "billing"})


class TestWalk:
    def test_a_walk_starts_at_the_start(self) -> None:
        """Nothing chosen, the start node to show, no leaf."""
        walk = MENU.walk()
        assert (walk.path, walk.node, walk.leaf, walk.done) == ((), MENU.node("start"), None, False)

    def test_telegram_style_replies_are_button_labels(self) -> None:
        """A messenger shows ``walk.node.buttons`` as a keyboard; the reply is the label."""
        walk = MENU.walk()
        assert walk.node is not None
        keyboard = [[button.label] for button in walk.node.buttons]
        assert keyboard == [["Billing"], ["Tech support"], ["Something else"]]
        walk = walk.choose("Billing")
        assert walk.node == MENU.node("billing")
        walk = walk.choose("Refund")
        assert (walk.done, walk.node, walk.path) == (True, None, ("Billing", "Refund"))
        assert walk.leaf == Leaf("billing", priority=3, requires={"billing": 1})

    def test_sms_style_replies_are_numbers(self) -> None:
        """An SMS shows the numbered rendering; "1" then "2" reach the same leaf."""
        walk = MENU.walk()
        assert walk.node is not None
        assert MENU.render(walk.node.id).splitlines()[1] == "1. Billing"
        assert MENU.walk(["1", " 2 "]) == MENU.walk(["Billing", "Refund"])

    def test_the_path_holds_labels_as_written(self) -> None:
        """Whatever the customer typed, the path records the button's own label."""
        assert MENU.walk(["  bIlLiNg", "1"]).path == ("Billing", "Invoice")

    def test_choose_returns_a_new_walk(self) -> None:
        """Walks are values: the old one is unchanged."""
        start = MENU.walk()
        start.choose("Billing")
        assert start == MENU.walk()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            start.path = ("x",)  # type: ignore[misc]

    def test_an_unknown_reply_names_the_node_the_reply_and_the_options(self) -> None:
        """``InvalidChoice`` is a ValidationError and a ValueError."""
        with pytest.raises(
            InvalidChoice,
            match=r"^node 'billing': 'Refunds' is not one of the choices; reply with a label "
            r"\['Invoice', 'Refund'\] or a number from 1 to 2$",
        ):
            MENU.walk(["Billing", "Refunds"])
        assert issubclass(InvalidChoice, ValidationError)
        assert issubclass(InvalidChoice, ValueError)

    def test_no_choice_after_a_leaf(self) -> None:
        """A finished walk refuses further replies."""
        with pytest.raises(InvalidChoice, match=r"^the walk \['Tech support'\] has already"):
            MENU.walk(["2"]).choose("1")

    def test_resume_from_a_saved_path(self) -> None:
        """Between messages keep ``walk.path``; ``menu.walk(path)`` is the same walk."""
        walk = MENU.walk(["1"])
        saved = list(walk.path)
        assert MENU.walk(saved) == walk
        assert MENU.walk(saved).choose("2") == walk.choose("2")

    def test_back_undoes_the_last_choice(self) -> None:
        """For a "Back" button; at the start it stays at the start."""
        assert MENU.walk(["1", "2"]).back() == MENU.walk(["1"])
        assert MENU.walk(["1"]).back() == MENU.walk()
        assert MENU.walk().back() == MENU.walk()

    def test_the_menu_is_not_in_the_repr(self) -> None:
        """A walk's repr shows where it is, not the whole menu."""
        assert repr(MENU.walk(["2"])).startswith("Walk(path=('Tech support',), node=None, leaf=")


class TestConversation:
    def test_a_leaf_with_a_group(self) -> None:
        """Group from the leaf, skills merged (higher level), priority raised, the
        labels chosen under "triage", everything else passed on."""
        conversation = MENU.walk(["Billing", "Refund"]).conversation(
            "c1",
            "sms",
            customer_id="u1",
            priority=1,
            requires={"billing": 0, "en": 2},
            created_at=5.0,
            metadata={"page": "/help"},
        )
        assert conversation == Conversation(
            "c1",
            channel="sms",
            group="billing",
            customer_id="u1",
            priority=3,
            requires={"billing": 1, "en": 2},
            created_at=5.0,
            metadata={"page": "/help", "triage": ["Billing", "Refund"]},
        )

    def test_a_higher_own_priority_and_level_are_kept(self) -> None:
        """The leaf's priority and levels are floors, never lowering."""
        conversation = MENU.walk(["1", "2"]).conversation(
            "c1", "chat", priority=7, requires={"billing": 4}
        )
        assert (conversation.priority, conversation.requires) == (7, {"billing": 4})

    def test_the_leafs_metadata_and_the_path_win(self) -> None:
        """Given metadata first, then the leaf's, then the triage path."""
        conversation = MENU.walk(["1", "1"]).conversation(
            "c1", "chat", metadata={"topic": "mine", TRIAGE_KEY: "mine", "x": 1}
        )
        assert conversation.metadata == {
            "topic": "invoice",
            "triage": ["Billing", "Invoice"],
            "x": 1,
        }

    def test_an_unfinished_walk_has_no_conversation(self) -> None:
        """``WalkNotFinished`` names where the walk stands."""
        with pytest.raises(
            WalkNotFinished, match=r"^the walk \['Billing'\] is at node 'billing', not at a leaf"
        ):
            MENU.walk(["1"]).conversation("c1", "chat")
        assert issubclass(WalkNotFinished, ValidationError)

    def test_what_conversation_refuses_is_raised(self) -> None:
        """An empty id is the Conversation's own ValidationError."""
        with pytest.raises(ValidationError, match="id must be a non-empty string"):
            MENU.walk(["2"]).conversation("", "chat")

    def test_a_leaf_for_the_rules_leaves_the_group_empty(self) -> None:
        """The rules then choose from the leaf's metadata."""
        conversation = MENU.walk(["Something else"]).conversation("c1", "chat")
        assert (conversation.group, conversation.metadata) == (
            "",
            {"topic": "other", "triage": ["Something else"]},
        )
        rules = Rules([Rule("general", when={"topic": "other"})], default="support")
        assert rules.apply(conversation).group == "general"


class TestCheckGroups:
    RULES = Rules([Rule("general", when={"topic": "other"})], default="support")

    def test_known_groups_and_rules_with_a_default_pass(self) -> None:
        """Nothing raised."""
        MENU.check_groups({"tech", "billing", "general", "support"}, self.RULES)

    def test_a_leaf_naming_an_unknown_group(self) -> None:
        """``UnknownGroup`` names the node, the button and the group, and lists the
        known ones."""
        with pytest.raises(
            UnknownGroup,
            match=r"^node 'start', button 'Tech support': routes to the unknown group 'tech'; "
            r"known groups: \['billing', 'general', 'support'\]$",
        ):
            MENU.check_groups({"billing", "general", "support"}, self.RULES)

    def test_a_leaf_for_the_rules_needs_rules(self) -> None:
        """Without rules, a leaf with no group could not be routed."""
        with pytest.raises(
            ConfigurationError,
            match=r"^node 'start', button 'Something else': the leaf leaves the group to the "
            r"rules \(metadata \{'topic': 'other'\}\), but no rules were given$",
        ):
            MENU.check_groups({"tech", "billing"})

    def test_a_leaf_for_the_rules_needs_a_default(self) -> None:
        """Whether a rule matches depends on the rest of the conversation, so only a
        default guarantees a group."""
        with pytest.raises(
            ConfigurationError,
            match=r"^node 'start', button 'Something else': the leaf relies on the rules .* "
            "no default group",
        ):
            MENU.check_groups({"tech", "billing", "general"}, Rules([Rule("general")]))

    def test_the_rules_groups_are_checked_too(self) -> None:
        """The rules given must route to known groups as well."""
        with pytest.raises(UnknownGroup, match=r"^the default group 'support' is unknown"):
            MENU.check_groups({"tech", "billing", "general"}, self.RULES)

    def test_a_menu_of_groups_only_needs_no_rules(self) -> None:
        """Rules are only needed by leaves without a group."""
        Menu([one_node()], start="a").check_groups({"g"})


# -- properties ----------------------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> list[list[int | None]]:
    """Random menus as adjacency lists: node i's buttons, each a target index or None
    for a leaf; a target equal to the node count dangles. Edges lean forward so that
    valid menus are common."""
    count = draw(st.integers(1, 6))
    nodes = []
    for i in range(count):
        targets = st.none() | st.integers(i + 1, count) | st.integers(0, count)
        nodes.append(draw(st.lists(targets, min_size=1, max_size=3)))
    return nodes


def build(graph: list[list[int | None]]) -> Menu:
    return Menu(
        [
            Node(
                f"n{i}",
                f"Node {i}",
                [
                    Button(f"b{j}", leaf=Leaf("g")) if t is None else Button(f"b{j}", next=f"n{t}")
                    for j, t in enumerate(targets)
                ],
            )
            for i, targets in enumerate(graph)
        ],
        start="n0",
    )


def is_valid(graph: list[list[int | None]]) -> bool:
    """The reference: no dangling edge, no cycle, everything reachable from node 0."""
    count = len(graph)
    if any(t == count for targets in graph for t in targets):
        return False

    def acyclic_from(node: int, path: frozenset[int]) -> bool:
        return all(
            t not in path and acyclic_from(t, path | {t}) for t in graph[node] if t is not None
        )

    if not all(acyclic_from(i, frozenset({i})) for i in range(count)):
        return False
    seen, todo = {0}, [0]
    while todo:
        for t in graph[todo.pop()]:
            if t is not None and t not in seen:
                seen.add(t)
                todo.append(t)
    return len(seen) == count


@st.composite
def valid_graphs(draw: st.DrawFn) -> list[list[int | None]]:
    """Trees and DAGs: each node after the first hangs under an earlier one, plus
    leaves and extra forward edges."""
    count = draw(st.integers(1, 7))
    graph: list[list[int | None]] = [[] for _ in range(count)]
    for i in range(1, count):
        graph[draw(st.integers(0, i - 1))].append(i)
    for i in range(count):
        extra = st.none() if i == count - 1 else st.none() | st.integers(i + 1, count - 1)
        graph[i].extend(draw(st.lists(extra, min_size=0 if graph[i] else 1, max_size=2)))
    return graph


class TestProperties:
    @given(graph=graphs())
    def test_accepts_exactly_the_acyclic_connected_menus(
        self, graph: list[list[int | None]]
    ) -> None:
        """Validation agrees with a naive reference on random graphs."""
        try:
            build(graph)
        except ConfigurationError:
            assert not is_valid(graph)
        else:
            assert is_valid(graph)

    @given(graph=valid_graphs(), data=st.data())
    def test_any_walk_of_valid_replies_ends_at_a_leaf(
        self, graph: list[list[int | None]], data: st.DataObject
    ) -> None:
        """Replies by label (any case, padded) or number always end at a leaf within
        as many steps as there are nodes, and the path resumes to the same walk."""
        menu = build(graph)
        walk = menu.walk()
        for _ in range(len(graph)):
            if walk.node is None:
                break
            number = data.draw(st.integers(1, len(walk.node.buttons)))
            label = walk.node.buttons[number - 1].label
            reply = data.draw(st.sampled_from([label, label.upper(), f" {label}\t", str(number)]))
            walk = walk.choose(reply)
        assert walk.done
        assert isinstance(walk.leaf, Leaf)
        assert menu.walk(walk.path) == walk
        assert isinstance(walk, Walk)
