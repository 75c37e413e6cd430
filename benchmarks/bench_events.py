"""Why omniroute's events are tuples: the cost of one event, by how it is made.

Run ``python benchmarks/bench_events.py`` (about 10 s) or add ``--quick``
for a smoke run (about a second). Every routing decision builds events, so what
one costs to build is on the hot path; reading a field and the memory of one are
what a host pays afterwards.

One representative event, ``Assigned`` (seq, time, conversation_id, group,
channel, operator_id, waited: seven fields), made in each of these ways, all in
the same run, on the same field values:

* (a) an attrs class, ``@attrs.frozen(kw_only=True)`` (slotted, frozen: what
  omniroute's events were before), built by keywords;
* (b1) a plain class with ``__slots__`` and a positional ``__init__``, mutable: for
  reference, the least a Python class can do;
* (b2) the same made frozen the usual way: ``__init__`` writes through
  ``object.__setattr__``, ``__setattr__`` raises;
* (b3) ``@dataclass(frozen=True, slots=True, kw_only=True)``, built by keywords:
  the standard library's answer;
* (c) a ``typing.NamedTuple``, built positionally;
* (d) omniroute's ``Assigned`` (a tuple subclass made by its metaclass, with a
  generated keyword-only ``__new__``), built by keywords: what hosts and tests
  write;
* (e) ``omniroute.events.build(Assigned, (...))``, which is ``tuple.__new__``:
  positional, unchecked, what the Router uses on its hot path.

Timing. ``timeit`` on statements whose field values are local variables of the
timed function (so the values tuple of (e) is built at run time, not folded into
a constant) and whose constructor is a local name too. Every variant is timed
``repeats`` times (rounds interleave the variants, so that a burst of noise from
other processes hits them all), each time over ``number`` statements; the table
shows the **minimum** per statement (the run least disturbed: the usual choice for
a microbenchmark) and, for the build, the median too. The time of an empty
statement, measured the same way, is subtracted (the timeit loop itself). timeit
switches the garbage collector off while it times (its default), so the builds do
not include the collections their allocations would trigger. "read"
is one attribute access, ``event.operator_id``. The ratios are to (a) in the same
run. (On CPython 3.11 a slot read is specialised by the adaptive interpreter,
``LOAD_ATTR_SLOT``; the ``_tuplegetter`` descriptor of a tuple's field is not, so
tuples read slower: the verdict weighs that against what the build saves.)

Memory. "bytes" is ``sys.getsizeof`` of one instance: the object with its GC
header, not the field values (the same shared strings and floats in every
variant). "__dict__": whether an instance has one (none of these does: slotted
classes and tuples keep their fields inline, no per-instance dict).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import attrs

from omniroute import Assigned
from omniroute.events import build
from report import markdown, print_header, progress

# -- the candidates ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AttrsAssigned:
    """(a): omniroute's events before they were tuples."""

    seq: int
    time: float
    conversation_id: str
    group: str
    channel: str
    operator_id: str
    waited: float


class SlotsAssigned:
    """(b1): plain slots, positional, mutable."""

    __slots__ = ("channel", "conversation_id", "group", "operator_id", "seq", "time", "waited")

    def __init__(
        self,
        seq: int,
        time: float,
        conversation_id: str,
        group: str,
        channel: str,
        operator_id: str,
        waited: float,
    ) -> None:
        self.seq = seq
        self.time = time
        self.conversation_id = conversation_id
        self.group = group
        self.channel = channel
        self.operator_id = operator_id
        self.waited = waited


class FrozenSlotsAssigned:
    """(b2): slots made immutable by hand: writes go through object.__setattr__."""

    __slots__ = ("channel", "conversation_id", "group", "operator_id", "seq", "time", "waited")

    def __init__(
        self,
        seq: int,
        time: float,
        conversation_id: str,
        group: str,
        channel: str,
        operator_id: str,
        waited: float,
    ) -> None:
        setter = object.__setattr__
        setter(self, "seq", seq)
        setter(self, "time", time)
        setter(self, "conversation_id", conversation_id)
        setter(self, "group", group)
        setter(self, "channel", channel)
        setter(self, "operator_id", operator_id)
        setter(self, "waited", waited)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


@dataclass(frozen=True, slots=True, kw_only=True)
class DataclassAssigned:
    """(b3): the standard library's frozen slotted dataclass."""

    seq: int
    time: float
    conversation_id: str
    group: str
    channel: str
    operator_id: str
    waited: float


class TupleAssigned(NamedTuple):
    """(c): a NamedTuple."""

    seq: int
    time: float
    conversation_id: str
    group: str
    channel: str
    operator_id: str
    waited: float


FIELDS = (
    "seq=seq, time=now, conversation_id=cid, group=group, channel=channel, "
    "operator_id=op, waited=waited"
)
POSITIONAL = "seq, now, cid, group, channel, op, waited"


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    kind: Callable[..., Any]  # bound to the local name ``make`` in the timed code
    statement: str  # builds one instance
    immutable: bool


VARIANTS = (
    Variant("a", "attrs frozen kw_only, keywords", AttrsAssigned, f"make({FIELDS})", True),
    Variant("b1", "__slots__, positional (mutable)", SlotsAssigned, f"make({POSITIONAL})", False),
    Variant(
        "b2",
        "__slots__ frozen by hand, positional",
        FrozenSlotsAssigned,
        f"make({POSITIONAL})",
        True,
    ),
    Variant(
        "b3", "dataclass frozen slots kw_only, keywords", DataclassAssigned, f"make({FIELDS})", True
    ),
    Variant("c", "typing.NamedTuple, positional", TupleAssigned, f"make({POSITIONAL})", True),
    Variant("d", "omniroute Assigned, keywords", Assigned, f"make({FIELDS})", True),
    Variant(
        "e", "omniroute build(Assigned, (...))", Assigned, f"build(make, ({POSITIONAL},))", True
    ),
)

# The field values, as the Router would have them at hand in local variables.
SETUP = """\
seq = 123456
now = 9876.5
cid = "conversation-42"
group = "billing"
channel = "chat"
op = "op17"
waited = 12.25
"""
VALUES = (123456, 9876.5, "conversation-42", "billing", "chat", "op17", 12.25)


@dataclass(frozen=True)
class Plan:
    repeats: int
    number: int  # statements per timing


FULL = Plan(repeats=9, number=300_000)
QUICK = Plan(repeats=5, number=30_000)


# -- measuring -----------------------------------------------------------------------


def timer(statement: str, variant: Variant, instance: object) -> timeit.Timer:
    # Names the statement uses are set up as locals of timeit's inner function.
    namespace = {"_kind": variant.kind, "_build": build, "_instance": instance}
    setup = SETUP + "make = _kind\nbuild = _build\nevent = _instance\n"
    return timeit.Timer(statement, setup=setup, globals=namespace)


def sample(variant: Variant) -> Any:
    """One instance, built the variant's way, for reading and sizing."""
    namespace: dict[str, Any] = {"make": variant.kind, "build": build}
    exec(SETUP, namespace)
    return eval(variant.statement, namespace)


def check(variant: Variant, instance: Any) -> None:
    """Every variant holds the same values, and the frozen ones refuse writes."""
    names = Assigned._fields
    assert tuple(getattr(instance, name) for name in names) == VALUES, variant.key
    try:
        instance.waited = 0.0
    except AttributeError:
        refused = True
    else:
        refused = False
    assert refused == variant.immutable, variant.key


@dataclass(frozen=True)
class Result:
    variant: Variant
    build_min: float  # ns per statement, net of the empty statement
    build_median: float
    read_min: float
    size: int  # sys.getsizeof
    has_dict: bool


def measure(plan: Plan) -> list[Result]:
    instances = [sample(variant) for variant in VARIANTS]
    for variant, instance in zip(VARIANTS, instances, strict=True):
        check(variant, instance)
    empty = timer("pass", VARIANTS[0], instances[0])
    builds = [timer(v.statement, v, i) for v, i in zip(VARIANTS, instances, strict=True)]
    reads = [timer("event.operator_id", v, i) for v, i in zip(VARIANTS, instances, strict=True)]
    empty_times: list[float] = []
    build_times: list[list[float]] = [[] for _ in VARIANTS]
    read_times: list[list[float]] = [[] for _ in VARIANTS]
    for round_ in range(plan.repeats):
        progress(f"round {round_ + 1} of {plan.repeats}")
        empty_times.append(empty.timeit(plan.number))
        for times, t in zip(build_times, builds, strict=True):
            times.append(t.timeit(plan.number))
        for times, t in zip(read_times, reads, strict=True):
            times.append(t.timeit(plan.number))
    progress("")
    per_ns = 1e9 / plan.number
    loop = min(empty_times) * per_ns

    def net(times: list[float], pick: Callable[[list[float]], float]) -> float:
        return pick(times) * per_ns - loop

    return [
        Result(
            variant,
            net(b, min),
            net(b, statistics.median),
            net(r, min),
            sys.getsizeof(instance),
            hasattr(instance, "__dict__"),
        )
        for variant, instance, b, r in zip(
            VARIANTS, instances, build_times, read_times, strict=True
        )
    ]


# -- reporting -----------------------------------------------------------------------


def table(results: list[Result]) -> str:
    base = results[0]
    head = (
        "variant",
        "built as",
        "build ns (min)",
        "build ns (median)",
        "build / (a)",
        "read ns (min)",
        "read / (a)",
        "bytes",
        "__dict__",
        "immutable",
    )
    body = [
        (
            f"({r.variant.key})",
            r.variant.label,
            f"{r.build_min:.0f}",
            f"{r.build_median:.0f}",
            f"{r.build_min / base.build_min:.2f}",
            f"{r.read_min:.1f}",
            f"{r.read_min / base.read_min:.2f}",
            str(r.size),
            "yes" if r.has_dict else "none",
            "yes" if r.variant.immutable else "no",
        )
        for r in results
    ]
    return markdown(head, body, {0, 1, 8, 9})


def verdict(results: list[Result]) -> str:
    by_key = {r.variant.key: r for r in results}
    a, d, e = by_key["a"], by_key["d"], by_key["e"]
    frozen = [r for r in results if r.variant.immutable]
    fastest = min(frozen, key=lambda r: r.build_min)
    if fastest is e:
        rank = "the fastest immutable way to build one here"
    else:
        rank = (
            f"({fastest.variant.key}) builds faster still, by "
            f"{e.build_min - fastest.build_min:.0f} ns"
        )
    # What a build saves against what each read of a field costs more than attrs.
    saved = a.build_min - e.build_min
    extra_read = e.read_min - a.read_min
    if extra_read > 0:
        trade = (
            f"A field reads in {e.read_min:.1f} ns against attrs' {a.read_min:.1f} ns "
            f"(+{extra_read:.1f} ns per read), so the {saved:.0f} ns a build saves pay "
            f"for about {saved / extra_read:.0f} reads of each event."
        )
    else:
        trade = f"A field reads in {e.read_min:.1f} ns (attrs {a.read_min:.1f} ns)."
    return (
        f"Verdict: the Router builds events with build() (e): {e.build_min:.0f} ns, "
        f"{a.build_min / e.build_min:.1f}x faster than the attrs class (a) at "
        f"{a.build_min:.0f} ns; {rank}.\n"
        f"Hosts and tests build them by keywords (d): {d.build_min:.0f} ns, "
        f"{a.build_min / d.build_min:.1f}x faster than attrs by the same keywords.\n"
        f"{trade} One event takes {e.size} bytes (attrs {a.size})."
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer repeats")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()

    print_header("events", args.quick)
    print(f"attrs {attrs.__version__}")
    print(
        f"One Assigned event (7 fields). timeit: {plan.repeats} interleaved repeats of "
        f"{plan.number:,} statements".replace(",", " ")
        + " per variant;"
    )
    print("ns per statement = the minimum over the repeats (median shown for the build),")
    print("net of an empty statement timed the same way. Ratios are to (a), this run.")
    print()
    results = measure(plan)
    print(table(results))
    print()
    with_dict = [f"({r.variant.key})" for r in results if r.has_dict]
    print("bytes = sys.getsizeof of one instance (object and GC header; the field values")
    print(
        "are shared). "
        + (
            f"With a per-instance __dict__: {', '.join(with_dict)}."
            if with_dict
            else "No variant has a per-instance __dict__."
        )
    )
    if sys.version_info[:2] == (3, 11):  # checked with dis(adaptive=True) on 3.11 only
        print(
            "Reads: CPython 3.11 specialises a slot read (LOAD_ATTR_SLOT) but not a tuple "
            "field's\n_tuplegetter descriptor (a plain descriptor call), hence the tuples' "
            "slower reads."
        )
    print()
    print(verdict(results))
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
