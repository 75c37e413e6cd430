"""The lifecycle table is what runs, and omniroute's stateful machine makes every move.

Every change of a conversation's state goes through one call, ``Ticket.move(action)``,
which applies ``lifecycle.MOVES``. The allowed moves are derived from the table; the
machine of ``tests/test_stateful.py`` runs with ``Ticket.move`` recorded, and must have
made each of them (and none other). A scan of the package checks that nothing else
sets a ticket's state.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from omniroute.errors import InvalidTransition
from omniroute.lifecycle import MOVES, ConversationState
from omniroute.state import Ticket
from tests.test_stateful import OmnirouteMachine

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "omniroute"

Move = tuple[ConversationState, str]

# Deterministic and about ten seconds: a derandomized run's seed comes from the
# machine class (its name, for a class made here), so each seed is a subclass of its
# own. Several short runs reach more kinds of scenario than one long run: the moves
# at the end of long chains (a bot's hand-off; a conversation held, released, then
# resumed, answered or closed) are made in only a few examples each.
SEEDS = 6
COVERAGE = settings(
    max_examples=40,
    stateful_step_count=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Where a ticket's state may be set: (module, function).
STATE_SETTERS = {("omniroute/state.py", "Ticket.__init__"), ("omniroute/state.py", "Ticket.move")}


def label(move: Move) -> str:
    state, action = move
    return f"{state.name} --{action}-->"


def test_the_stateful_machine_makes_every_move_of_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table: set[Move] = set(MOVES)
    made: Counter[Move] = Counter()
    refused: set[Move] = set()
    move = Ticket.move

    def recording(self: Ticket, action: str) -> ConversationState:
        attempt = (self.state, action)
        try:
            after = move(self, action)
        except InvalidTransition:
            refused.add(attempt)  # the machine's illegal calls: they must raise
            raise
        made[attempt] += 1
        return after

    monkeypatch.setattr(Ticket, "move", recording)
    for seed in range(SEEDS):
        machine = type(f"LifecycleSeed{seed}", (OmnirouteMachine,), {})
        run_state_machine_as_test(machine, settings=COVERAGE)

    print({label(m): made[m] for m in MOVES})  # DEBUG
    outside = sorted(map(label, set(made) - table))
    assert not outside, f"moves made that MOVES does not have: {outside}"
    missing = sorted(map(label, table - set(made)))
    counts = {label(m): made[m] for m in MOVES}
    assert not missing, f"MOVES rows the stateful machine never made: {missing}; made: {counts}"
    allowed = sorted(map(label, refused & table))
    assert not allowed, f"moves of the table that Ticket.move refused: {allowed}"


class StateAssignments(ast.NodeVisitor):
    """Every place that sets an attribute named ``state``: ``x.state = ...`` (also
    augmented, annotated, unpacked or as a loop target) or ``setattr(x, "state", ...)``,
    as (function's qualified name, line)."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[str, int]] = []

    def scoped(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = scoped

    def target(self, node: ast.expr) -> None:
        if isinstance(node, ast.Attribute) and node.attr == "state":
            self.found.append((".".join(self.scope) or "<module>", node.lineno))
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element)
        elif isinstance(node, ast.Starred):
            self.target(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.target(node.target)
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.target(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self.target(node.optional_vars)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.target(node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "state"
        ):
            self.found.append((".".join(self.scope) or "<module>", node.lineno))
        self.generic_visit(node)


def state_assignments() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = StateAssignments()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        module = path.relative_to(PACKAGE.parent).as_posix()
        found.update((module, function) for function, _ in visitor.found)
    return found


def test_only_ticket_move_changes_a_conversations_state() -> None:
    """Nothing in the package sets ``.state`` but ``Ticket.__init__`` (a new or
    restored ticket) and ``Ticket.move`` (the table)."""
    assert state_assignments() == STATE_SETTERS


def test_the_scan_finds_every_kind_of_assignment() -> None:
    source = """
class Core:
    def cheat(self, t, ts):
        t.state = 1
        t.state += 1
        t.state: int = 1
        a, (b, t.state) = 1, (2, 3)
        for t.state in ts: pass
        [0 for t.state in ts]
        setattr(t, "state", 1)
        t.status = 1
"""
    visitor = StateAssignments()
    visitor.visit(ast.parse(source))
    assert visitor.found == [("Core.cheat", line) for line in range(4, 11)]
