"""A small web-chat, messenger and voice team, run on a virtual clock.

Three groups with different strategies, six operators with different limits, and
twelve minutes of traffic. The script moves the clock, tells the Router what
happened, and prints the events it gets back. Halfway through it saves a snapshot,
journals the events that follow, and "restarts": the Router is rebuilt from the two
and carries on. Run it with ``make demo``.
"""

from __future__ import annotations

import json
from typing import Any

from omniroute import (
    Abandoned,
    Assigned,
    Capacity,
    Channel,
    Conversation,
    Event,
    Finished,
    Group,
    Operator,
    Queued,
    Requeued,
    Router,
    Status,
    StatusChanged,
)
from omniroute.strategies import LeastLoaded, RoundRobin, SkillBased

CHAT, MESSENGER, VOICE, EMAIL = Channel.CHAT, Channel.MESSENGER, Channel.VOICE, Channel.EMAIL


def mmss(seconds: float) -> str:
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


def took(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def describe(event: Event) -> str | None:
    """One readable line per event, or None for the ones not worth a line."""
    match event:
        case Queued(conversation_id=c, channel=ch, group=g, position=p):
            return f"{c} ({ch}, {g}) queued at position {p} of its line"
        case Assigned(conversation_id=c, channel=ch, group=g, operator_id=o, waited=w):
            return f"{c} ({ch}, {g}) -> {o} " + (f"{took(w)} after submission" if w else "at once")
        case Requeued(conversation_id=c, operator_id=o, position=p, waited=w):
            return f"{c} back in queue from {o} at position {p}, submitted {took(w)} ago"
        case Finished(conversation_id=c, operator_id=o, handle_time=h):
            return f"{c} finished by {o} after {took(h)}"
        case Abandoned(conversation_id=c, channel=ch, group=g, waited=w):
            return f"{c} ({ch}, {g}) abandoned by the customer after {took(w)}"
        case StatusChanged(operator_id=o, previous=before, status=after):
            return f"{o} {before.value} -> {after.value}"
    return None


def print_event(event: Event) -> None:
    line = describe(event)
    if line is not None:
        print(f"{mmss(event.time)}  {line}")


def show_operators(router: Router, now: float) -> None:
    print(f"\nOperators at {mmss(now)}:")
    print(f"  {'id':<7}{'status':<9}{'groups':<17}{'holds':<34}{'load':>5}")
    for info in router.operators():
        groups = ",".join(sorted(info.operator.groups))
        holds = " ".join(f"{ch}:{n}" for ch, n in sorted(info.active_by_channel.items()))
        held = f"{holds} ({','.join(info.conversations)})" if holds else "-"
        print(f"  {info.id:<7}{info.status.value:<9}{groups:<17}{held:<34}{info.utilisation:>5.0%}")


def main() -> None:
    now = 0.0  # virtual time in seconds: the script moves it, the Router reads it
    journal: list[dict[str, Any]] = []  # what a helpdesk would append to a file or table

    def on_event(event: Event) -> None:
        print_event(event)
        journal.append(event.as_dict())

    def clock() -> float:
        return now

    router = Router(clock=clock, on_event=on_event)
    router.add_group(Group("sales", strategy=RoundRobin()))
    router.add_group(Group("support", strategy=SkillBased()))
    router.add_group(Group("billing", strategy=LeastLoaded()))
    print("Groups: " + ", ".join(f"{g.id} ({g.strategy.name})" for g in router.groups()))

    chat_only = Capacity(total=3, per_channel={VOICE: 0})
    phone = Capacity(total=3, per_channel={VOICE: 1}, exclusive={VOICE})
    budget = Capacity(units=100, cost={VOICE: 100, CHAT: 30, MESSENGER: 30, EMAIL: 10})
    for operator in [
        Operator("anna", groups={"support"}, skills={"en": 5, "tech": 4}, capacity=chat_only),
        Operator("boris", groups={"support", "billing"}, skills={"en": 3, "ru": 5}, capacity=phone),
        Operator("chen", groups={"sales"}, skills={"en": 4}, capacity=budget),
        Operator("dana", groups={"sales", "billing"}, skills={"en": 4}, capacity=Capacity(total=2)),
        Operator("emil", groups={"support"}, skills={"ru": 4, "tech": 5}, capacity=phone),
        Operator("fay", groups={"sales", "support"}, skills={"en": 2}, capacity=budget),
    ]:
        router.add_operator(operator)  # operators start OFFLINE

    print("\ntime   event")
    for name in ("anna", "boris", "chen", "dana"):
        router.set_status(name, Status.ONLINE)
    # (second, Router method, its arguments...): twelve minutes of traffic.
    plan: list[tuple[Any, ...]] = [
        (12, "submit", Conversation("c1", CHAT, "support", requires={"tech": 3})),  # not boris
        (20, "submit", Conversation("c2", VOICE, "sales")),
        (31, "submit", Conversation("c3", CHAT, "sales")),
        (45, "submit", Conversation("c4", MESSENGER, "support")),
        (58, "submit", Conversation("c5", CHAT, "sales")),
        (64, "submit", Conversation("c6", CHAT, "sales")),
        (75, "submit", Conversation("c7", VOICE, "support")),  # anna: no voice; boris: busy
        (90, "submit", Conversation("c8", CHAT, "sales")),
        (104, "submit", Conversation("c9", CHAT, "sales", priority=1)),  # jumps ahead of c6
        (118, "submit", Conversation("c10", CHAT, "support", requires={"tech": 3})),
        (130, "submit", Conversation("c11", EMAIL, "sales")),
        (150, "set_status", "emil", Status.ONLINE),
        (170, "abandon", "c8"),
        (185, "finish", "c2"),
        (200, "submit", Conversation("c12", CHAT, "billing", priority=2)),
        (230, "set_status", "dana", Status.AWAY),  # keeps c3 and c5, gets nothing new
        (262, "submit", Conversation("c13", CHAT, "sales")),
        (275, "submit", Conversation("c14", CHAT, "sales")),
        (290, "finish", "c3"),
        (300, "save_snapshot"),
        (320, "set_status", "boris", Status.OFFLINE),  # his work is requeued
        (335, "submit", Conversation("c15", VOICE, "billing")),
        (360, "show_operators"),
        (400, "set_status", "fay", Status.ONLINE),
        (450, "restart"),  # the process dies; snapshot + journal rebuild the Router
        (455, "finish", "c1"),
        (470, "submit", Conversation("c16", CHAT, "support", requires={"tech": 3})),
        (500, "set_status", "dana", Status.ONLINE),
        (520, "finish", "c6"),
        (600, "submit", Conversation("c17", VOICE, "sales", priority=1)),  # 100 units: nobody
        (660, "finish", "c7"),
        (680, "submit", Conversation("c18", CHAT, "billing")),
        (690, "submit", Conversation("c19", CHAT, "billing", priority=1)),
        (700, "submit", Conversation("c20", MESSENGER, "billing")),
        (720, "show_operators"),
    ]
    saved = ""
    for at, action, *args in plan:
        now = float(at)
        if action == "show_operators":
            show_operators(router, now)
            print()
        elif action == "save_snapshot":
            saved = json.dumps(router.snapshot())
            journal.clear()  # the snapshot holds everything journalled so far
            print(f"{mmss(now)}  snapshot saved ({len(saved) / 1024:.1f} kB); journal cleared")
        elif action == "restart":
            router.tick()  # read the clock, as the rebuilt Router will
            before = router.snapshot()
            router = Router.replay(saved, journal, clock=clock, on_event=on_event)
            assert router.snapshot() == before
            print(
                f"{mmss(now)}  restart: the snapshot and {len(journal)} journalled events "
                "rebuilt the Router exactly"
            )
        else:
            getattr(router, action)(*args)

    print("Who waits, best first per group (pN priority, #N position within its line):")
    for info in (i for group in router.groups() for i in router.waiting(group.id)):
        c = info.conversation
        row = f"{c.group:<8} {c.id:<4} {c.channel:<10} p{c.priority}"
        print(f"  {row}  {took(now - info.enqueued_at):>6}  #{info.position}")
    print("\nQueue lengths:")
    lengths = router.queue_lengths()
    for group in router.groups():
        channels = ", ".join(f"{ch} {n}" for (g, ch), n in sorted(lengths.items()) if g == group.id)
        print(f"  {group.id:<8} {router.queue_length(group.id)}  {channels}".rstrip())


if __name__ == "__main__":
    main()
