"""The routing policies a host sets as plain data on groups and conversations.

* :class:`Relaxation` — a conversation's required skills loosen as it waits
  (Amazon Connect's routing steps);
* :class:`Overflow` — a group hands waiting work to another group after a while,
  when its queue is too long, or when nobody serves it (TaskRouter's workflow
  timeouts, Connect's queue transfer);
* :class:`Offers` — the Router offers work to an operator, who accepts or rejects it,
  instead of assigning it outright (TaskRouter's reservations);
* :class:`Discipline` — first in, first out, or last in, first out;
* :class:`Affinity` — a returning customer goes back to the operator who last
  served them, if that operator can take them soon enough (TaskRouter's known-agent
  routing, Connect's preferred agent);
* :class:`PositionUpdates` — how often a waiting customer hears that their place in
  the queue improved.

All are frozen and validated when built: a malformed policy raises
:class:`~omniroute.ConfigurationError` naming the field.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from omniroute._frozen import frozen_levels
from omniroute.errors import ConfigurationError
from omniroute.skills import Requirement

__all__ = ["Affinity", "Discipline", "Offers", "Overflow", "PositionUpdates", "Relaxation"]


def _seconds(owner: str, name: str, value: Any, *, positive: bool, infinite: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and not math.isnan(value) and (infinite or math.isfinite(value))
    ok = ok and (value > 0 if positive else value >= 0)
    if not ok:
        bound = "> 0" if positive else ">= 0"
        raise ConfigurationError(
            f"{owner}: {name} must be a number of seconds {bound}, got {value!r}"
        )


def _count(owner: str, name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")


class Discipline(enum.Enum):
    """The order a group serves conversations of equal priority in."""

    FIFO = "fifo"
    """Longest waiting first: the fair default."""
    LIFO = "lifo"
    """Newest first, as TaskRouter allows: for work that goes stale, such as
    callbacks whose customer has likely moved on."""


def discipline(value: Discipline | str) -> Discipline:
    """Converter for ``Group.discipline``: a :class:`Discipline` or its name."""
    try:
        return Discipline(value)
    except ValueError:
        raise ConfigurationError(
            f"discipline must be one of {[d.value for d in Discipline]}, got {value!r}"
        ) from None


@attrs.frozen
class Relaxation:
    """From ``after`` seconds of waiting on, the conversation requires only
    ``requires`` (an empty mapping: anyone in the group).

    >>> Relaxation(30, {"billing": 2}).after
    30
    """

    after: float
    requires: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels)
    requirement: Requirement = attrs.field(init=False, repr=False, eq=False)
    """``requires`` as a sorted tuple: the key of the line it moves the conversation to."""

    def __attrs_post_init__(self) -> None:
        _seconds("Relaxation", "after", self.after, positive=True)
        for skill, level in self.requires.items():
            if not isinstance(skill, str) or not skill:
                raise ConfigurationError(
                    f"Relaxation: requires keys must be skill names, got {skill!r}"
                )
            _count("Relaxation", f"requires[{skill!r}]", level, 0)
        object.__setattr__(self, "requirement", tuple(sorted(self.requires.items())))


def relaxation_tuple(value: Iterable[Relaxation]) -> tuple[Relaxation, ...]:
    """Converter for ``Conversation.relax``; :func:`relaxation_steps` checks it."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(f"relax must be a sequence of Relaxation steps, got {value!r}")
    return tuple(value)


def relaxation_steps(owner: str, steps: tuple[Relaxation, ...]) -> None:
    """Check ``Conversation.relax``: Relaxation steps, strictly later and later."""
    for step in steps:
        if not isinstance(step, Relaxation):
            raise ConfigurationError(f"{owner}: relax takes Relaxation steps, got {step!r}")
    for before, after in itertools.pairwise(steps):
        if after.after <= before.after:
            raise ConfigurationError(
                f"{owner}: relaxation steps must come later and later; "
                f"{after.after!r} s comes after {before.after!r} s"
            )


@attrs.frozen(kw_only=True)
class Overflow:
    """When a group hands a waiting conversation on to group ``to``.

    Any of the triggers that is set fires it: ``after`` seconds waiting in this
    group; more than ``queue_over`` already waiting in it when the conversation
    arrives; or nobody of the group ONLINE (``when_nobody_online``). The
    conversation keeps its original waiting start. With ``keep=True`` it stays
    eligible for this group's operators too (offered to both groups); by default it
    moves.

    >>> Overflow(to="general", after=120).keep
    False
    """

    to: str
    after: float | None = None
    queue_over: int | None = None
    when_nobody_online: bool = False
    keep: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.to, str) or not self.to:
            raise ConfigurationError(f"Overflow: to must be a group id, got {self.to!r}")
        owner = f"Overflow to {self.to!r}"
        if self.after is not None:
            _seconds(owner, "after", self.after, positive=False)
        if self.queue_over is not None:
            _count(owner, "queue_over", self.queue_over, 0)
        for name in ("when_nobody_online", "keep"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(f"{owner}: {name} must be True or False")
        if self.after is None and self.queue_over is None and not self.when_nobody_online:
            raise ConfigurationError(
                f"{owner}: give a trigger: after=, queue_over= or when_nobody_online=True"
            )


@attrs.frozen(kw_only=True)
class Offers:
    """Offer work instead of assigning it: the operator must :meth:`~omniroute.Router.accept`.

    An offer holds a slot of the operator's capacity. Unanswered for ``timeout``
    seconds it expires (on :meth:`~omniroute.Router.tick`) and the conversation goes
    to the next operator. After ``away_after`` consecutive misses the operator is
    set AWAY (None: never). ``ring`` > 1 offers to up to that many free operators at
    once; the first to accept wins and the other offers are rescinded.

    >>> Offers(timeout=20, away_after=3).ring
    1
    """

    timeout: float = 30.0
    ring: int = 1
    away_after: int | None = None

    def __attrs_post_init__(self) -> None:
        _seconds("Offers", "timeout", self.timeout, positive=True)
        _count("Offers", "ring", self.ring, 1)
        if self.away_after is not None:
            _count("Offers", "away_after", self.away_after, 1)


@attrs.frozen(kw_only=True)
class Affinity:
    """Send a returning customer back to the operator who last served them.

    The operator must have served them within ``within`` seconds (``math.inf``: as
    far back as the Router's customer history goes), still serve the group and have
    the skills. If they are ONLINE with a free slot, they get the conversation at
    once; if they are busy or AWAY, it waits for them alone for up to ``wait``
    seconds (0: only if free now; ``math.inf``: as long as they stay ONLINE or
    AWAY), then anyone eligible may take it (``AffinityFallback``).

    >>> Affinity(within=3600).wait
    60.0
    """

    within: float = 86400.0
    wait: float = 60.0

    def __attrs_post_init__(self) -> None:
        _seconds("Affinity", "within", self.within, positive=True, infinite=True)
        _seconds("Affinity", "wait", self.wait, positive=False, infinite=True)


DEFAULT_AFFINITY = Affinity()
"""What a conversation waits for its operator when its group sets no affinity:
a resumed conversation and an explicit ``prefer_operator`` use its ``wait``."""


@attrs.frozen(kw_only=True)
class PositionUpdates:
    """When a waiting conversation hears that it moved up (``PositionChanged``).

    It is told once its place improved by at least ``places`` since it was last
    told (``Queued`` counts), and never more often than every ``seconds``: a move
    that comes sooner is told when the time is up (on :meth:`~omniroute.Router.tick`),
    with the place it has then.

    >>> PositionUpdates(places=5).seconds
    0.0
    """

    places: int = 1
    seconds: float = 0.0

    def __attrs_post_init__(self) -> None:
        _count("PositionUpdates", "places", self.places, 1)
        _seconds("PositionUpdates", "seconds", self.seconds, positive=False)
