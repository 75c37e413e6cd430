"""omniroute's own stateful test: :class:`omniroute.testing.RouterStateMachine`, with
a careless host strategy among the built-in ones.

The machine checks after every step that every invariant holds, that the events told
the truth, that nothing was lost or duplicated, that lines are served in order, that
a call which raised changed nothing, and that a Router restarted from a snapshot or
from a journal answers every later call exactly as the original does.
"""

from __future__ import annotations

from typing import ClassVar

from omniroute import Conversation
from omniroute.strategies import BUILT_IN_STRATEGIES, OperatorView, StrategyFactories
from omniroute.testing import RouterStateMachine


class Chaotic:
    """A careless host strategy: proposes everyone it ever heard of, busy or not,
    plus an unknown id. The Router alone must keep every limit and requirement."""

    name = "chaotic"

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def add(self, operator: OperatorView) -> None:
        self.seen.add(operator.id)

    def update(self, operator: OperatorView) -> None:
        self.seen.add(operator.id)

    def discard(self, operator_id: str) -> None:
        pass

    def assigned(self, operator: OperatorView, conversation: Conversation) -> None:
        pass

    def candidates(self, conversation: Conversation) -> list[str]:
        return ["ghost", *sorted(self.seen, reverse=True)]


class OmnirouteMachine(RouterStateMachine):
    strategy_factories: ClassVar[StrategyFactories] = {**BUILT_IN_STRATEGIES, "chaotic": Chaotic}


TestRouterMachine = OmnirouteMachine.TestCase
