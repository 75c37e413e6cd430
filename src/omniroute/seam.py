"""The seam: what persistence and checks may use of the core, in one place.

Snapshots (:mod:`omniroute.snapshot`), journals (:mod:`omniroute.journal`), the
invariant checks (:mod:`omniroute.invariants`) and the testing machine
(:mod:`omniroute.testing`) read and rebuild a Router through this interface, never
through the Router's private names:

* **records**: ``core.tickets`` (id → :class:`~omniroute.state.Ticket`, in
  submission order), ``core.operators`` (id → :class:`~omniroute.state.OperatorState`,
  in the order they were added), ``core.desks`` (group id →
  :class:`~omniroute.core.Desk`, in the order the groups were added);
* **indexes**: ``core.room`` (the waiting lines), :meth:`Core.lines_for`, each
  desk's strategy, ``core.timers``;
* **settings and books**: ``core.config``, ``core.rules``, ``core.history``,
  ``core.estimator``, ``core.books``; **counters**: ``core.last_time``,
  ``core.event_seq``, ``core.ticket_seq``, ``core.joined``;
* **export**: :func:`counters`; **install**: :func:`install_group`,
  :func:`install_operator`, :func:`install_ticket` (and :func:`count_online` for
  each ONLINE operator), then :func:`settle` and :func:`rearm` once everything is
  in place.
"""

from __future__ import annotations

from typing import Protocol

from omniroute.core import Core, Desk
from omniroute.lifecycle import ConversationState
from omniroute.plan import TIMERS, rearm, settle, start_counting
from omniroute.presence import count_online
from omniroute.roster import install_group, install_operator
from omniroute.state import Ticket

__all__ = [
    "TIMERS",
    "Core",
    "Desk",
    "Hosting",
    "core_of",
    "count_online",
    "counters",
    "install_group",
    "install_operator",
    "install_ticket",
    "rearm",
    "settle",
    "start_counting",
]


class Hosting(Protocol):
    """Anything that runs a core: the :class:`~omniroute.Router` and its subclasses."""

    @property
    def _core(self) -> Core: ...


def core_of(router: Hosting) -> Core:
    """The core a Router runs."""
    return router._core


def counters(core: Core) -> dict[str, int]:
    """The numbers a Router hands out, as a snapshot keeps them."""
    return {"event_seq": core.event_seq, "ticket_seq": core.ticket_seq, "joined": core.joined}


def install_ticket(core: Core, ticket: Ticket) -> None:
    """A live conversation rebuilt elsewhere joins the core: counted in its groups
    (the caller puts it in its line or with its operators)."""
    core.tickets[ticket.id] = ticket
    core.count_live(ticket, 1)
    if ticket.state is ConversationState.RELEASED:
        core.desks[ticket.group].released += 1
