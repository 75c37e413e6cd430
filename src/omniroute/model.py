"""The value types a host gives the Router: conversations, operators, groups.

They are frozen attrs classes, validated when built: a malformed value raises
:class:`~omniroute.ValidationError` naming the field, and never reaches the Router.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

from omniroute._frozen import frozen_levels, frozen_metadata
from omniroute.capacity import Capacity
from omniroute.errors import ConfigurationError, ValidationError
from omniroute.policy import (
    Affinity,
    Discipline,
    Offers,
    Overflow,
    Relaxation,
    discipline,
    relaxation_steps,
    relaxation_tuple,
)
from omniroute.skills import Requirement
from omniroute.strategies.base import Strategy
from omniroute.strategies.least_loaded import LeastLoaded

__all__ = ["Channel", "Conversation", "Group", "Operator", "Status"]


class Channel:
    """Names of well-known channels. A channel is any non-empty string."""

    CHAT: Final = "chat"
    MESSENGER: Final = "messenger"
    SMS: Final = "sms"
    EMAIL: Final = "email"
    VOICE: Final = "voice"
    VIDEO: Final = "video"
    SOCIAL: Final = "social"


class Status(enum.Enum):
    """An operator's presence.

    ``ONLINE`` receives new conversations; ``AWAY`` keeps what it holds and receives
    nothing new; ``OFFLINE`` receives nothing, and what it held goes back to the
    front of its queue with its original waiting time.
    """

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def _check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{kind} id must be a non-empty string, got {value!r}")


def _check_levels(owner: str, field: str, levels: Mapping[str, int]) -> None:
    for skill, level in levels.items():
        if not isinstance(skill, str) or not skill:
            raise ValidationError(f"{owner}: {field} keys must be skill names, got {skill!r}")
        if not isinstance(level, int) or isinstance(level, bool) or level < 0:
            raise ValidationError(f"{owner}: {field}[{skill!r}] must be an int >= 0, got {level!r}")


def _names(value: Any) -> frozenset[str]:
    # A bare string would become a set of its letters; treat it as one name.
    return frozenset([value]) if isinstance(value, str) else frozenset(value)


@attrs.frozen
class Conversation:
    """A customer contact to route: a chat, a call, an e-mail thread…

    ``group``: the group's id, or ``""`` to let the Router's rules choose
    (:meth:`~omniroute.Router.set_rules`). ``priority``: higher goes first.
    ``requires``: skill → minimum level, a hard requirement every strategy honours.
    ``relax``: :class:`~omniroute.Relaxation` steps that loosen ``requires`` as the
    conversation waits. ``prefer_operator``: the operator it should go to (a
    returning customer's own, say); if they cannot take it now it waits for them
    alone up to ``prefer_wait`` seconds (None: its group's :class:`~omniroute.Affinity`
    wait, else 60 s). ``created_at``: when the customer first wrote, if the host
    knows (the Router measures waiting from submission). ``metadata`` is the host's
    own and is carried untouched; rules may read it.

    >>> Conversation("c1", channel=Channel.CHAT, group="billing").priority
    0
    """

    id: str
    channel: str
    group: str = ""
    customer_id: str | None = attrs.field(default=None, kw_only=True)
    priority: int = attrs.field(default=0, kw_only=True)
    requires: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels, kw_only=True)
    relax: tuple[Relaxation, ...] = attrs.field(
        default=(), converter=relaxation_tuple, kw_only=True
    )
    prefer_operator: str | None = attrs.field(default=None, kw_only=True)
    prefer_wait: float | None = attrs.field(default=None, kw_only=True)
    created_at: float | None = attrs.field(default=None, kw_only=True)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_metadata, kw_only=True)
    requirement: Requirement = attrs.field(init=False, repr=False, eq=False)
    """``requires`` as a sorted tuple: the key lines and strategy indexes use."""

    def __attrs_post_init__(self) -> None:
        _check_id("Conversation", self.id)
        who = f"Conversation {self.id!r}"
        if not isinstance(self.channel, str) or not self.channel:
            raise ValidationError(f"{who}: channel must be a non-empty string")
        if not isinstance(self.group, str):
            raise ValidationError(f"{who}: group must be a string (empty: rules choose)")
        if self.customer_id is not None and not isinstance(self.customer_id, str):
            raise ValidationError(f"{who}: customer_id must be a string or None")
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise ValidationError(f"{who}: priority must be an int, got {self.priority!r}")
        if self.prefer_operator is not None and not (
            isinstance(self.prefer_operator, str) and self.prefer_operator
        ):
            raise ValidationError(f"{who}: prefer_operator must be an operator id or None")
        wait = self.prefer_wait
        if wait is not None and not (
            isinstance(wait, (int, float))
            and not isinstance(wait, bool)
            and math.isfinite(wait)
            and wait >= 0
        ):
            raise ValidationError(f"{who}: prefer_wait must be seconds >= 0 or None, got {wait!r}")
        if self.created_at is not None and not isinstance(self.created_at, (int, float)):
            raise ValidationError(f"{who}: created_at must be a number of seconds or None")
        _check_levels(who, "requires", self.requires)
        relaxation_steps(who, self.relax)
        # Frozen, so set the derived field the way attrs' own __init__ does.
        object.__setattr__(self, "requirement", tuple(sorted(self.requires.items())))

    def routed(
        self,
        *,
        group: str | None = None,
        requires: Mapping[str, int] | None = None,
        priority: int | None = None,
        conversation_id: str | None = None,
        customer_id: str | None = None,
    ) -> Conversation:
        """A copy routed to ``group``, with ``requires`` and ``priority`` if given
        (and another id and customer: the simulator's copies of a template).

        For omniroute's own routing (rules, relaxation, overflow), which hands in
        values already checked: it skips the validation a new ``Conversation`` runs,
        which costs more than the routing decision itself. ``requires`` must be
        frozen already (a converter's output), ``conversation_id`` non-empty.
        """
        copy = object.__new__(Conversation)
        put = object.__setattr__
        put(copy, "id", self.id if conversation_id is None else conversation_id)
        put(copy, "channel", self.channel)
        put(copy, "group", self.group if group is None else group)
        put(copy, "customer_id", self.customer_id if customer_id is None else customer_id)
        put(copy, "priority", self.priority if priority is None else priority)
        put(copy, "relax", self.relax)
        put(copy, "prefer_operator", self.prefer_operator)
        put(copy, "prefer_wait", self.prefer_wait)
        put(copy, "created_at", self.created_at)
        put(copy, "metadata", self.metadata)
        if requires is None:
            put(copy, "requires", self.requires)
            put(copy, "requirement", self.requirement)
        else:
            put(copy, "requires", requires)
            put(copy, "requirement", tuple(sorted(requires.items())))
        return copy


@attrs.frozen
class Operator:
    """A person who handles conversations.

    ``groups``: ids of the groups they serve. ``skills``: skill → proficiency level.
    ``capacity``: what they may hold at once (one conversation unless told).
    ``bot``: a bot, not a person; what a bot holds may be handed to people with
    :meth:`~omniroute.Router.handoff`. Give bots a large capacity.

    >>> Operator("ann", groups={"billing"}, capacity=Capacity(total=3)).capacity.total
    3
    """

    id: str
    groups: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels)
    capacity: Capacity = attrs.field(factory=lambda: Capacity(total=1))
    bot: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_id("Operator", self.id)
        who = f"Operator {self.id!r}"
        for group in self.groups:
            if not isinstance(group, str) or not group:
                raise ValidationError(f"{who}: group ids must be non-empty strings")
        _check_levels(who, "skills", self.skills)
        if not isinstance(self.capacity, Capacity):
            raise ValidationError(f"{who}: capacity must be a Capacity, got {self.capacity!r}")
        if not isinstance(self.bot, bool):
            raise ValidationError(f"{who}: bot must be True or False, got {self.bot!r}")


@attrs.frozen
class Group:
    """A queue of work and the team serving it, with its distribution strategy and
    routing policies.

    ``discipline``: FIFO (default) or LIFO among conversations of equal priority.
    ``aging``: seconds of waiting one priority level is worth, so that long-waiting
    low-priority work is not starved (None: priority always wins).
    ``overflow``: when waiting work moves on to another group.
    ``offers``: offer work for the operator to accept, instead of assigning it.
    ``keep_on_leave``: seconds an operator who goes OFFLINE keeps this group's
    conversations before they are requeued: 0 requeues at once (default),
    ``math.inf`` leaves them with the operator (messaging work the customer does
    not see queued).
    ``affinity``: send returning customers back to the operator who last served them.
    ``release_held_after``: channel → seconds after which a conversation held for
    the customer's reply (:meth:`~omniroute.Router.hold`) frees its operator's slot;
    on channels not named it keeps the slot until resumed or finished.

    Give each group its own strategy instance: strategies keep per-group indexes.
    """

    id: str
    strategy: Strategy = attrs.field(factory=LeastLoaded, eq=False)
    discipline: Discipline = attrs.field(
        default=Discipline.FIFO, converter=discipline, kw_only=True
    )
    aging: float | None = attrs.field(default=None, kw_only=True)
    overflow: Overflow | None = attrs.field(default=None, kw_only=True)
    offers: Offers | None = attrs.field(default=None, kw_only=True)
    keep_on_leave: float = attrs.field(default=0.0, kw_only=True)
    affinity: Affinity | None = attrs.field(default=None, kw_only=True)
    release_held_after: Mapping[str, float] = attrs.field(
        factory=dict, converter=frozen_metadata, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        _check_id("Group", self.id)
        who = f"Group {self.id!r}"
        if not isinstance(self.strategy, Strategy):
            raise ValidationError(
                f"{who}: strategy must implement omniroute.strategies.Strategy, "
                f"got {self.strategy!r}"
            )
        aging = self.aging
        if aging is not None and not (
            isinstance(aging, (int, float))
            and not isinstance(aging, bool)
            and math.isfinite(aging)
            and aging > 0
        ):
            raise ConfigurationError(f"{who}: aging must be seconds > 0 or None, got {aging!r}")
        if self.overflow is not None:
            if not isinstance(self.overflow, Overflow):
                raise ConfigurationError(f"{who}: overflow must be an Overflow")
            if self.overflow.to == self.id:
                raise ConfigurationError(f"{who}: overflows to itself")
        if self.offers is not None and not isinstance(self.offers, Offers):
            raise ConfigurationError(f"{who}: offers must be an Offers")
        keep = self.keep_on_leave
        if not (
            isinstance(keep, (int, float))
            and not isinstance(keep, bool)
            and not math.isnan(keep)
            and keep >= 0
        ):
            raise ConfigurationError(
                f"{who}: keep_on_leave must be seconds >= 0 (math.inf: forever), got {keep!r}"
            )
        if self.affinity is not None and not isinstance(self.affinity, Affinity):
            raise ConfigurationError(f"{who}: affinity must be an Affinity or None")
        for channel, grace in self.release_held_after.items():
            if not isinstance(channel, str) or not channel:
                raise ConfigurationError(f"{who}: release_held_after keys must be channels")
            if not (
                isinstance(grace, (int, float))
                and not isinstance(grace, bool)
                and math.isfinite(grace)
                and grace >= 0
            ):
                raise ConfigurationError(
                    f"{who}: release_held_after[{channel!r}] must be seconds >= 0, got {grace!r}"
                )

    def order(self, priority: int, enqueued_at: float, seq: int) -> tuple[int, float, int]:
        """The sort key of a conversation waiting in this group; lower goes first.

        With ``aging`` the key is static — ``enqueued_at - priority * aging`` — so
        ordering stays ``O(log n)`` while low priorities catch up as they wait.
        """
        lifo = self.discipline is Discipline.LIFO
        if self.aging is not None:
            bonus = priority * self.aging
            return (0, -(enqueued_at + bonus), -seq) if lifo else (0, enqueued_at - bonus, seq)
        return (-priority, -enqueued_at, -seq) if lifo else (-priority, enqueued_at, seq)
