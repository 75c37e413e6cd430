"""The baseline for ``bench_routing.py``: routing by a linear scan of a list.

``NaiveRouter`` is written to be obviously correct rather than fast, and to make the
same decisions as :class:`omniroute.Router` for what the benchmark does: operators
that serve one group each, limited by ``Capacity(total=...)`` only, always ONLINE;
conversations of one channel, all of the same priority, with or without required
skill levels. It answers ``submit`` and ``finish`` with the same event objects
(``Submitted``, ``Assigned``, ``Queued``, ``Finished``) the Router returns.

* Operators live in a Python list, in the order they joined.
* Waiting conversations live in one ``collections.deque`` per group, first come first
  served.
* ``submit`` scans the whole operator list for the best free operator that serves the
  group and meets the requirement, ordering operators the way the group's strategy
  would (round-robin scans from the operator after the last one served and stops at
  the first that fits); if it finds none, the conversation joins the tail of the
  deque.
* ``finish`` frees the slot and the operator takes the first conversation in its
  group's deque that it is qualified for, while it has room.

The benchmark starts it from a copy of a Router's state (:meth:`NaiveRouter.copy_of`),
so both run the same operations from the same state; before timing anything,
``bench_routing.py`` checks on small teams that both make the same decisions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import ClassVar

from omniroute import Assigned, Conversation, Event, Finished, Queued, Router, Submitted

__all__ = ["STRATEGY_NAMES", "NaiveRouter"]

STRATEGY_NAMES = ("round_robin", "least_loaded", "longest_idle", "skill_based")

Requirement = tuple[tuple[str, int], ...]


def _qualifies(skills: Mapping[str, int], requires: Mapping[str, int]) -> bool:
    for skill, level in requires.items():  # noqa: SIM110 - mirrors the Router's check
        if skills.get(skill, -1) < level:
            return False
    return True


class NaiveOperator:
    __slots__ = ("active", "group", "id", "idle_since", "joined", "limit", "online", "skills")

    def __init__(
        self,
        operator_id: str,
        group: str,
        skills: Mapping[str, int],
        limit: int,
        joined: int,
        idle_since: float,
    ) -> None:
        self.id = operator_id
        self.group = group
        self.skills = skills
        self.limit = limit
        self.joined = joined  # 1-based position in the operator list
        self.idle_since = idle_since
        self.active = 0
        self.online = True


class NaiveRouter:
    """Operators in a list, waiting conversations in a deque, a scan per decision."""

    def __init__(self, strategy: str, clock: Callable[[], float]) -> None:
        if strategy not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {strategy!r}; use one of {STRATEGY_NAMES}")
        self.strategy = strategy
        self.clock = clock
        self.seq = 0
        self.operators: list[NaiveOperator] = []
        # group → waiting (conversation, enqueued_at), oldest first
        self.waiting: dict[str, deque[tuple[Conversation, float]]] = {}
        # (group, channel, requirement) → waiting count, for Queued.position
        self.line_counts: dict[tuple[str, str, Requirement], int] = {}
        # conversation id → (conversation, operator, enqueued_at, assigned_at)
        self.live: dict[str, tuple[Conversation, NaiveOperator, float, float]] = {}
        # group → index in ``operators`` where the round-robin scan starts
        self.rr_next: dict[str, int] = {}

    # -- setup -----------------------------------------------------------------

    @classmethod
    def copy_of(
        cls,
        router: Router,
        strategy: str,
        clock: Callable[[], float],
        last_served: Mapping[str, str],
    ) -> NaiveRouter:
        """A NaiveRouter in the same state as ``router``, read through its public API.

        ``last_served``: group → the operator who received the group's last
        conversation (from the Router's events), where round-robin resumes.
        """
        naive = cls(strategy, clock)
        index: dict[str, NaiveOperator] = {}
        for info in router.operators():
            (group,) = info.operator.groups
            limit = info.operator.capacity.total
            assert limit is not None
            op = NaiveOperator(
                info.id,
                group,
                info.operator.skills,
                limit,
                len(naive.operators) + 1,
                info.idle_since,
            )
            naive.operators.append(op)
            index[op.id] = op
            for conversation_id in info.conversations:
                held = router.conversation(conversation_id)
                assert held.assigned_at is not None
                naive.live[conversation_id] = (
                    held.conversation,
                    op,
                    held.enqueued_at,
                    held.assigned_at,
                )
                op.active += 1
        for group in router.groups():
            queue: deque[tuple[Conversation, float]] = deque()
            for waiting in router.waiting(group.id):
                conversation = waiting.conversation
                queue.append((conversation, waiting.enqueued_at))
                line = naive._line(conversation)
                naive.line_counts[line] = naive.line_counts.get(line, 0) + 1
            naive.waiting[group.id] = queue
        for group_id, operator_id in last_served.items():
            naive.rr_next[group_id] = index[operator_id].joined  # the one after it
        return naive

    # -- the two calls the benchmark makes ---------------------------------------

    def submit(self, conversation: Conversation) -> list[Event]:
        now = self.clock()
        op = self._pick(conversation)
        self.seq += 1
        events: list[Event] = [
            Submitted(
                seq=self.seq,
                time=now,
                conversation_id=conversation.id,
                group=conversation.group,
                channel=conversation.channel,
                conversation=conversation,
            )
        ]
        if op is not None:
            self._assign(conversation, now, op, now, events)
            return events
        self.waiting.setdefault(conversation.group, deque()).append((conversation, now))
        line = self._line(conversation)
        position = self.line_counts[line] = self.line_counts.get(line, 0) + 1
        self.seq += 1
        events.append(
            Queued(
                seq=self.seq,
                time=now,
                conversation_id=conversation.id,
                group=conversation.group,
                channel=conversation.channel,
                position=position,
            )
        )
        return events

    def finish(self, conversation_id: str) -> list[Event]:
        conversation, op, _, assigned_at = self.live.pop(conversation_id)
        now = self.clock()
        op.active -= 1
        op.idle_since = now
        self.seq += 1
        events: list[Event] = [
            Finished(
                seq=self.seq,
                time=now,
                conversation_id=conversation_id,
                operator_id=op.id,
                group=conversation.group,
                channel=conversation.channel,
                handle_time=now - assigned_at,
            )
        ]
        # The freed operator takes the oldest waiting conversation it qualifies for.
        queue = self.waiting.get(op.group)
        while queue and op.online and op.active < op.limit:
            first = next(
                (i for i, (c, _) in enumerate(queue) if _qualifies(op.skills, c.requires)), None
            )
            if first is None:
                break
            waiting, enqueued_at = queue[first]
            del queue[first]
            self.line_counts[self._line(waiting)] -= 1
            self._assign(waiting, enqueued_at, op, now, events)
        return events

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    def _line(conversation: Conversation) -> tuple[str, str, Requirement]:
        requirement = tuple(sorted(conversation.requires.items()))
        return (conversation.group, conversation.channel, requirement)

    def _assign(
        self,
        conversation: Conversation,
        enqueued_at: float,
        op: NaiveOperator,
        now: float,
        events: list[Event],
    ) -> None:
        op.active += 1
        self.live[conversation.id] = (conversation, op, enqueued_at, now)
        self.rr_next[conversation.group] = op.joined  # index of the operator after op
        self.seq += 1
        events.append(
            Assigned(
                seq=self.seq,
                time=now,
                conversation_id=conversation.id,
                operator_id=op.id,
                group=conversation.group,
                channel=conversation.channel,
                waited=now - enqueued_at,
            )
        )

    def _pick(self, conversation: Conversation) -> NaiveOperator | None:
        """The operator the group's strategy would choose, found by a scan."""
        return self._pickers[self.strategy](self, conversation)

    def _pick_round_robin(self, conversation: Conversation) -> NaiveOperator | None:
        # The ring in join order, from the operator after the last one served; the
        # first that may take it wins.
        group, requires, operators = conversation.group, conversation.requires, self.operators
        n = len(operators)
        start = self.rr_next.get(group, 0)
        for i in range(start, start + n):
            op = operators[i % n]
            if (
                op.group == group
                and op.online
                and op.active < op.limit
                and (not requires or _qualifies(op.skills, requires))
            ):
                return op
        return None

    def _pick_least_loaded(self, conversation: Conversation) -> NaiveOperator | None:
        # Lowest share of the limit in use, then idle longest, then joined first.
        group, requires = conversation.group, conversation.requires
        best, best_key = None, None
        for op in self.operators:
            if (
                op.group == group
                and op.online
                and op.active < op.limit
                and (not requires or _qualifies(op.skills, requires))
            ):
                key = (op.active / op.limit, op.idle_since, op.joined)
                if best_key is None or key < best_key:
                    best, best_key = op, key
        return best

    def _pick_longest_idle(self, conversation: Conversation) -> NaiveOperator | None:
        # Empty-handed first, then idle longest, then joined first.
        group, requires = conversation.group, conversation.requires
        best, best_key = None, None
        for op in self.operators:
            if (
                op.group == group
                and op.online
                and op.active < op.limit
                and (not requires or _qualifies(op.skills, requires))
            ):
                key = (op.active > 0, op.idle_since, op.joined)
                if best_key is None or key < best_key:
                    best, best_key = op, key
        return best

    def _pick_skill_based(self, conversation: Conversation) -> NaiveOperator | None:
        # Most proficient in the required skills (sum of levels), then as least loaded.
        group, requires = conversation.group, conversation.requires
        best, best_key = None, None
        for op in self.operators:
            if (
                op.group == group
                and op.online
                and op.active < op.limit
                and (not requires or _qualifies(op.skills, requires))
            ):
                score = sum(op.skills[skill] for skill in requires)
                key = (-score, op.active / op.limit, op.idle_since, op.joined)
                if best_key is None or key < best_key:
                    best, best_key = op, key
        return best

    _pickers: ClassVar[dict[str, Callable[[NaiveRouter, Conversation], NaiveOperator | None]]] = {
        "round_robin": _pick_round_robin,
        "least_loaded": _pick_least_loaded,
        "longest_idle": _pick_longest_idle,
        "skill_based": _pick_skill_based,
    }
