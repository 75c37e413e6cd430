"""The value types a host gives the Router: operators and groups (and, from
:mod:`omniroute.conversation`, conversations).

They are frozen attrs classes, validated when built: a malformed value raises
:class:`~omniroute.ValidationError` naming the field, and never reaches the Router.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Final

import attrs

from omniroute._frozen import check_names, frozen_levels, frozen_metadata, names
from omniroute.capacity import Capacity
from omniroute.conversation import Conversation, check_id, check_levels
from omniroute.errors import ConfigurationError, WrongType
from omniroute.policy import Affinity, Discipline, Offers, Overflow, discipline
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

    __hash__ = object.__hash__  # identity, in C (enum's default hashes the name in Python)


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
    groups: frozenset[str] = attrs.field(factory=frozenset, converter=names)
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_levels)
    capacity: Capacity = attrs.field(factory=lambda: Capacity(total=1))
    bot: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        check_id("Operator", self.id)
        who = f"Operator {self.id!r}"
        check_names(who, "groups", self.groups, "group ids")
        check_levels(who, "skills", self.skills)
        if not isinstance(self.capacity, Capacity):
            raise WrongType(f"{who}: capacity must be a Capacity, got {self.capacity!r}")
        if not isinstance(self.bot, bool):
            raise WrongType(f"{who}: bot must be True or False, got {self.bot!r}")


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
        check_id("Group", self.id)
        who = f"Group {self.id!r}"
        if not isinstance(self.strategy, Strategy):
            raise WrongType(
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
