"""The conversation: the customer contact a host asks the Router to route.

A frozen attrs class, validated when built: a malformed value raises
:class:`~omniroute.ValidationError` naming the field. Apart from the other value
types (:mod:`omniroute.model`) so that strategies, which see conversations, need
nothing else of the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from omniroute._frozen import frozen_levels, frozen_metadata
from omniroute._reading import is_int, is_number
from omniroute.errors import WrongType, refused
from omniroute.policy import Relaxation, relaxation_steps, relaxation_tuple
from omniroute.skills import Requirement

__all__ = ["Conversation", "check_id", "check_levels"]


def check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise refused(
            isinstance(value, str), f"{kind} id must be a non-empty string, got {value!r}"
        )


def check_levels(owner: str, field: str, levels: Mapping[str, int]) -> None:
    if not isinstance(levels, Mapping):
        raise WrongType(f"{owner}: {field} must be a mapping of skill to level, got {levels!r}")
    for skill, level in levels.items():
        if not isinstance(skill, str) or not skill:
            raise refused(
                isinstance(skill, str), f"{owner}: {field} keys must be skill names, got {skill!r}"
            )
        if not is_int(level) or level < 0:
            raise refused(
                is_int(level), f"{owner}: {field}[{skill!r}] must be an int >= 0, got {level!r}"
            )


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

    >>> Conversation("c1", channel="chat", group="billing").priority
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
        check_id("Conversation", self.id)
        who = f"Conversation {self.id!r}"
        if not isinstance(self.channel, str) or not self.channel:
            raise refused(
                isinstance(self.channel, str),
                f"{who}: channel must be a non-empty string, got {self.channel!r}",
            )
        if not isinstance(self.group, str):
            raise WrongType(f"{who}: group must be a string (empty: rules choose)")
        if self.customer_id is not None and not isinstance(self.customer_id, str):
            raise WrongType(f"{who}: customer_id must be a string or None")
        if not is_int(self.priority):
            raise WrongType(f"{who}: priority must be an int, got {self.priority!r}")
        preferred = self.prefer_operator
        if preferred is not None and not (isinstance(preferred, str) and preferred):
            raise refused(
                isinstance(preferred, str), f"{who}: prefer_operator must be an operator id or None"
            )
        wait = self.prefer_wait
        if wait is not None and not (is_number(wait) and math.isfinite(wait) and wait >= 0):
            raise refused(
                is_number(wait), f"{who}: prefer_wait must be seconds >= 0 or None, got {wait!r}"
            )
        created = self.created_at
        if created is not None and not (is_number(created) and math.isfinite(created)):
            raise refused(
                is_number(created), f"{who}: created_at must be a finite number of seconds or None"
            )
        if not isinstance(self.metadata, Mapping):
            raise WrongType(f"{who}: metadata must be a mapping, got {self.metadata!r}")
        check_levels(who, "requires", self.requires)
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
