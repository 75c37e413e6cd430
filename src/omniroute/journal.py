"""Rebuilding a Router from a snapshot and the events that came after it.

The first event of every mutating call names the call and carries its input
(``Submitted`` carries the conversation, ``StatusChanged`` the new status…); the
events after it are its consequences. Replay re-runs each call on the restored
Router at the time the event records, and checks that it produces exactly the
recorded events. So the rebuilt Router is the original, strategies' memory
included, or replay fails loudly with :class:`~omniroute.JournalError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from omniroute import holding, offers, plan, presence, roster, transfers
from omniroute.codec import Decoder
from omniroute.core import Core
from omniroute.errors import JournalError, OmnirouteError
from omniroute.events import (
    Abandoned,
    Configured,
    Event,
    Finished,
    GroupAdded,
    GroupRemoved,
    HandedOff,
    Held,
    OfferAccepted,
    OfferRejected,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    Responded,
    Resumed,
    RulesChanged,
    StatusChanged,
    Submitted,
    Ticked,
    Transferred,
)
from omniroute.model import Group
from omniroute.strategies.base import unknown_strategy

if TYPE_CHECKING:
    from omniroute.strategies import StrategyFactories

__all__ = ["ScriptedClock", "replay"]


class ScriptedClock:
    """The clock of a Router being replayed: it reads what the journal says."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


Call = Callable[[Core, Any, "StrategyFactories"], list[Event]]


def _add_group(core: Core, event: GroupAdded, factories: StrategyFactories) -> list[Event]:
    factory = factories.get(event.strategy)
    if factory is None:
        raise JournalError(
            f"event seq {event.seq}: {unknown_strategy(event.group, event.strategy)}"
        )
    policies = Decoder(JournalError, f"event seq {event.seq}").group_policies(
        event.settings, "settings"
    )
    return roster.add_group(core, Group(event.group, strategy=factory(), **policies))


def _configure(core: Core, event: Configured, _: StrategyFactories) -> list[Event]:
    config = Decoder(JournalError, f"event seq {event.seq}").config(event.config, "config")
    return plan.configure(
        core,
        history=config.history,
        position_updates=config.position_updates,
        wait_estimates=config.wait_estimates,
        metrics=config.metrics,
    )


def _transfer(core: Core, event: Transferred, _: StrategyFactories) -> list[Event]:
    return transfers.transfer(
        core,
        event.conversation_id,
        to_operator=event.to_operator,
        to_group=event.to_group,
        wait=math.inf if event.wait is None else event.wait,
        reason=event.reason,
        priority=event.priority,
    )


# The call each call-starting event records, re-run with that event's input.
CALLS: dict[type[Event], Call] = {
    Submitted: lambda core, e, _: core.submit(e.conversation, None),
    Finished: lambda core, e, _: core.finish(e.conversation_id),
    Abandoned: lambda core, e, _: core.abandon(e.conversation_id),
    StatusChanged: lambda core, e, _: presence.set_status(core, e.operator_id, e.status),
    OperatorAdded: lambda core, e, _: roster.add_operator(core, e.operator),
    OperatorUpdated: lambda core, e, _: roster.update_operator(core, e.operator),
    OperatorRemoved: lambda core, e, _: roster.remove_operator(core, e.operator_id),
    GroupAdded: _add_group,
    GroupRemoved: lambda core, e, _: roster.remove_group(core, e.group),
    OfferAccepted: lambda core, e, _: offers.accept(core, e.conversation_id, e.operator_id),
    OfferRejected: lambda core, e, _: offers.reject(core, e.conversation_id, e.operator_id),
    HandedOff: lambda core, e, _: transfers.handoff(
        core, e.conversation_id, e.group, reason=e.reason, requires=e.requires, priority=e.priority
    ),
    Ticked: lambda core, e, _: plan.tick(core),
    RulesChanged: lambda core, e, _: roster.set_rules(core, e.rules),
    Transferred: _transfer,
    Held: lambda core, e, _: holding.hold(core, e.conversation_id),
    Resumed: lambda core, e, _: holding.resume(core, e.conversation_id),
    Responded: lambda core, e, _: holding.respond(core, e.conversation_id),
    Configured: _configure,
}


def decode(events: Iterable[Event | Mapping[str, Any]]) -> list[Event]:
    """Events, decoding dicts; their ``seq`` must strictly increase."""
    decoded: list[Event] = []
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise JournalError(f"a journal is a list of events, got {type(events).__name__}")
    for item in events:
        event = item if isinstance(item, Event) else Event.from_dict(item)
        if decoded and event.seq <= decoded[-1].seq:
            raise JournalError(
                f"journal out of order: seq {event.seq} comes after seq {decoded[-1].seq}"
            )
        decoded.append(event)
    return decoded


def replay(
    core: Core,
    clock: ScriptedClock,
    events: Iterable[Event | Mapping[str, Any]],
    factories: StrategyFactories,
) -> list[Event]:
    """Re-run on ``core`` (whose clock is ``clock``) the calls the journal records
    after its last event; return the events the journal lacks at its end.

    Cost: the cost of those calls, plus decoding.
    """
    pending = [event for event in decode(events) if event.seq > core.event_seq]
    i = 0
    while i < len(pending):
        event = pending[i]
        if event.seq != core.event_seq + 1:
            raise JournalError(
                f"journal skips from seq {core.event_seq} to seq {event.seq}: events are missing"
            )
        call = CALLS.get(type(event))
        if call is None:
            raise JournalError(
                f"event seq {event.seq} ({type(event).__name__}) does not start a call: "
                "a journal must hold whole calls, from the event after the snapshot on"
            )
        clock.now = event.time
        try:
            produced = call(core, event, factories)
        except OmnirouteError as exc:
            if isinstance(exc, JournalError):
                raise
            raise JournalError(
                f"event seq {event.seq} ({type(event).__name__}) cannot be replayed: {exc}"
            ) from exc
        if not produced:
            # A recorded call always produced its own first event: this one did nothing.
            raise JournalError(
                f"journal diverges at seq {event.seq}: it recorded {event!r}, replay gives "
                "no events; was it written with other strategies or another version?"
            )
        recorded = pending[i : i + len(produced)]
        for was, now in zip(recorded, produced, strict=False):
            if was != now:
                raise JournalError(
                    f"journal diverges at seq {was.seq}: it recorded {was!r}, replay gives "
                    f"{now!r}; was it written with other strategies or another version?"
                )
        i += len(produced)
        if i > len(pending):
            # The journal ends inside a call: the host stopped while being told of
            # it. The call had finished, and replay has finished it again; the host
            # still has to hear the rest.
            return produced[len(recorded) :]
    return []
