"""How a host types its calls; ``make lint`` runs mypy --strict over this file.

Not collected by pytest: it checks that the public API type-checks as documented.
"""

from __future__ import annotations

import json

from omniroute import Capacity, Conversation, Event, Group, Operator, Router, Status
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


class HostMachine(RouterStateMachine):
    check_restarts = False
