"""The records the statistics keep: tallies of contacts per interval, operators'
time and work, and what is remembered of each live contact; and their plain-data
form for snapshots. Used by :class:`omniroute.metrics.Metrics`.

A live contact is any object with the contact attributes of :class:`Contact`: the
Router counts on its own tickets (:class:`omniroute.state.Ticket`), a Metrics fed
with events keeps :class:`Contact` records of its own.
"""

from __future__ import annotations

from typing import Any

from omniroute._reading import Reader
from omniroute.capacity import Capacity
from omniroute.model import Status
from omniroute.sketch import QuantileSketch

__all__ = [
    "COUNTS",
    "Agent",
    "Contact",
    "Interval",
    "Tally",
    "Work",
    "copy_contact",
    "decode_agent",
    "decode_contact",
    "decode_interval",
    "encode_agent",
    "encode_contact",
    "encode_interval",
    "restart",
    "slots",
    "start_contact",
]

Key = tuple[str, str]  # (group, channel)

COUNTS = (
    "offered",
    "escalated_in",
    "escalated_out",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "short_abandoned",
    "abandoned_after_answer",
    "transferred",
    "handed_off",
    "finished",
    "responded",
    "holds",
    "handled",
)
"""The counts of a :class:`~omniroute.stats.ConversationStats`, as its fields are named."""
TOTALS = ("wait_total", "abandon_wait_total", "response_total", "handle_total", "hold_total")
WORK_TIMES = ("online_time", "away_time", "busy_time", "load_time", "capacity_time")
WORK_COUNTS = ("answered", "finished", "transferred", "handed_off", "responded")
WORK_TOTALS = ("response_total", "handle_total")
WORK = (*WORK_TIMES, *WORK_COUNTS, *WORK_TOTALS)
ACCURACY = 0.01  # the wait sketches' relative accuracy

ONLINE, AWAY, OFFLINE = Status.ONLINE, Status.AWAY, Status.OFFLINE


class Tally:
    """Contacts of one (group, channel) in one interval."""

    __slots__ = (*COUNTS, *TOTALS, "longest_wait", "waits")

    def __init__(self) -> None:
        self.offered = self.escalated_in = self.escalated_out = 0
        self.answered = self.answered_within = 0
        self.abandoned = self.abandoned_within = self.short_abandoned = 0
        self.abandoned_after_answer = self.transferred = self.handed_off = 0
        self.finished = self.responded = self.holds = self.handled = 0
        self.wait_total = self.abandon_wait_total = self.response_total = 0.0
        self.handle_total = self.hold_total = 0.0
        self.longest_wait: float | None = None
        self.waits = QuantileSketch(ACCURACY)

    def merge(self, other: Tally) -> None:
        for name in (*COUNTS, *TOTALS):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.longest_wait = longest(self.longest_wait, other.longest_wait)
        self.waits.merge(other.waits)

    def waited(self, wait: float) -> None:
        if self.longest_wait is None or wait > self.longest_wait:
            self.longest_wait = wait


class Work:
    """One operator's time and contacts in one interval."""

    __slots__ = (*WORK_TIMES, *WORK_COUNTS, *WORK_TOTALS)

    def __init__(self) -> None:
        self.online_time = self.away_time = self.busy_time = 0.0
        self.load_time = self.capacity_time = 0.0
        self.answered = self.finished = self.transferred = self.handed_off = 0
        self.responded = 0
        self.response_total = self.handle_total = 0.0

    def merge(self, other: Work) -> None:
        # Spelt out: interval rollovers merge one per active operator.
        self.online_time += other.online_time
        self.away_time += other.away_time
        self.busy_time += other.busy_time
        self.load_time += other.load_time
        self.capacity_time += other.capacity_time
        self.answered += other.answered
        self.finished += other.finished
        self.transferred += other.transferred
        self.handed_off += other.handed_off
        self.responded += other.responded
        self.response_total += other.response_total
        self.handle_total += other.handle_total

    def any(self) -> bool:
        return bool(
            self.online_time
            or self.away_time
            or self.answered
            or self.finished
            or self.transferred
            or self.handed_off
            or self.responded
            or self.handle_total
        )


class Interval:
    """The tallies of one report interval: ``[index * length, (index + 1) * length)``,
    counted from ``opened`` (later than its start when counting began inside it)."""

    __slots__ = ("cells", "index", "opened", "work")

    def __init__(self, index: int, opened: float) -> None:
        self.index = index
        self.opened = opened
        self.cells: dict[Key, Tally] = {}
        self.work: dict[str, Work] = {}

    def merge(self, other: Interval) -> None:
        self.opened = min(self.opened, other.opened)
        for key, tally in other.cells.items():
            mine = self.cells.get(key)
            if mine is None:
                mine = self.cells[key] = Tally()
            mine.merge(tally)
        for operator_id, work in other.work.items():
            theirs = self.work.get(operator_id)
            if theirs is None:
                theirs = self.work[operator_id] = Work()
            theirs.merge(work)


class Contact:
    """What the statistics remember of a live conversation: a contact (one wait for
    people, from its submission, hand-off or transfer) and where it is now.

    The Router's tickets carry these same attributes, so the Router's statistics
    count on its tickets; a Metrics fed with events keeps these records instead.
    """

    __slots__ = (
        "answered",
        "channel",
        "contact_start",
        "count_key",
        "handled",
        "hold_since",
        "hold_total",
        "responded",
        "slot_since",
        "stat_offers",
        "stat_operator",
        "wait_key",
        "wait_since",
        "waiting",
    )

    count_key: Key  # where its counts go
    wait_key: Key  # where it waits now
    contact_start: float  # when its contact started
    wait_since: float
    waiting: bool
    answered: bool
    responded: bool  # whether an operator replied in this contact yet
    stat_operator: str | None  # who has it in a slot, or last had it
    stat_offers: set[str] | None  # who holds an offer of it
    slot_since: float | None  # in an operator's slot since
    handled: float
    hold_since: float | None
    hold_total: float

    def __init__(self, group: str, channel: str, now: float) -> None:
        self.channel = channel
        start_contact(self, group, now)
        self.waiting = False


def start_contact(contact: Any, group: str, now: float) -> None:
    """Set the contact attributes of a :class:`Contact` or a Router's ticket (which
    has the same ones): a submission, nothing counted yet."""
    contact.count_key = contact.wait_key = (group, contact.channel)
    contact.contact_start = contact.wait_since = now
    contact.waiting = True
    contact.answered = contact.responded = False
    contact.stat_operator = contact.stat_offers = contact.slot_since = None
    contact.handled = contact.hold_total = 0.0
    contact.hold_since = None


def restart(contact: Any, group: str, now: float) -> None:
    """A hand-off or a transfer: a new contact of the same conversation."""
    contact.count_key = contact.wait_key = (group, contact.channel)
    contact.contact_start = now
    contact.answered = contact.responded = False
    contact.handled = contact.hold_total = 0.0


class Agent(Work):
    """What the statistics remember of an operator, and — as a :class:`Work` — what
    they did in the current interval so far, kept here so that counting it costs
    no lookup; the interval gets it when it closes."""

    __slots__ = ("load", "since", "slots", "status")

    def __init__(self, slots: int, now: float) -> None:
        super().__init__()
        self.status = OFFLINE
        self.load = 0
        self.slots = slots
        self.since = now  # counted up to here

    def advance(self, until: float) -> None:
        """Count the time up to ``until``."""
        dt = until - self.since
        self.since = until
        if dt > 0:
            self.count(self, dt)

    def pending(self, now: float) -> Work:
        """What :meth:`advance` to ``now`` would count, without counting it."""
        counted = Work()
        if now > self.since:
            self.count(counted, now - self.since)
        return counted

    def count(self, into: Work, dt: float) -> None:
        status = self.status
        if status is ONLINE:
            into.online_time += dt
            if self.load:
                into.busy_time += dt
                into.load_time += self.load * dt
            into.capacity_time += self.slots * dt
        elif status is AWAY:
            into.away_time += dt

    def flush(self) -> Work | None:
        """Hand over what was counted in this interval (None: nothing), and start
        the next from zero."""
        if not self.any():
            return None
        work = Work()
        work.merge(self)
        Work.__init__(self)
        return work


def slots(capacity: Capacity) -> int:
    """How many conversations an operator may hold at once at most."""
    most = [capacity.total] if capacity.total is not None else []
    if capacity.units is not None:
        most.append(capacity.units // min(capacity.cost.values(), default=capacity.units + 1))
    return min(most)


def longest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def count(read: Reader, value: Any, path: str) -> int:
    number = read.integer(value, path)
    if number < 0:
        raise read.fail(path, f"expected a count >= 0, got {number}")
    return number


def encode_interval(interval: Interval) -> dict[str, Any]:
    return {
        "index": interval.index,
        "opened": interval.opened,
        "cells": [
            [
                group,
                channel,
                [getattr(tally, name) for name in COUNTS],
                [getattr(tally, name) for name in TOTALS],
                tally.longest_wait,
                tally.waits.encode(),
            ]
            for (group, channel), tally in interval.cells.items()
        ],
        "work": [[operator_id, *numbers(work)] for operator_id, work in interval.work.items()],
    }


def _fill(
    read: Reader, target: object, value: Any, path: str, names: tuple[str, ...], whole: bool
) -> None:
    """Set ``names`` on ``target`` from a list of that many numbers >= 0."""
    items = read.items(value, path)
    if len(items) != len(names):
        raise read.fail(path, f"expected {len(names)} numbers: {', '.join(names)}")
    for i, (name, item) in enumerate(zip(names, items, strict=True)):
        at = f"{path}[{i}]"
        number = count(read, item, at) if whole else read.number(item, at)
        if number < 0:
            raise read.fail(at, f"expected a number >= 0, got {number}")
        setattr(target, name, number)


def numbers(work: Work) -> list[list[float]]:
    """A :class:`Work`'s times, counts and totals, as three lists."""
    return [[getattr(work, name) for name in names] for names in WORK_GROUPS]


def fill_work(read: Reader, work: Work, lists: list[Any], path: str, first: int) -> None:
    for j, (names, value) in enumerate(zip(WORK_GROUPS, lists, strict=True), start=first):
        _fill(read, work, value, f"{path}[{j}]", names, whole=names is WORK_COUNTS)


WORK_GROUPS = (WORK_TIMES, WORK_COUNTS, WORK_TOTALS)


def decode_interval(read: Reader, value: Any, path: str) -> Interval:
    data = read.record(value, path, ("index", "opened", "cells", "work"))
    opened = read.number(data["opened"], f"{path}.opened")
    interval = Interval(read.integer(data["index"], f"{path}.index"), opened)
    for i, item in enumerate(read.items(data["cells"], f"{path}.cells")):
        at = f"{path}.cells[{i}]"
        fields = read.items(item, at)
        if len(fields) != 6:
            raise read.fail(at, "expected [group, channel, counts, totals, longest, waits]")
        key = (read.name(fields[0], f"{at}[0]"), read.name(fields[1], f"{at}[1]"))
        if key in interval.cells:
            raise read.fail(at, f"(group, channel) {key} appears twice")
        tally = interval.cells[key] = Tally()
        _fill(read, tally, fields[2], f"{at}[2]", COUNTS, whole=True)
        _fill(read, tally, fields[3], f"{at}[3]", TOTALS, whole=False)
        tally.longest_wait = read.optional(read.number, fields[4], f"{at}[4]")
        tally.waits = QuantileSketch.decode(fields[5], read.fail, f"{at}[5]")
    for i, item in enumerate(read.items(data["work"], f"{path}.work")):
        at = f"{path}.work[{i}]"
        fields = read.items(item, at)
        if len(fields) != 4:
            raise read.fail(at, "expected [operator, times, counts, totals]")
        operator_id = read.name(fields[0], f"{at}[0]")
        if operator_id in interval.work:
            raise read.fail(at, f"operator {operator_id!r} appears twice")
        fill_work(read, interval.work.setdefault(operator_id, Work()), fields[1:], at, first=1)
    return interval


_CONTACT_FIELDS = (
    "id",
    "group",
    "wait_group",
    "channel",
    "start",
    "waiting",
    "wait_since",
    "answered",
    "responded",
    "operator",
    "offers",
    "slot_since",
    "handled",
    "hold_since",
    "hold_total",
)


def encode_contact(contact: Any) -> list[Any]:
    return [
        contact.count_key[0],
        contact.wait_key[0],
        contact.channel,
        contact.contact_start,
        contact.waiting,
        contact.wait_since,
        contact.answered,
        contact.responded,
        contact.stat_operator,
        None if contact.stat_offers is None else sorted(contact.stat_offers),
        contact.slot_since,
        contact.handled,
        contact.hold_since,
        contact.hold_total,
    ]


def decode_contact(read: Reader, value: Any, path: str) -> tuple[str, Contact]:
    fields = read.items(value, path)
    if len(fields) != len(_CONTACT_FIELDS):
        raise read.fail(path, f"expected [{', '.join(_CONTACT_FIELDS)}]")
    at = {name: f"{path}[{i}]" for i, name in enumerate(_CONTACT_FIELDS)}
    value_of = dict(zip(_CONTACT_FIELDS, fields, strict=True))

    def flag(name: str) -> bool:
        return read.boolean(value_of[name], at[name])

    def moment(name: str) -> float | None:
        return read.optional(read.number, value_of[name], at[name])

    cid = read.name(value_of["id"], at["id"])
    channel = read.name(value_of["channel"], at["channel"])
    contact = Contact(read.name(value_of["group"], at["group"]), channel, 0.0)
    contact.wait_key = (read.name(value_of["wait_group"], at["wait_group"]), channel)
    contact.contact_start = read.number(value_of["start"], at["start"])
    contact.waiting = flag("waiting")
    contact.wait_since = read.number(value_of["wait_since"], at["wait_since"])
    contact.answered = flag("answered")
    contact.responded = flag("responded")
    contact.stat_operator = read.optional(read.name, value_of["operator"], at["operator"])
    offers = read.optional(read.texts, value_of["offers"], at["offers"])
    contact.stat_offers = None if offers is None else set(offers)
    contact.slot_since = moment("slot_since")
    contact.handled = read.number(value_of["handled"], at["handled"])
    contact.hold_since = moment("hold_since")
    contact.hold_total = read.number(value_of["hold_total"], at["hold_total"])
    return cid, contact


def encode_agent(agent_id: str, agent: Agent) -> list[Any]:
    return [agent_id, agent.status.value, agent.load, agent.slots, agent.since, *numbers(agent)]


def decode_agent(read: Reader, value: Any, path: str) -> tuple[str, Agent]:
    fields = read.items(value, path)
    if len(fields) != 8:
        raise read.fail(path, "expected [id, status, load, slots, since, times, counts, totals]")
    agent_id = read.name(fields[0], f"{path}[0]")
    status = read.text(fields[1], f"{path}[1]")
    if status not in {s.value for s in Status}:
        raise read.fail(f"{path}[1]", f"unknown status {status!r}")
    agent = Agent(count(read, fields[3], f"{path}[3]"), read.number(fields[4], f"{path}[4]"))
    agent.status = Status(status)
    agent.load = count(read, fields[2], f"{path}[2]")
    fill_work(read, agent, fields[5:], path, first=5)
    return agent_id, agent


def copy_contact(source: Contact, target: Any) -> None:
    """Give ``target`` (a ticket) the contact attributes of ``source``."""
    for name in Contact.__slots__:
        setattr(target, name, getattr(source, name))
