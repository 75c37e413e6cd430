"""Test your integration with omniroute: hypothesis strategies, a stateful test base,
invariant checks and a fake clock.

Needs hypothesis (``pip install omniroute[testing]``), not pytest. omniroute's own
stateful tests are built on :class:`RouterStateMachine`, so a host's tests check
exactly what omniroute checks, plus their own rules and invariants::

    class HelpdeskMachine(RouterStateMachine):
        @rule()
        def everyone_takes_a_break(self) -> None: ...

        @invariant()
        def my_notifications_match(self) -> None: ...

    TestHelpdesk = HelpdeskMachine.TestCase
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from omniroute.errors import OmnirouteError
from omniroute.events import (
    Abandoned,
    AffinityFallback,
    Assigned,
    Escalated,
    Event,
    Finished,
    HandedOff,
    Held,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    PositionChanged,
    Queued,
    Relaxed,
    Released,
    Requeued,
    Responded,
    Resumed,
    Submitted,
    Transferred,
)
from omniroute.invariants import check_invariants
from omniroute.metrics import COUNTS
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.router import Router
from omniroute.rules import Rules
from omniroute.seam import core_of
from omniroute.skills import meets
from omniroute.strategies import BUILT_IN_STRATEGIES, StrategyFactories
from omniroute.strategies.base import strategy_name
from omniroute.testing.values import (
    CHANNELS,
    SKILLS,
    FakeClock,
    RouterConfig,
    capacities,
    conversations,
    group_policies,
    groups,
    operators,
    relaxations,
    router_configs,
    router_settings,
    routing_strategies,
    rules,
    skill_levels,
    statuses,
)
from omniroute.testing.values import TOPICS as TOPICS  # the default vocabulary, as before

__all__ = [
    "FakeClock",
    "RouterConfig",
    "RouterStateMachine",
    "capacities",
    "check_invariants",
    "conversations",
    "group_policies",
    "groups",
    "operators",
    "relaxations",
    "router_configs",
    "router_settings",
    "routing_strategies",
    "rules",
    "skill_levels",
    "statuses",
]

# -- the stateful test base ----------------------------------------------------------


@attrs.frozen
class _Draws:
    """The strategies a machine draws from. Built once per machine class: building
    hypothesis strategies costs far more than drawing from them."""

    config: st.SearchStrategy[RouterConfig]
    group: st.SearchStrategy[Group]
    group_id: st.SearchStrategy[str]
    operator: st.SearchStrategy[Operator]
    operator_id: st.SearchStrategy[str]
    conversation: st.SearchStrategy[Conversation]
    rules: st.SearchStrategy[Rules]
    settings: st.SearchStrategy[dict[str, Any]]


@functools.cache
def _draws_for(machine: type[RouterStateMachine]) -> _Draws:
    vocabulary = {"channels": machine.channels, "skills": machine.skills}
    return _Draws(
        config=router_configs(
            machine.group_ids,
            machine.operator_ids,
            factories=machine.strategy_factories,
            **vocabulary,
        ),
        group=groups(
            machine.group_ids,
            machine.strategy_factories,
            overflow_to=machine.group_ids,
            channels=machine.channels,
        ),
        group_id=st.sampled_from(machine.group_ids),
        operator=operators(machine.operator_ids, machine.group_ids, **vocabulary),
        operator_id=st.sampled_from(machine.operator_ids),
        conversation=conversations(
            st.just("drawn"),
            machine.group_ids,
            by_rules=True,
            operator_ids=machine.operator_ids,
            **vocabulary,
        ),
        settings=router_settings(),
        rules=rules(machine.group_ids, channels=machine.channels),
    )


class RouterStateMachine(RuleBasedStateMachine):
    """Drives a Router with random calls, checking every invariant after each step.

    It keeps a reference model built only from the events the Router returns, and
    checks that the events told the truth, that nothing is lost or duplicated, that
    conversations leave a line in order (FIFO within a priority), that a call
    which raised changed nothing, that nobody is given work they lack the skills for
    (at the current relaxation step), and that an operator who declined a
    conversation is offered it again only when nobody else who may take it is free.
    Groups get random policies (offers, overflows, aging, LIFO, keeping work for
    operators who leave), conversations random relaxation steps, and the Router
    random rules; the clock moves and ``tick()`` fires timers. It also restarts the
    Router now and then — from a JSON snapshot, or from the last snapshot plus the
    journal of events since. The rebuilt Router is then the one under test, and the
    one from before runs beside it: every later call must return identical events
    from both.

    Subclass it and add ``@rule``s and ``@invariant``s; change the class attributes
    to use your vocabulary, :meth:`make_router` and :meth:`restart_router` to wire
    your host in, and call :meth:`call` to drive the Router so the built-in checks
    see your calls too.
    """

    group_ids: Sequence[str] = ("g0", "g1", "g2")
    operator_ids: Sequence[str] = ("o0", "o1", "o2", "o3", "o4")
    channels: Sequence[str] = CHANNELS
    skills: Sequence[str] = SKILLS
    strategy_factories: StrategyFactories = BUILT_IN_STRATEGIES
    """The strategies groups may have, by name; also used to restore and replay."""
    check_restarts: bool = True
    """Whether to restart the Router from snapshots and journals along the way."""

    def __init__(self) -> None:
        super().__init__()
        self.draws = _draws_for(type(self))
        self.clock = FakeClock()
        self.router = self.make_router(self.clock)
        self.journal: list[Event] = []
        self.checkpoint: str | None = None  # JSON of the last snapshot taken
        self.twin: Router | None = None  # the Router before the last restart, if any
        self.next_id = 0
        self.submitted: dict[str, int] = {}  # id → submission order
        # the reference model, built from events only
        self.waiting: dict[str, tuple[Any, ...]] = {}  # id → (line, sort key)
        self.holder: dict[str, str] = {}  # id → operator id
        self.offered: dict[str, set[str]] = {}  # id → operators it is offered to
        self.declined: dict[str, set[str]] = {}  # id → operators who declined it
        self.targets: dict[str, tuple[str, ...]] = {}  # id → groups whose operators may take it
        self.on_hold: set[str] = set()  # held, keeping the holder's slot
        self.released: dict[str, str] = {}  # id → who held it, for those held without a slot
        self.responded: set[str] = set()  # ids whose operator replied in this contact
        self.ended: set[str] = set()

    def make_router(self, clock: FakeClock) -> Router:
        """The Router under test; override to pass your ``on_event`` or logger."""
        return Router(clock=clock)

    def restart_router(self, rebuild: Callable[..., Router]) -> Router:
        """The Router rebuilt at a restart, which becomes the Router under test.

        ``rebuild(**options)`` calls :meth:`Router.restore` or :meth:`Router.replay`
        with the machine's clock and strategies; override this, as
        :meth:`make_router`, to pass your ``on_event`` or logger, so that your code
        runs after restarts too.
        """
        return rebuild()

    # -- driving the Router ----------------------------------------------------------

    def call(self, method: str, *args: Any, **kwargs: Any) -> list[Event] | None:
        """Call ``router.<method>(*args, **kwargs)``; return its events, or None if it raised
        an :class:`~omniroute.OmnirouteError` (after checking it changed nothing).
        The twin (the Router from before the last restart), if any, gets the same
        call and must answer the same. A submitted
        conversation is tracked from here on: submit through this method, with an
        id never used before."""
        before = self.router.snapshot()
        try:
            events: list[Event] = getattr(self.router, method)(*args, **kwargs)
        except OmnirouteError as exc:
            if self.router.snapshot() != before:
                raise AssertionError(
                    f"{method}{args} raised {exc!r} but changed the Router"
                ) from exc
            if self.twin is not None:
                try:
                    getattr(self.twin, method)(*map(self._for_twin, args), **kwargs)
                except type(exc):
                    pass
                else:
                    raise AssertionError(f"{method}{args} raised {exc!r}, not on the twin")
            return None
        if self.twin is not None:
            twin_events = getattr(self.twin, method)(*map(self._for_twin, args), **kwargs)
            assert twin_events == events, f"{method}{args}: twin gave {twin_events}"
        if method == "submit":
            note(f"submitted {args[0]!r}")
            self.submitted[args[0].id] = len(self.submitted)
        for event in events:
            if isinstance(event, Submitted):
                self.targets[event.conversation_id] = (event.group,)
        self.journal.extend(events)
        self.apply(events)
        return events

    def _for_twin(self, arg: Any) -> Any:
        # Strategies keep per-Router indexes: the twin's group needs its own.
        if isinstance(arg, Group):
            strategy = self.strategy_factories[strategy_name(arg.strategy)]()
            return attrs.evolve(arg, strategy=strategy)
        return arg

    def apply(self, events: list[Event]) -> None:
        """Update the reference model from events, checking FIFO, skills and no
        duplicates."""
        for event in events:
            if isinstance(event, (Queued, Requeued, Relaxed)):
                cid = event.conversation_id
                self.holder.pop(cid, None)
                self.waiting[cid] = self._place(cid)
            elif isinstance(event, AffinityFallback):
                cid = event.conversation_id
                if cid in self.waiting:  # else it fell back before it waited
                    self.waiting[cid] = self._place(cid)
            elif isinstance(event, PositionChanged):
                cid = event.conversation_id
                # Told at the end of the call: the place is the one it has now.
                assert self.router.position(cid) == event.position, f"{cid} told a wrong place"
                assert event.position < event.previous_position, f"{cid} told it moved back"
            elif isinstance(event, Held):
                cid = event.conversation_id
                assert self.holder[cid] == event.operator_id
                assert cid not in self.on_hold
                self.on_hold.add(cid)
            elif isinstance(event, Released):
                cid = event.conversation_id
                self.on_hold.remove(cid)
                assert self.holder.pop(cid) == event.operator_id
                self.released[cid] = event.operator_id
            elif isinstance(event, Resumed):
                cid = event.conversation_id
                if cid in self.on_hold:
                    self.on_hold.remove(cid)
                else:
                    assert self.released.pop(cid) == event.operator_id
            elif isinstance(event, Responded):
                cid = event.conversation_id
                assert cid not in self.responded, f"{cid} responded to twice in one contact"
                assert event.operator_id == self.holder.get(cid, self.released.get(cid))
                self.responded.add(cid)
            elif isinstance(event, Transferred):
                cid = event.conversation_id
                self.responded.discard(cid)
                assert self.holder.pop(cid) == event.operator_id
                if event.to_group is not None:
                    self.targets[cid] = (event.group,)
                if event.to_operator is None:
                    self.declined[cid] = {event.operator_id}
                else:
                    self.declined.pop(cid, None)
            elif isinstance(event, Escalated):
                cid = event.conversation_id
                keep = self.router.group(event.from_group).overflow
                assert keep is not None, f"{cid} escalated from a group without overflow"
                before = self.targets[cid] if keep.keep else ()
                self.targets[cid] = (*before, event.group)
                self.waiting[cid] = self._place(cid)
            elif isinstance(event, HandedOff):
                cid = event.conversation_id
                self.responded.discard(cid)
                assert self.holder.pop(cid) == event.operator_id
                self.targets[cid] = (event.group,)
                self.declined.pop(cid, None)
            elif isinstance(event, (Assigned, Offered)):
                cid = event.conversation_id
                if isinstance(event, Offered) and event.operator_id in self.declined.get(cid, ()):
                    self._check_reoffer(cid, events[events.index(event) + 1 :])
                self._leaves_line(cid)
                if isinstance(event, Offered) or cid not in self.offered:
                    self._check_skills(cid, event.operator_id)
                if isinstance(event, Offered):
                    offers = self.offered.setdefault(cid, set())
                    assert event.operator_id not in offers, f"{cid} offered twice"
                    offers.add(event.operator_id)
                    continue
                offers = self.offered.pop(cid, set())
                assert not offers or event.operator_id in offers, f"{cid} not offered to them"
                assert cid not in self.holder, f"{cid} assigned twice"
                self.holder[cid] = event.operator_id
            elif isinstance(event, (OfferRejected, OfferExpired, OfferRescinded)):
                cid = event.conversation_id
                if cid not in self.offered:
                    continue  # rescinded after being accepted by another, or abandoned
                self.offered[cid].discard(event.operator_id)
                if not isinstance(event, OfferRescinded):
                    self.declined.setdefault(cid, set()).add(event.operator_id)
                if not self.offered[cid]:
                    # Nobody holds an offer any more: it waits again, in its old place.
                    del self.offered[cid]
                    if cid not in self.ended:
                        self.waiting[cid] = self._place(cid)
            elif isinstance(event, Finished):
                cid = event.conversation_id
                holder = self.released.pop(cid, None) or self.holder.pop(cid)
                assert holder == event.operator_id
                self.on_hold.discard(cid)
                self._end(cid)
            elif isinstance(event, Abandoned):
                cid = event.conversation_id
                self.waiting.pop(cid, None)
                self.offered.pop(cid, None)
                self._end(cid)

    def _check_reoffer(self, cid: str, later: list[Event]) -> None:
        """A conversation is offered to an operator who declined it only while no
        other operator who may take it is free (then, so now, unless a later event
        of the same call freed them)."""
        router = self.router
        since = {getattr(e, "operator_id", None) for e in later}
        conversation = router.conversation(cid).conversation
        for op in core_of(router).operators.values():
            if (
                op.id not in self.declined[cid]
                and op.id not in since
                and any(
                    op.may_take(g, conversation.channel, conversation.requirement)
                    for g in self.targets[cid]
                )
            ):
                raise AssertionError(
                    f"{cid} is offered again to an operator who declined it, "
                    f"while {op.id} is free to take it"
                )

    def _leaves_line(self, cid: str) -> None:
        if cid in self.waiting:
            line, key = self.waiting.pop(cid)
            ahead = [o for o, (l2, k2) in self.waiting.items() if l2 == line and k2 < key]
            assert not ahead, f"{cid} left its line before {ahead}, who were ahead"

    def _check_skills(self, cid: str, operator_id: str) -> None:
        """Nobody is given work they lack the skills for, at the current step."""
        info = self.router.conversation(cid)
        skills = self.router.operator(operator_id).operator.skills
        requirement = info.conversation.requirement
        assert meets(skills, requirement), f"{operator_id} lacks {requirement} for {cid}"

    def _place(self, cid: str) -> tuple[Any, ...]:
        info = self.router.conversation(cid)
        c = info.conversation
        # Work waiting for one operator alone has a line of its own.
        requirement = c.requirement if info.waiting_for is None else info.waiting_for
        groups = self.targets[cid]
        line = (groups, c.channel, requirement)
        # Ordered by the group it waits in as of this event (the line's last), not
        # the Router's: events are applied after the call, and a later event of it
        # may have moved the conversation on to a group with another order.
        order = self.router.group(groups[-1]).order(
            c.priority, info.enqueued_at, self.submitted[cid]
        )
        return line, order

    def _end(self, cid: str) -> None:
        assert cid not in self.ended, f"{cid} ended twice"
        self.ended.add(cid)

    def next_picks(self, router: Router) -> dict[tuple[str, str, Any], str | None]:
        """Whom each group would pick next, per channel and required skill: the
        strategies' memory (round-robin's pointer) shows here before work arrives."""
        requirements: list[dict[str, int]] = [{}, *({s: n} for s in self.skills for n in (1, 2, 3))]
        picks: dict[tuple[str, str, Any], str | None] = {}
        for group_id in self.group_ids:
            if group_id not in core_of(router).desks:
                continue
            for channel in self.channels:
                for requires in requirements:
                    probe = Conversation(
                        "probe", channel=channel, group=group_id, requires=requires
                    )
                    found = core_of(router).pick((group_id,), probe, (), 1)
                    picks[group_id, channel, str(requires)] = found[0][0].id if found else None
        return picks

    def new_conversation_id(self) -> str:
        self.next_id += 1
        return f"c{self.next_id}"

    # -- rules -------------------------------------------------------------------------

    @initialize(data=st.data())
    def start_with_a_team(self, data: st.DataObject) -> None:
        """Start from a staffed Router, so that short runs reach busy states."""
        config = data.draw(self.draws.config)
        for group_id in config.groups:
            self.call("add_group", config.group(group_id))
        for operator in config.operators:
            self.call("add_operator", operator)
            self.call("set_status", operator.id, config.statuses[operator.id])

    @rule(data=st.data())
    def add_group(self, data: st.DataObject) -> None:
        group = data.draw(self.draws.group)
        known = sorted(core_of(self.router).desks)
        missing = [g for g in self.group_ids if g not in known]
        if missing and data.draw(st.integers(0, 9)) > 0:  # mostly a group that can be added
            overflow = group.overflow
            if overflow is not None:  # …to a group that exists
                target = data.draw(st.sampled_from([None, *known]))
                overflow = None if target is None else attrs.evolve(overflow, to=target)
            new_id = data.draw(st.sampled_from(missing))
            group = attrs.evolve(group, id=new_id, overflow=overflow)
        self.call("add_group", group)

    @rule(data=st.data())
    def set_rules(self, data: st.DataObject) -> None:
        drawn = data.draw(st.none() | self.draws.rules)
        self.call("set_rules", drawn)

    @rule(data=st.data())
    def remove_group(self, data: st.DataObject) -> None:
        self.call("remove_group", data.draw(self.draws.group_id))

    @rule(data=st.data(), update=st.booleans())
    def add_or_update_operator(self, data: st.DataObject, update: bool) -> None:
        operator = data.draw(self.draws.operator)
        self.call("update_operator" if update else "add_operator", operator)

    @rule(data=st.data())
    def bot_comes_online(self, data: st.DataObject) -> None:
        """A bot serving one group comes online, so that bots get work to hand off:
        the starting team is all people, and drawn operators are seldom bots."""
        drawn = data.draw(self.draws.operator)
        bot = attrs.evolve(drawn, bot=True, groups={data.draw(self.draws.group_id)})
        known = bot.id in core_of(self.router).operators
        self.call("update_operator" if known else "add_operator", bot)
        self.call("set_status", bot.id, Status.ONLINE)

    @rule(data=st.data())
    def remove_operator(self, data: st.DataObject) -> None:
        self.call("remove_operator", data.draw(self.draws.operator_id))

    @rule(data=st.data(), status=statuses())
    def set_status(self, data: st.DataObject, status: Status) -> None:
        self.call("set_status", data.draw(self.draws.operator_id), status)

    @rule(data=st.data(), count=st.integers(1, 3))
    def submit(self, data: st.DataObject, count: int) -> None:
        for _ in range(count):
            drawn = data.draw(self.draws.conversation)
            self.call("submit", attrs.evolve(drawn, id=self.new_conversation_id()))

    @precondition(lambda self: self.holder or self.released)
    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        """An operator closes conversations they have, or ones released while the
        customer did not write back."""
        held = sorted({*self.holder, *self.released})
        for cid in data.draw(st.lists(st.sampled_from(held), min_size=1, max_size=2, unique=True)):
            self.call("finish", cid)

    @precondition(lambda self: self.waiting or self.offered)
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        self.call("abandon", data.draw(st.sampled_from(sorted({*self.waiting, *self.offered}))))

    @precondition(lambda self: self.offered)
    @rule(data=st.data(), accept=st.booleans())
    def answer_offer(self, data: st.DataObject, accept: bool) -> None:
        cid = data.draw(st.sampled_from(sorted(self.offered)))
        operator_id = data.draw(st.sampled_from(sorted(self.offered[cid])))
        self.call("accept" if accept else "reject", cid, operator_id)

    @precondition(lambda self: self.holder)
    @rule(data=st.data())
    def handoff(self, data: st.DataObject) -> None:
        """A bot hands a conversation to people (or, now and then, a person tries)."""
        held = sorted(self.holder)
        bots = [c for c in held if self.router.operator(self.holder[c]).operator.bot]
        cid = data.draw(st.sampled_from(bots or held))
        group_id = data.draw(self.draws.group_id)
        requires = data.draw(st.none() | skill_levels(self.skills, max_level=2))
        priority = data.draw(st.none() | st.integers(0, 2))
        self.call("handoff", cid, group_id, reason="drawn", requires=requires, priority=priority)

    @precondition(lambda self: self.holder)
    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        """An operator waits on the customer's reply (or, now and then, holds twice)."""
        self.call("hold", data.draw(st.sampled_from(sorted(self.holder))))

    @precondition(lambda self: self.on_hold)
    @rule(data=st.data())
    def leave_while_holding(self, data: st.DataObject) -> None:
        """An operator goes OFFLINE while a conversation waits on the customer: it is
        released, remembering them (else only groups that release held work do)."""
        cid = data.draw(st.sampled_from(sorted(self.on_hold)))
        self.call("set_status", self.holder[cid], Status.OFFLINE)

    @precondition(lambda self: self.on_hold or self.released)
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        """The customer writes again; a conversation whose slot was released goes
        back to its operator whenever they can take it."""
        self._resume(data.draw(st.sampled_from(sorted({*self.on_hold, *self.released}))))

    def _resume(self, cid: str) -> None:
        router = self.router
        core = core_of(router)
        ticket = core.tickets[cid]
        op = core.operators.get(self.released.get(cid, ""))
        can_take = op is not None and any(
            op.may_take(g, ticket.channel, ticket.requirement) for g in ticket.groups
        )
        events = self.call("resume", cid)
        assert events is not None, f"resume({cid!r}) failed"
        if can_take:
            assert op is not None
            given = [e for e in events if isinstance(e, (Assigned, Offered))]
            assert given, f"{cid} did not go back"
            assert given[0].conversation_id == cid, f"{cid} did not go back first"
            assert given[0].operator_id == op.id, f"{cid} did not go back to {op.id}"

    @precondition(lambda self: self.released)
    @rule(data=st.data(), action=st.sampled_from(["respond", "resume", "finish"]))
    def after_release(self, data: st.DataObject, action: str) -> None:
        """A released conversation moves on: the customer writes again, or the
        operator who held it replies or closes it. (Released ones are few among the
        conversations the rules above draw from.)"""
        cid = data.draw(st.sampled_from(sorted(self.released)))
        if action == "resume":
            self._resume(cid)
        elif action == "respond":
            self._respond(cid)
        else:
            assert self.call("finish", cid) is not None, f"finish({cid!r}) failed"

    @precondition(lambda self: self.holder)
    @rule(data=st.data(), to=st.integers(0, 2))
    def transfer(self, data: st.DataObject, to: int) -> None:
        """An operator transfers a conversation to a colleague, a group, or both."""
        cid = data.draw(st.sampled_from(sorted(self.holder)))
        kwargs: dict[str, Any] = {"reason": "drawn"}
        if to != 1:
            kwargs["to_operator"] = data.draw(self.draws.operator_id)
            kwargs["wait"] = data.draw(st.sampled_from([0.0, 5.0, math.inf]))
        if to != 0:
            kwargs["to_group"] = data.draw(self.draws.group_id)
        kwargs["priority"] = data.draw(st.none() | st.integers(0, 2))
        self.call("transfer", cid, **kwargs)

    @precondition(lambda self: self.holder or self.released)
    @rule(data=st.data())
    def respond(self, data: st.DataObject) -> None:
        """An operator replies: the first reply of a contact is told, later ones
        change nothing."""
        self._respond(data.draw(st.sampled_from(sorted({*self.holder, *self.released}))))

    def _respond(self, cid: str) -> None:
        first = cid not in self.responded
        events = self.call("responded", cid)
        assert events is not None, f"responded({cid!r}) failed"
        assert [type(e) for e in events] == ([Responded] if first else []), events

    @rule(data=st.data())
    def configure(self, data: st.DataObject) -> None:
        """The host changes the Router-wide settings: history, position updates,
        statistics."""
        self.call("configure", **data.draw(self.draws.settings))

    @rule(data=st.data(), kind=st.integers(0, 11))
    def call_that_must_fail(self, data: st.DataObject, kind: int) -> None:
        """Illegal calls of every kind: each must raise and change nothing."""
        live = sorted(self.waiting) + sorted(self.holder)
        failed: list[Event] | None = None
        if kind == 0 and live:
            cid = data.draw(st.sampled_from(live))
            failed = self.call("submit", Conversation(cid, channel="chat", group="nope"))
        elif kind == 1 and self.holder:
            failed = self.call("abandon", data.draw(st.sampled_from(sorted(self.holder))))
        elif kind == 2 and self.waiting:
            failed = self.call("finish", data.draw(st.sampled_from(sorted(self.waiting))))
        elif kind == 3:
            failed = self.call("finish", "no-such-conversation")
        elif kind == 4:
            failed = self.call("set_status", "no-such-operator", Status.ONLINE)
        elif kind == 5 and live:
            cid = data.draw(st.sampled_from(live))
            failed = self.call("accept", cid, "no-such-operator")
        elif kind == 6 and self.waiting:
            failed = self.call("reject", data.draw(st.sampled_from(sorted(self.waiting))), "o0")
        elif kind == 7 and self.waiting:
            failed = self.call("handoff", data.draw(st.sampled_from(sorted(self.waiting))), "g0")
        elif kind == 8 and self.waiting:
            failed = self.call("hold", data.draw(st.sampled_from(sorted(self.waiting))))
        elif kind == 9 and self.holder:
            active = sorted(set(self.holder) - self.on_hold)
            if active:
                failed = self.call("resume", data.draw(st.sampled_from(active)))
        elif kind == 10 and self.holder:
            cid = data.draw(st.sampled_from(sorted(self.holder)))
            failed = self.call("transfer", cid, to_operator=self.holder[cid])
        elif kind == 11 and self.waiting:
            failed = self.call("responded", data.draw(st.sampled_from(sorted(self.waiting))))
        assert failed is None, "an illegal call succeeded"

    @rule(data=st.data(), reading=st.sampled_from([math.nan, math.inf, "12", None, True]))
    def call_at_a_bad_clock(self, data: st.DataObject, reading: Any) -> None:
        """The host's clock gives a reading that is not a finite number of seconds:
        every call raises (``ClockError`` / ``ClockTypeError``) and changes nothing,
        but for one with nothing to do (a status the operator has already)."""
        calls: list[tuple[Any, ...]] = [
            ("tick",),
            ("submit", Conversation("at-a-bad-clock", channel="chat", group=self.group_ids[0])),
            ("configure",),
        ]
        if self.holder:
            calls.append(("finish", data.draw(st.sampled_from(sorted(self.holder)))))
        if self.waiting:
            calls.append(("abandon", data.draw(st.sampled_from(sorted(self.waiting)))))
        if self.operator_ids:
            calls.append(("set_status", self.operator_ids[0], Status.AWAY))
        method, *args = data.draw(st.sampled_from(calls))
        good, before = self.clock.now, self.router.snapshot()
        self.clock.now = reading
        try:
            failed = self.call(method, *args)
        finally:
            self.clock.now = good
        if failed is not None:
            assert failed == [], f"{method} at a clock reading of {reading!r} made {failed}"
            assert self.router.snapshot() == before, f"{method} changed the Router"

    @rule(seconds=st.sampled_from([0.0, 0.5, 3.0, 6.0, 31.0, 60.0]))
    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.call("tick")

    @precondition(lambda self: self.check_restarts)
    @rule(from_journal=st.booleans())
    def restart(self, from_journal: bool) -> None:
        """Rebuild the Router as a host would after a restart: from a snapshot taken
        now, through JSON; or from the last snapshot plus the journal of events
        since, also through JSON. The rebuilt Router is the one under test from now
        on, and the one from before keeps running beside it as the ``twin``.
        """
        clock, strategies = self.clock, self.strategy_factories
        rebuild: Callable[..., Router]
        if from_journal:
            journal = json.loads(json.dumps([event.as_dict() for event in self.journal]))
            rebuild = functools.partial(
                Router.replay, self.checkpoint, journal, clock=clock, strategies=strategies
            )
        else:
            self.checkpoint = json.dumps(self.router.snapshot())
            self.journal = []
            rebuild = functools.partial(
                Router.restore, self.checkpoint, clock=clock, strategies=strategies
            )
        rebuilt = self.restart_router(rebuild)
        assert rebuilt.snapshot() == self.router.snapshot(), "the restarted Router differs"
        assert self.next_picks(rebuilt) == self.next_picks(self.router), "it would pick otherwise"
        # The Router from before goes on beside the rebuilt one, silently, as the
        # reference every later call is compared with.
        core_of(self.router).on_event = None
        self.router, self.twin = rebuilt, self.router

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def router_invariants(self) -> None:
        check_invariants(self.router)
        if self.twin is not None:
            check_invariants(self.twin)

    @invariant()
    def statistics_add_up(self) -> None:
        """Per-channel figures add up to the overall ones; shares stay in [0, 1]."""
        if self.router.config.metrics is None:
            return
        metrics = self.router.metrics
        overall = metrics.stats()
        parts = [metrics.stats(channel=channel) for channel in metrics.channels()]
        for name in COUNTS:
            total = sum(getattr(part, name) for part in parts)
            assert total == getattr(overall, name), f"{name}: channels sum to {total}"
        assert sum(part.waiting or 0 for part in parts) == overall.waiting
        for figure in (overall.service_level, overall.abandon_rate):
            assert figure is None or 0.0 <= figure <= 1.0, overall
        team = metrics.operator_stats()
        for figure in (team.occupancy, team.utilisation):
            assert figure is None or 0.0 <= figure <= 1.0 + 1e-9, team

    @invariant()
    def events_told_the_truth(self) -> None:
        infos = {info.id: info for info in self.router.conversations()}
        live = set(self.waiting) | set(self.holder) | set(self.offered) | set(self.released)
        assert set(infos) == live
        for cid, info in infos.items():
            assert info.operator_id == self.holder.get(cid), cid
            assert info.held_by == self.released.get(cid), cid
            assert (info.held_at is not None) == (cid in self.on_hold or cid in self.released)
            assert (info.position is not None) == (cid in self.waiting), cid
            assert set(info.offered_to) == self.offered.get(cid, set()), cid
            assert info.conversation.group == self.targets[cid][-1], cid

    @invariant()
    def nothing_lost_or_duplicated(self) -> None:
        places = [set(self.waiting), set(self.holder), set(self.offered), set(self.released)]
        assert sum(map(len, places)) == len(set().union(*places)), "a conversation is in two places"
        live = set().union(*places)
        assert set(self.submitted) == live | self.ended
        assert self.router.queue_length() == len(self.waiting)
        held = [cid for info in self.router.operators() for cid in info.conversations]
        # Held conversations keep their slot: they stay in ``holder``.
        expected = [*self.holder, *(c for c, ops in self.offered.items() for _ in ops)]
        assert sorted(held) == sorted(expected)
