"""How a host types its calls; ``make lint`` runs mypy --strict over this file.

Not collected by pytest: it checks that the public API type-checks as documented.
"""

from __future__ import annotations

import json
import math

from omniroute import (
    Button,
    Capacity,
    Conversation,
    Discipline,
    Event,
    Ge,
    Group,
    In,
    Leaf,
    Menu,
    Node,
    Offers,
    Operator,
    Overflow,
    Relaxation,
    Router,
    Rule,
    Rules,
    Status,
)
from omniroute.strategies import RoundRobin
from omniroute.testing import FakeClock, RouterStateMachine

clock = FakeClock()
journal: list[Event] = []
router = Router(clock=clock, on_event=journal.append)
router.add_group(Group("billing", strategy=RoundRobin()))
router.add_operator(
    Operator(
        "ann",
        groups={"billing"},
        skills={"ru": 3},
        capacity=Capacity(total=3, per_channel={"voice": 1}, exclusive={"voice"}),
    )
)
router.set_status("ann", Status.ONLINE)
events: list[Event] = router.submit(
    Conversation("c1", channel="chat", group="billing", requires={"ru": 1}, metadata={"k": 1})
)
saved: str = json.dumps(router.snapshot())
restored: Router = Router.restore(saved, clock=clock)
rebuilt: Router = Router.replay(saved, [event.as_dict() for event in journal], clock=clock)
first: Event = Event.from_dict(journal[0].as_dict())

# Routing policies, as a host writes them.
router.add_group(
    Group(
        "desk",
        discipline=Discipline.LIFO,
        aging=30.0,
        overflow=Overflow(to="billing", after=60, when_nobody_online=True),
        offers=Offers(timeout=20, ring=2, away_after=3),
        keep_on_leave=math.inf,
    )
)
router.set_rules(Rules([Rule("desk", when={"topic": In("refund", "invoice"), "priority": Ge(1)})]))
menu = Menu(
    [Node("start", "Hi!", [Button("Refund", leaf=Leaf(metadata={"topic": "refund"}))])],
    start="start",
)
walked: Conversation = menu.walk(["1"]).conversation("c2", "sms", priority=1)
router.submit(walked)
router.submit(Conversation("c3", channel="chat", group="desk", relax=[Relaxation(30, {})]))
offered_to: tuple[str, ...] = router.conversation("c2").offered_to
if offered_to:
    router.accept("c2", offered_to[0])
router.handoff("c1", "desk", reason="human", requires={"ru": 2}, priority=2)
ticked: list[Event] = router.tick()


class HostMachine(RouterStateMachine):
    check_restarts = False
