"""A bounded history of every customer's conversations, across channels.

The Router remembers, for each customer id, their latest conversations: which channel,
which group, which operators served them, how they ended. Routing reads it back
(:meth:`History.last_operator`: send a returning customer to the operator who helped
them last) and hosts show it (:meth:`History.of`).

Three bounds, all in :class:`HistoryLimits`, keep it from growing with traffic:

* ``per_customer`` — only a customer's newest entries are kept; starting one more
  forgets their oldest;
* ``max_customers`` — only the most recently active customers are kept; a new
  customer beyond the limit forgets the least recently active one, whole;
* ``max_age`` — an entry is forgotten ``max_age`` seconds after its conversation
  ended, the next time the Router calls :meth:`History.expire`.

So however many customers pass through, the store holds at most ``per_customer *
max_customers`` entries, plus the records of live conversations the Router still holds
after the store let go of them (the queue of entries waiting to expire by age is
compacted as entries leave, so it stays under about twice the ended entries). With
``max_customers=None`` only the age bound (and the customers' own number) limits it;
do not combine that with ``max_age=None`` unless the set of customers is itself
bounded.

Costs: :meth:`~History.start`, :meth:`Record.served_by`, :meth:`Record.moved` and
:meth:`~History.end` are amortised ``O(1)`` (eviction shifts at most ``per_customer``
pointers, and now and then compacts the expiry queue, paid for by the evictions that
filled it);
:meth:`~History.expire` is amortised ``O(per_customer)`` per entry it drops, and
``O(1)`` when nothing is due. The hot path builds no attrs value and validates
nothing: :class:`Visit` values are built only when someone reads them.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import attrs

from omniroute._reading import Reader, kind
from omniroute.errors import ConfigurationError

__all__ = ["History", "HistoryLimits", "Record", "Visit"]


def _positive_int(name: str, value: Any, *, optional: bool) -> None:
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        also = " or None" if optional else ""
        raise ConfigurationError(f"HistoryLimits: {name} must be an int >= 1{also}, got {value!r}")


@attrs.frozen(kw_only=True)
class HistoryLimits:
    """How much customer history the Router keeps.

    Raises :class:`~omniroute.ConfigurationError` naming the field on a bad value.

    >>> HistoryLimits(per_customer=5, max_age=None).max_customers
    100000
    """

    per_customer: int = 10
    """Newest entries kept per customer, an int >= 1."""
    max_age: float | None = 30 * 86400.0
    """Seconds after an entry *ended* that it is forgotten; None: never by age. A live
    conversation never ages out."""
    max_customers: int | None = 100_000
    """Customers remembered; the least recently active is forgotten first; None: no
    limit. A customer becomes active when a conversation of theirs starts."""

    def __attrs_post_init__(self) -> None:
        _positive_int("per_customer", self.per_customer, optional=False)
        _positive_int("max_customers", self.max_customers, optional=True)
        age = self.max_age
        if age is not None and (
            not isinstance(age, (int, float))
            or isinstance(age, bool)
            or not math.isfinite(age)
            or age <= 0
        ):
            raise ConfigurationError(
                f"HistoryLimits: max_age must be a finite number of seconds > 0 or None, "
                f"got {age!r}"
            )


@attrs.frozen(kw_only=True)
class Visit:
    """One conversation of a customer, as history remembers it: a read-only copy,
    built when asked for."""

    conversation_id: str
    channel: str
    group: str
    """Its group at the end (or now, while it is live)."""
    operators: tuple[str, ...]
    """The operators who served it, in order, without consecutive repeats."""
    started_at: float
    """When it was submitted."""
    served_at: float | None
    """The last time an operator took or held it; None: never served."""
    ended_at: float | None
    """None while it is live."""
    outcome: str | None
    """How it ended ("finished", "abandoned"…); None while it is live."""


class Record:
    """The store's mutable entry for one conversation.

    :meth:`History.start` makes it; the Router keeps it on its live ticket and tells
    it what happens (:meth:`served_by`, :meth:`moved`), then hands it to
    :meth:`History.end`. Reading it back goes through :meth:`view`. The attributes are
    the :class:`Visit` fields plus ``customer``: the customer id while the store keeps
    the entry, None once it has been forgotten (or was never kept).
    """

    __slots__ = (
        "channel",
        "conversation_id",
        "customer",
        "earlier",
        "ended_at",
        "group",
        "operator",
        "outcome",
        "served_at",
        "started_at",
    )

    def __init__(
        self,
        customer: str | None,
        conversation_id: str,
        channel: str,
        group: str,
        started_at: float,
    ) -> None:
        self.customer = customer
        self.conversation_id = conversation_id
        self.channel = channel
        self.group = group
        # The operators: the last apart, so the usual one costs no tuple.
        self.operator: str | None = None
        self.earlier: tuple[str, ...] = ()
        self.started_at = started_at
        self.served_at: float | None = None
        self.ended_at: float | None = None
        self.outcome: str | None = None

    def served_by(self, operator_id: str, now: float) -> None:
        """An operator took or held it at ``now``: remember them (once, if they
        also served it just before) and the time. Cost ``O(1)`` for the usual one
        or two operators (earlier ones are kept in a tuple, copied)."""
        last = self.operator
        if last != operator_id:
            if last is not None:
                self.earlier = (*self.earlier, last)
            self.operator = operator_id
        self.served_at = now

    @property
    def operators(self) -> tuple[str, ...]:
        """The operators who served it, in order, without consecutive repeats."""
        last = self.operator
        return self.earlier if last is None else (*self.earlier, last)

    def moved(self, group: str) -> None:
        """It now belongs to ``group`` (overflow, transfer). Cost ``O(1)``."""
        self.group = group

    def view(self) -> Visit:
        """A read-only copy of it as it is now. Cost ``O(1)``."""
        return Visit(
            conversation_id=self.conversation_id,
            channel=self.channel,
            group=self.group,
            operators=self.operators,
            started_at=self.started_at,
            served_at=self.served_at,
            ended_at=self.ended_at,
            outcome=self.outcome,
        )

    def __repr__(self) -> str:
        return (
            f"Record(customer={self.customer!r}, conversation_id={self.conversation_id!r}, "
            f"operators={self.operators!r}, started_at={self.started_at!r}, "
            f"ended_at={self.ended_at!r}, outcome={self.outcome!r})"
        )


_VISIT_FIELDS = (
    "conversation_id",
    "channel",
    "group",
    "operators",
    "started_at",
    "served_at",
    "ended_at",
    "outcome",
)

# Compact the expiry queue once this many of its records were forgotten by size, and
# they are more than half of it: amortised O(1), and the queue never holds more than
# about twice the ended entries kept.
_COMPACT_AT = 64


class History:
    """The customers' bounded histories, as :class:`HistoryLimits` allows.

    Internally: an ordered dict from customer id to a plain list of :class:`Record`
    (oldest first), ordered from the least to the most recently active customer, so
    forgetting the least recently active is ``O(1)``; and, unless ``max_age`` is
    None, a deque of ended records in the order they ended (the Router's clock only
    goes forward), from which :meth:`expire` pops. Records forgotten by size stay in
    that deque until they reach its front or it is compacted, which keeps it under
    about twice the ended entries kept.

    Memory, measured with tracemalloc (CPython 3.11, 64-bit; one operator per
    conversation; 15-character conversation ids): about 200 bytes per entry for the
    store's own objects (the record ~110, its three timestamps ~70, its places in the
    customer's list and the expiry queue 16), plus its conversation id (~65 bytes)
    once the Router has let go of it: ~265 in all. A second operator adds a 48-byte
    tuple, each further one 8 bytes.
    A remembered customer costs about 145 bytes more (ordered dict slot, list), plus
    the customer id. 100 000 customers of 10 entries each: about 280 MB; the defaults'
    worst case. Hot path: ``start`` + ``served_by`` + ``end`` take about 1.3 µs
    together.

    >>> history = History(HistoryLimits(per_customer=2))
    >>> record = history.start("alice", "c1", "chat", "sales", now=0.0)
    >>> record.served_by("bob", now=5.0)
    >>> history.end(record, "finished", now=60.0)
    >>> [(v.conversation_id, v.operators, v.outcome) for v in history.of("alice")]
    [('c1', ('bob',), 'finished')]
    >>> history.last_operator("alice", since=0.0, eligible=lambda op: True)
    'bob'
    """

    __slots__ = (
        "_customers",
        "_ended",
        "_max_age",
        "_max_customers",
        "_per_customer",
        "_size",
        "_stale",
        "limits",
    )

    def __init__(self, limits: HistoryLimits) -> None:
        self.limits = limits
        """The bounds it keeps to; fixed for its lifetime."""
        self._per_customer = limits.per_customer
        self._max_customers = limits.max_customers
        self._max_age = limits.max_age
        # Least recently active first.
        self._customers: OrderedDict[str, list[Record]] = OrderedDict()
        # Ended records in the order they ended (None: no expiry by age).
        self._ended: deque[Record] | None = None if limits.max_age is None else deque()
        self._stale = 0  # records in _ended forgotten since (their customer is None)
        self._size = 0

    # -- the hot path --------------------------------------------------------------

    def start(
        self, customer_id: str, conversation_id: str, channel: str, group: str, now: float
    ) -> Record:
        """Remember a conversation submitted at ``now`` as the customer's newest entry,
        live, and make the customer the most recently active. Forgets their oldest
        entry beyond ``per_customer``, and the least recently active customer beyond
        ``max_customers`` (only starting a conversation makes a customer active).

        Returns the record the Router tells about the conversation from now on.
        Cost amortised ``O(1)``: eviction shifts at most ``per_customer`` pointers,
        and now and then compacts the expiry queue.
        """
        record = Record(customer_id, conversation_id, channel, group, now)
        customers = self._customers
        visits = customers.get(customer_id)
        if visits is None:
            customers[customer_id] = [record]
            limit = self._max_customers
            if limit is not None and len(customers) > limit:
                for old in customers.popitem(last=False)[1]:
                    self._drop(old)
        else:
            customers.move_to_end(customer_id)
            visits.append(record)
            if len(visits) > self._per_customer:
                self._drop(visits.pop(0))
        self._size += 1
        return record

    def end(self, record: Record, outcome: str, now: float) -> None:
        """The conversation ended at ``now`` ("finished", "abandoned"…): from now on
        its entry may expire by age. Call it once per record; ``now`` must not be
        earlier than any ``now`` given before. Harmless for a record the store already
        forgot. Cost ``O(1)``."""
        record.ended_at = now
        record.outcome = outcome
        ended = self._ended
        if ended is not None and record.customer is not None:
            ended.append(record)

    def _drop(self, record: Record) -> None:
        """Forget ``record`` (already out of its customer's list)."""
        record.customer = None
        self._size -= 1
        ended = self._ended
        if ended is None or record.ended_at is None:
            return  # it is not in the expiry queue
        self._stale += 1
        while ended and ended[0].customer is None:  # forgotten ones at the front
            ended.popleft()
            self._stale -= 1
        if self._stale > _COMPACT_AT and 2 * self._stale > len(ended):
            self._ended = deque(r for r in ended if r.customer is not None)
            self._stale = 0

    # -- upkeep and reading ---------------------------------------------------------

    def expire(self, now: float) -> int:
        """Forget every entry that ended at or before ``now - max_age``, and customers
        left with none. Returns how many entries it forgot (0 if ``max_age`` is None).
        Cost amortised ``O(per_customer)`` per entry forgotten, ``O(1)`` if none is
        due."""
        ended = self._ended
        if ended is None:
            return 0
        assert self._max_age is not None
        cutoff = now - self._max_age
        customers = self._customers
        dropped = 0
        # Records in the queue have ended: ended_at is a float, whatever mypy knows.
        while ended and ended[0].ended_at <= cutoff:  # type: ignore[operator]
            record = ended.popleft()
            customer = record.customer
            if customer is None:
                self._stale -= 1
                continue
            visits = customers[customer]
            visits.remove(record)  # records compare by identity
            record.customer = None
            if not visits:
                del customers[customer]
            dropped += 1
        self._size -= dropped
        return dropped

    def of(self, customer_id: str) -> list[Visit]:
        """The customer's remembered conversations, newest first; [] for a customer it
        does not remember. Cost ``O(per_customer)``."""
        visits = self._customers.get(customer_id)
        if visits is None:
            return []
        return [record.view() for record in reversed(visits)]

    def last_operator(
        self, customer_id: str, since: float, eligible: Callable[[str], bool]
    ) -> str | None:
        """The operator who most recently served the customer, among those
        ``eligible`` accepts, in entries last served at ``since`` or later; None if
        there is none.

        Entries are tried newest first, and within one its operators last first: the
        one who served it last, then the one before… Cost ``O(per_customer)`` plus a
        call of ``eligible`` per operator tried.
        """
        visits = self._customers.get(customer_id)
        if visits is None:
            return None
        for record in reversed(visits):
            served_at = record.served_at
            if served_at is None or served_at < since:
                continue
            operator = record.operator
            if operator is not None and eligible(operator):
                return operator
            for operator in reversed(record.earlier):
                if eligible(operator):
                    return operator
        return None

    def forget(self, customer_id: str) -> None:
        """Forget everything about a customer (an erasure request). The Router's live
        records of theirs are no longer kept: telling them more is harmless. No-op for
        a customer it does not remember. Cost ``O(per_customer)``."""
        visits = self._customers.pop(customer_id, None)
        for record in visits or ():
            self._drop(record)

    def latest(self) -> float | None:
        """The latest moment a visit holds (a start, a service or an end), or None.
        ``O(visits)``: for the checks of a restore."""
        return max(
            (
                moment
                for visits in self._customers.values()
                for visit in visits
                for moment in (visit.started_at, visit.served_at, visit.ended_at)
                if moment is not None
            ),
            default=None,
        )

    def __len__(self) -> int:
        """How many entries it keeps, live ones included. Cost ``O(1)``."""
        return self._size

    def customers(self) -> int:
        """How many customers it remembers. Cost ``O(1)``."""
        return len(self._customers)

    # -- snapshots ------------------------------------------------------------------

    def encode(self) -> dict[str, Any]:
        """Every entry as plain, JSON-ready data: ``{"customers": [{"id": ...,
        "visits": [...]}, ...]}``, customers from the least to the most recently
        active, each one's visits oldest first, each visit with the :class:`Visit`
        fields (``operators`` as a list). Live entries are included; the Router finds
        their records again by ``conversation_id``.

        :meth:`decode` rebuilds the same store: same customers in the same recency
        order, same entries, and the expiry queue in ``ended_at`` order (entries that
        ended at the same time expire together, so their order does not matter).
        Cost ``O(entries)``.
        """
        return {
            "customers": [
                {"id": customer, "visits": [_encode_record(r) for r in visits]}
                for customer, visits in self._customers.items()
            ]
        }

    @classmethod
    def decode(
        cls, limits: HistoryLimits, data: Any, fail: Callable[[str, str], Exception]
    ) -> tuple[History, dict[str, Record]]:
        """Rebuild a store from :meth:`encode`'s data. Strict: the first malformed
        field raises ``fail(path, reason)``, with a path such as
        ``history.customers[3].visits[0].channel``.

        Returns the store and the live records it read, by conversation id, for the
        Router to put back on its tickets. A live conversation whose entry the store
        had forgotten before it was encoded is not in the data: its ticket keeps no
        record. Data beyond ``limits`` (saved under larger ones) is trimmed as
        :meth:`start` would: oldest entries, least recently active customers; a live
        record trimmed so is still returned, no longer kept, so telling it things
        stays harmless. Entries older than ``max_age`` stay until the next
        :meth:`expire`. Cost ``O(entries log entries)``.
        """
        history = cls(limits)
        live: dict[str, Record] = {}
        customers = history._customers
        read = Reader(fail)
        path = "history.customers"
        items = read.items(read.record(data, "history", ("customers",))["customers"], path)
        for i, value in enumerate(items):
            at = f"{path}[{i}]"
            item = read.record(value, at, ("id", "visits"))
            customer = read.name(item["id"], f"{at}.id")
            if customer in customers:
                raise fail(f"{at}.id", f"customer {customer!r} appears twice")
            visits = item["visits"]
            if not isinstance(visits, list) or not visits:
                raise fail(f"{at}.visits", f"expected a non-empty list, got {kind(visits)}")
            records: list[Record] = []
            for j, visit in enumerate(visits):
                record = _decode_record(customer, visit, f"{at}.visits[{j}]", read)
                if records and record.started_at < records[-1].started_at:
                    raise fail(
                        f"{at}.visits[{j}].started_at",
                        f"visits must be oldest first, but {record.started_at!r} "
                        f"< {records[-1].started_at!r}",
                    )
                if record.outcome is None:
                    if record.conversation_id in live:
                        raise fail(
                            f"{at}.visits[{j}].conversation_id",
                            f"live conversation {record.conversation_id!r} appears twice",
                        )
                    live[record.conversation_id] = record
                records.append(record)
            customers[customer] = records
            history._size += len(records)
        # Apply the limits: nothing to do for data saved under the same ones.
        trimmed: list[Record] = []
        for records in customers.values():
            if len(records) > history._per_customer:
                trimmed += records[: -history._per_customer]
                del records[: -history._per_customer]
        limit = history._max_customers
        while limit is not None and len(customers) > limit:
            trimmed += customers.popitem(last=False)[1]
        for record in trimmed:  # not queued for expiry yet: simply let go
            record.customer = None
        history._size -= len(trimmed)
        if history._ended is not None:
            ended = [r for rs in customers.values() for r in rs if r.ended_at is not None]
            ended.sort(key=_ended_at)  # stable: ties in encoding order
            history._ended.extend(ended)
        return history, live

    # -- checking -------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant: the bounds, each record's links and
        fields, the entry count, and the expiry queue (ended order, exactly the kept
        ended records, forgotten ones counted). Cost ``O(entries)``; for tests and
        the Router's ``check_invariants``."""
        customers = self._customers
        limit = self._max_customers
        assert limit is None or len(customers) <= limit, (len(customers), limit)
        kept: set[int] = set()
        size = 0
        for customer, visits in customers.items():
            assert 1 <= len(visits) <= self._per_customer, (customer, len(visits))
            previous = -math.inf
            for record in visits:
                assert record.customer == customer, (record, customer)
                assert id(record) not in kept, record
                kept.add(id(record))
                assert record.started_at >= previous, record
                previous = record.started_at
                assert (record.ended_at is None) == (record.outcome is None), record
                assert (record.served_at is None) == (record.operator is None), record
                assert record.operator is not None or not record.earlier, record
                ops = record.operators
                assert all(a != b for a, b in itertools.pairwise(ops)), record
            size += len(visits)
        assert size == self._size, (size, self._size)
        ended = self._ended
        if ended is None:
            assert self._max_age is None
            assert self._stale == 0
            return
        assert self._max_age is not None
        in_queue: set[int] = set()
        stale = 0
        last = -math.inf
        for record in ended:
            assert record.ended_at is not None, record
            assert record.ended_at >= last, ("expiry queue out of order", record)
            last = record.ended_at
            if record.customer is None:
                stale += 1
            else:
                assert id(record) in kept, record
                assert id(record) not in in_queue, ("queued twice", record)
                in_queue.add(id(record))
        assert stale == self._stale, (stale, self._stale)
        ended_kept = {
            id(r) for visits in customers.values() for r in visits if r.ended_at is not None
        }
        assert in_queue == ended_kept, "an ended entry is missing from the expiry queue"


def _ended_at(record: Record) -> float:
    assert record.ended_at is not None
    return record.ended_at


def _encode_record(record: Record) -> dict[str, Any]:
    return {
        "conversation_id": record.conversation_id,
        "channel": record.channel,
        "group": record.group,
        "operators": list(record.operators),
        "started_at": record.started_at,
        "served_at": record.served_at,
        "ended_at": record.ended_at,
        "outcome": record.outcome,
    }


def _decode_record(customer: str, data: Any, path: str, read: Reader) -> Record:
    fail = read.fail
    data = read.record(data, path, _VISIT_FIELDS)
    record = Record(
        customer,
        read.name(data["conversation_id"], f"{path}.conversation_id"),
        read.name(data["channel"], f"{path}.channel"),
        read.name(data["group"], f"{path}.group"),
        read.number(data["started_at"], f"{path}.started_at"),
    )
    at = f"{path}.operators"
    operators = read.items(data["operators"], at)
    for k, operator in enumerate(operators):
        read.name(operator, f"{at}[{k}]")
        if k and operator == operators[k - 1]:
            raise fail(f"{at}[{k}]", f"repeats the operator before it, {operator!r}")
    if operators:
        record.earlier = tuple(operators[:-1])
        record.operator = operators[-1]
    served_at = read.optional(read.number, data["served_at"], f"{path}.served_at")
    if served_at is not None and served_at < record.started_at:
        raise fail(f"{path}.served_at", f"before started_at, got {served_at!r}")
    if (served_at is None) != (not operators):
        raise fail(f"{path}.served_at", "must be set exactly when operators are")
    record.served_at = served_at
    ended_at = read.optional(read.number, data["ended_at"], f"{path}.ended_at")
    if ended_at is not None and (
        ended_at < record.started_at or (served_at is not None and ended_at < served_at)
    ):
        raise fail(f"{path}.ended_at", f"before it started or was served, got {ended_at!r}")
    outcome = read.optional(read.name, data["outcome"], f"{path}.outcome")
    if (ended_at is None) != (outcome is None):
        raise fail(f"{path}.outcome", "must be set exactly when ended_at is")
    record.ended_at = ended_at
    record.outcome = outcome
    return record
