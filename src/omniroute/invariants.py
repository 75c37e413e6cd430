"""Every invariant a Router keeps, checked from the outside.

For tests — omniroute's own and a host's (see :mod:`omniroute.testing`). The checks
raise ``AssertionError`` naming what broke, even under ``python -O``.
"""

from __future__ import annotations

from omniroute.core import Core
from omniroute.lifecycle import ConversationState
from omniroute.metrics import COUNTS, Metrics, slots
from omniroute.model import Status
from omniroute.seam import Hosting, core_of
from omniroute.strategies._ranked import RankedStrategy

__all__ = ["check_invariants", "metrics_problems"]


def _require(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_invariants(router: Hosting) -> None:
    """Check that ``router`` is consistent and has kept every promise:

    * every live conversation is in exactly one place: waiting in the line of its
      groups and current requirement (or the personal line of the operator it waits
      for, who may take it), offered to the operators who hold it, held by the one
      operator it is assigned or held by (a held conversation keeps its slot), or —
      held with its slot released — by nobody;
    * no operator holds more than any of their limits allows, and OFFLINE operators
      hold only what their groups keep for them (``keep_on_leave``);
    * work-conserving: no ONLINE operator with room for a waiting conversation they
      may take (group, skills and channel) is left idle;
    * nothing waits in a group that overflows when nobody is ONLINE while nobody is;
    * customer history stays within its limits and agrees with the live
      conversations it records;
    * waiting lines are ordered, counts add up, and every built-in strategy's
      index holds exactly the operators free to receive work.

    Raises ``AssertionError`` naming the broken invariant. Cost ``O(n l + q log q)``.
    """
    check_core(core_of(router))


def check_core(core: Core) -> None:
    """:func:`check_invariants` of a core itself."""
    core.room._check()
    for line in core.room.lines():
        for key in line.keys():  # noqa: SIM118 (a Line, not a dict)
            _require(key[-1].key is key and key[-1].line is line, f"{key[-1].id!r} is misfiled")
    queued, offered = ConversationState.QUEUED, ConversationState.OFFERED
    held_states = (ConversationState.ASSIGNED, ConversationState.HELD)
    released = ConversationState.RELEASED
    live_in_group = dict.fromkeys(core.desks, 0)
    held: dict[str, list[str]] = {op_id: [] for op_id in core.operators}
    for ticket in core.tickets.values():
        for group_id in ticket.groups:
            live_in_group[group_id] += 1
        _require(ticket.group == ticket.groups[-1], f"{ticket.id!r} waits in the wrong group")
        _require(
            ticket.conversation.group == ticket.group
            and ticket.conversation.requires == ticket.requirement_at(ticket.step)
            and ticket.conversation.requirement == ticket.requirement,
            f"{ticket.id!r}'s current form is stale",
        )
        if ticket.state is queued:
            _require(ticket.operator is None, f"{ticket.id!r} waits but has an operator")
            _require(not ticket.offers, f"{ticket.id!r} waits but is offered")
            line = ticket.line
            _require(line.position(ticket.key) >= 1, f"{ticket.id!r} waits in no line")
            target = ticket.reserved_for
            if target is None:
                _require(
                    line.groups == ticket.groups
                    and line.requirement == ticket.conversation.requirement
                    and line.operator is None,
                    f"{ticket.id!r} waits in the wrong line",
                )
            else:
                _require(
                    line.groups == ticket.groups and line.operator == target.id,
                    f"{ticket.id!r} waits for {target.id!r} in the wrong line",
                )
                _require(
                    core.operators.get(target.id) is target
                    and target.status is not Status.OFFLINE
                    and target.serves(ticket.groups, ticket.requirement) is not None,
                    f"{ticket.id!r} waits for {target.id!r}, who may not take it",
                )
            overflow = core.desks[ticket.group].overflow
            _require(
                overflow is None
                or not overflow.when_nobody_online
                or core.desks[ticket.group].online > 0,
                f"{ticket.id!r} waits in group {ticket.group!r}, where nobody is ONLINE, "
                "instead of overflowing",
            )
        elif ticket.state is offered:
            _require(ticket.operator is None and ticket.offers, f"{ticket.id!r} offered to nobody")
            for op_id, offered_to in ticket.offers.items():
                _require(
                    core.operators.get(op_id) is offered_to,
                    f"{ticket.id!r} offered to a stranger",
                )
                held[op_id].append(ticket.id)
        elif ticket.state is released:
            _require(
                ticket.operator is None and ticket.held_by and ticket.held_at is not None,
                f"{ticket.id!r} is released but still held, or forgot who held it",
            )
        else:
            _require(ticket.state in held_states, f"{ticket.id!r} has ended")
            _require(
                (ticket.held_at is not None) == (ticket.state is ConversationState.HELD),
                f"{ticket.id!r} hold time is stale",
            )
            op = ticket.operator
            _require(
                op is not None and core.operators.get(op.id) is op and not ticket.offers,
                f"{ticket.id!r} is assigned to an operator the Router does not know",
            )
            assert op is not None
            held[op.id].append(ticket.id)
    desks = core.desks
    counted = {group_id: desk.live for group_id, desk in desks.items()}
    _require(live_in_group == counted, "live conversations per group miscounted")
    released_in_group = dict.fromkeys(desks, 0)
    for ticket in core.tickets.values():
        if ticket.state is released:
            released_in_group[ticket.group] += 1
    counted = {group_id: desk.released for group_id, desk in desks.items()}
    _require(released_in_group == counted, "released conversations miscounted")
    waiting = sum(t.state is queued for t in core.tickets.values())
    _require(len(core.room) == waiting, "waiting count differs from the lines")
    online = dict.fromkeys(desks, 0)
    for op_id, op in core.operators.items():
        if op.status is Status.ONLINE:
            for group_id in op.operator.groups:
                online[group_id] += 1
        _require(
            sorted(held[op_id]) == sorted(op.conversations),
            f"operator {op_id!r} holds {sorted(op.conversations)}, "
            f"but {sorted(held[op_id])} are assigned or offered to them",
        )
        by_channel: dict[str, int] = {}
        for ticket in op.conversations.values():
            by_channel[ticket.channel] = by_channel.get(ticket.channel, 0) + 1
        _require(
            {c: n for c, n in op.active_by_channel.items() if n} == by_channel
            and op.n_active == len(op.conversations),
            f"operator {op_id!r} load miscounted",
        )
        problems = op.capacity.violations(by_channel)
        _require(not problems, f"operator {op_id!r} is over a limit: {problems}")
        _require(op.free == op.can_receive(), f"operator {op_id!r} free flag is stale")
        if op.status is Status.OFFLINE:
            kept = [
                t.id
                for t in op.conversations.values()
                if t.state is not ConversationState.ASSIGNED or not desks[t.group].keep_on_leave
            ]
            _require(not kept, f"operator {op_id!r} is OFFLINE but holds {kept}")
        for group_id in op.operator.groups:
            _require(op_id in desks[group_id].members, f"{op_id!r} missing from {group_id!r}")
        if op.can_receive():
            for line in core.lines_for(op) + core.room.personal_of(op_id):
                if line and op.fits(line.channel):
                    raise AssertionError(
                        f"not work-conserving: operator {op_id!r} is free while "
                        f"{line.head().id!r} waits in group {line.group!r} on {line.channel!r}"
                    )
    counted = {group_id: desk.online for group_id, desk in desks.items()}
    _require(online == counted, f"ONLINE operators per group miscounted: {online}")
    history = core.history
    if history is not None:
        history._check()
        limits = history.limits
        _require(
            limits.max_customers is None or history.customers() <= limits.max_customers,
            "customer history remembers too many customers",
        )
        for ticket in core.tickets.values():
            record = ticket.record
            customer = ticket.submitted.customer_id
            _require(
                record is None or customer is not None,
                f"{ticket.id!r} has no customer but a history entry",
            )
            if record is not None and record.customer is not None:
                visit = record.view()
                _require(
                    visit.conversation_id == ticket.id
                    and visit.outcome is None
                    and visit.group == ticket.group,
                    f"{ticket.id!r}'s history entry disagrees with it: {visit}",
                )
    problems = metrics_problems(core)
    _require(not problems, "; ".join(problems[:3]))
    for group_id, desk in desks.items():
        # The built-in strategies' own indexes; a host strategy's are its own affair.
        strategy = desk.strategy
        if isinstance(strategy, RankedStrategy):
            strategy._check()
            free = {o for o in desk.members if core.operators[o].free}
            _require(
                len(strategy) == len(free),
                f"group {group_id!r}: strategy indexes {len(strategy)} operators, "
                f"{len(free)} are free",
            )


def metrics_problems(core: Core) -> list[str]:
    """Where the statistics (if kept) disagree with the core — the conversations and
    operators they know, who waits where, who holds what — or with themselves:
    contacts that do not add up."""
    metrics = core.books
    if metrics is None:
        return []
    assert isinstance(metrics, Metrics)
    contacts, agents = metrics._contacts, metrics._agents
    problems = []
    odd = sorted(contacts.keys() ^ core.tickets.keys())
    if odd:
        problems.append(f"statistics know the wrong live conversations: {odd[:5]}")
    odd = sorted(agents.keys() ^ core.operators.keys())
    if odd:
        problems.append(f"statistics know the wrong operators: {odd[:5]}")
    if problems:
        return problems
    waiting_states = (ConversationState.QUEUED, ConversationState.OFFERED)
    slot_states = (ConversationState.ASSIGNED, ConversationState.HELD)
    for cid, ticket in core.tickets.items():
        contact = contacts[cid]
        in_slot = ticket.state in slot_states
        expected = {
            "channel": ticket.channel,
            "waiting": ticket.state in waiting_states,
            "in a slot": in_slot,
            "operator": ticket.operator.id
            if in_slot and ticket.operator
            else contact.stat_operator,
            "on hold": ticket.held_at is not None,
            "responded": ticket.responded,
            "offers": set(ticket.offers) if ticket.state is ConversationState.OFFERED else None,
        }
        known = {
            "channel": contact.channel,
            "waiting": contact.waiting,
            "in a slot": contact.slot_since is not None,
            "operator": contact.stat_operator,
            "on hold": contact.hold_since is not None,
            "responded": contact.responded,
            "offers": contact.stat_offers or None
            if ticket.state is ConversationState.OFFERED
            else None,
        }
        if contact.waiting:
            expected["waits in"] = (ticket.group, ticket.channel)
            known["waits in"] = contact.wait_key
        if known != expected:
            wrong = sorted(name for name in expected if known[name] != expected[name])
            problems.append(f"statistics disagree on conversation {cid!r}: {wrong}")
    bots = {op_id for op_id, op in core.operators.items() if op.operator.bot}
    if bots != metrics._bots & core.operators.keys():
        problems.append(f"statistics take {sorted(metrics._bots)} for the bots, not {sorted(bots)}")
    for op_id, op in core.operators.items():
        agent = agents[op_id]
        if (agent.status, agent.load, agent.slots) != (op.status, op.n_active, slots(op.capacity)):
            problems.append(
                f"statistics disagree on operator {op_id!r}: status {agent.status.value}, "
                f"load {agent.load}, slots {agent.slots}"
            )
    return problems + _count_problems(metrics)


def _count_problems(metrics: Metrics) -> list[str]:
    """Contacts add up in every (group, channel): each offered one was answered,
    abandoned, moved on or still waits; each answered one ended or is still live."""
    problems = []
    totals: dict[tuple[str, str], dict[str, float]] = {}
    for interval in metrics._intervals(since=None):
        for key, tally in interval.cells.items():
            total = totals.setdefault(key, dict.fromkeys(COUNTS, 0))
            for name in COUNTS:
                total[name] += getattr(tally, name)
            if tally.waits.count != tally.answered:
                problems.append(f"{key}: {tally.answered} answered, {tally.waits.count} waits")
    live: dict[tuple[str, str], list[int]] = {}
    for contact in metrics._contacts.values():
        live.setdefault(contact.count_key, [0, 0])[contact.answered] += 1
    for key in totals.keys() | live.keys() | metrics._carried.keys():
        t = totals.get(key, dict.fromkeys(COUNTS, 0))
        unanswered, answered = live.get(key, [0, 0])
        carried_waiting, carried_answered = metrics._carried.get(key, [0, 0])
        arrived = t["offered"] + t["escalated_in"] + carried_waiting
        left = t["answered"] + t["abandoned"] + t["short_abandoned"] + t["escalated_out"]
        if arrived != left + unanswered:
            problems.append(
                f"{key}: {arrived} contacts arrived, {left} left and {unanswered} wait unanswered"
            )
        ended = t["finished"] + t["transferred"] + t["handed_off"] + t["abandoned_after_answer"]
        if t["answered"] + carried_answered != ended + answered or t["handled"] != ended:
            problems.append(f"{key}: {t['answered']} answered, {ended} ended, {answered} live")
        if t["answered_within"] > t["answered"] or t["abandoned_within"] > t["abandoned"]:
            problems.append(f"{key}: more contacts within the threshold than in all")
    return problems
