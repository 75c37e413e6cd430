"""The plan: which policy hooks the core calls, decided when things are configured.

The core (:mod:`omniroute.core`) imports no policy. This module wires them in:

* :func:`desk_for` gives a group's :class:`~omniroute.core.Desk` the hooks of the
  policies the group sets (offers, overflow) and its strategy's fast path, when the
  group is added;
* :func:`wire` sets the Router-wide hooks (relaxation, continuity, position
  telling) when a Router is made, and :func:`configure` the settings that turn
  layers on or off (customer history, position updates, statistics);
* :data:`TIMERS` is the table of timer kinds, one row each, that :func:`tick`,
  :func:`next_due`, snapshots and restores read.

A policy nobody configured is not in any hook, so it costs nothing on the hot path.
"""

from __future__ import annotations

from typing import Any

import attrs

from omniroute import continuity, holding, offers, overflow, positions, presence, relaxation
from omniroute.codec import RouterConfig, encode_config
from omniroute.core import Core, Desk
from omniroute.errors import WrongType
from omniroute.estimate import WaitEstimates, WaitEstimator
from omniroute.events import Configured, Event, Ticked
from omniroute.history import History, HistoryLimits
from omniroute.lifecycle import ConversationState
from omniroute.metrics import Metrics, slots
from omniroute.model import Group
from omniroute.policy import PositionUpdates
from omniroute.state import Ticket
from omniroute.stats import MetricsSettings
from omniroute.strategies._ranked import RankedStrategy
from omniroute.timers import TimerRow

__all__ = ["KEEP", "TIMERS", "configure", "desk_for", "next_due", "rearm", "settle", "tick", "wire"]

TIMERS: tuple[TimerRow[Core], ...] = (
    relaxation.STEP,
    overflow.AFTER,
    offers.EXPIRY,
    presence.KEPT,
    continuity.RESERVATION,
    holding.GRACE,
    positions.NOTIFICATION,
)
"""Every kind of timer, by kind number: the order timers due at once fire in."""
assert [row.kind for row in TIMERS] == list(range(len(TIMERS)))

KEEP: Any = object()
"""``configure()``: leave this setting as it is."""

QUEUED = ConversationState.QUEUED
OFFERED = ConversationState.OFFERED
ASSIGNED = ConversationState.ASSIGNED
HELD = ConversationState.HELD


def desk_for(group: Group) -> Desk:
    """A new group's desk, with the hooks of the policies it sets."""
    desk = Desk(group)
    if group.offers is not None:
        desk.give = offers.give
        desk.want = group.offers.ring
    policy = group.overflow
    if policy is not None:
        desk.arrival = overflow.arrival
        if policy.after is not None:
            desk.schedule = overflow.schedule
        if policy.when_nobody_online:
            desk.deserted = overflow.deserted
    strategy = group.strategy
    if isinstance(strategy, RankedStrategy):
        kind = type(strategy)
        if kind.assigned is RankedStrategy.assigned:
            desk.assigned = None  # it remembers nothing: skip the call
        if strategy.first_is_candidates_first():
            desk.first = strategy.first
    return desk


def wire(core: Core) -> None:
    """The Router-wide hooks of a new core, and its default settings."""
    core.catch_up_hook = relaxation.catch_up
    core.relax_hook = relaxation.schedule
    core.prefer_hook = continuity.prefer
    core.keep_hook = continuity.keep
    core.reserve_hook = continuity.reserve
    core.tell_hook = positions.tell
    core.config = config = RouterConfig()
    core.history = None if config.history is None else History(config.history)
    core.estimator = WaitEstimator(config.wait_estimates)
    core.updates = config.position_updates
    core.books = None
    if config.metrics is not None:
        core.books = Metrics(
            config.metrics, start=core.last_time, clock=core.reading, contacts=core.tickets
        )


def configure(
    core: Core,
    *,
    history: HistoryLimits | None = KEEP,
    position_updates: PositionUpdates | None = KEEP,
    wait_estimates: WaitEstimates = KEEP,
    metrics: MetricsSettings | None = KEEP,
) -> list[Event]:
    """Set the Router-wide settings; those not given stay as they are."""
    config = core.config
    changes: dict[str, Any] = {}
    for name, value, kind in (
        ("history", history, HistoryLimits),
        ("position_updates", position_updates, PositionUpdates),
        ("wait_estimates", wait_estimates, WaitEstimates),
        ("metrics", metrics, MetricsSettings),
    ):
        if value is KEEP:
            continue
        optional = name != "wait_estimates"
        if not (isinstance(value, kind) or (value is None and optional)):
            allowed = f"{kind.__name__} or None" if optional else kind.__name__
            raise WrongType(f"configure(): {name} must be {allowed}, got {value!r}")
        changes[name] = value
    new = attrs.evolve(config, **changes)
    now = core.now()
    if new.history != config.history:
        core.history = None if new.history is None else History(new.history)
        for ticket in core.tickets.values():
            ticket.record = None
    if new.wait_estimates != config.wait_estimates:
        core.estimator = WaitEstimator(new.wait_estimates)
    core.config = new
    if new.position_updates != config.position_updates:
        settle(core)
        positions.rewatch(core)
    event = Configured(seq=core.seq(), time=now, config=encode_config(new))
    if new.metrics is None:
        core.books = None
    elif config.metrics is None:
        start_counting(core, new.metrics)
    else:
        core.note(event)  # the statistics read their new settings from it
    return core.emit([event])


def settle(core: Core) -> None:
    """Set the hooks that follow from the settings (after a configure or a restore)."""
    core.updates = core.config.position_updates
    core.watch_hook = positions.watch if core.updates is not None else None


def start_counting(core: Core, settings: MetricsSettings) -> Metrics:
    """Statistics from now on, for a Router already at work (turned on, or restored
    from a snapshot that has none): they know what is live, and count nothing of
    it before now."""
    now = core.last_time
    books = Metrics(settings, start=now, clock=core.reading, contacts=core.tickets)
    for ticket in core.tickets.values():
        fresh_contact(ticket)
        books.carry(ticket)
    for op in core.operators.values():
        books.add_agent(op.id, op.status, op.n_active, slots(op.capacity), op.operator.bot, now)
    core.books = books
    return books


def fresh_contact(ticket: Ticket) -> None:
    """A ticket's contact as a fresh count sees it: from its state, nothing counted."""
    state = ticket.state
    waiting = state is QUEUED or state is OFFERED
    op = ticket.operator
    ticket.count_key = ticket.wait_key = (ticket.group, ticket.channel)
    ticket.contact_start = ticket.entered_at
    ticket.waiting = waiting
    ticket.wait_since = ticket.enqueued_at
    ticket.answered = not waiting
    ticket.stat_operator = op.id if op is not None else ticket.held_by
    ticket.stat_offers = set(ticket.offers) if state is OFFERED else None
    ticket.slot_since = ticket.assigned_at if state is ASSIGNED or state is HELD else None
    ticket.handled = 0.0
    ticket.hold_since = ticket.held_at
    ticket.hold_total = 0.0


def tick(core: Core) -> list[Event]:
    """Fire the timers that are due, each by its row. ``[]`` if none was live."""
    now = core.now()
    if core.history is not None:
        core.history.expire(now)
    events: list[Event] = []
    for timer in core.timers.due(now):
        row = TIMERS[timer[1]]
        if row.live(core, timer, now):
            if not events:
                events.append(core.note(Ticked(seq=core.seq(), time=now)))
            row.fire(core, timer, now, events)
    return core.emit(events)


def next_due(core: Core) -> float | None:
    """When the earliest timer falls due (None: none is set)."""
    return core.timers.next_due()


def rearm(core: Core) -> None:
    """Set every timer a rebuilt core's tickets have pending, row by row."""
    for ticket in core.tickets.values():
        for row in TIMERS:
            row.rearm(core, ticket)
