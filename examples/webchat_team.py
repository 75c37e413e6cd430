"""A small web-chat, messenger and voice team, run on a virtual clock.

Three groups with different strategies, six operators with different limits, a
bot, and twelve minutes of traffic. Customers on messengers first answer a button
menu (triage); rules route conversations without a group by topic; a demanding
support chat relaxes its skill requirement as it waits; billing overflows to sales
after two minutes; the bot hands a customer to people. The script moves the clock,
tells the Router what happened (calling ``tick()`` as a host would, every step),
and prints the events it gets back. Halfway through it saves a snapshot, journals
the events that follow, and "restarts": the Router is rebuilt from the two and
carries on. At the end it prints the statistics the Router counted all along
(:func:`omniroute.report.report`, in five-minute intervals) and how many operators
the chat traffic would need (:mod:`omniroute.staffing`). Run it with ``make demo``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from omniroute import (
    Abandoned,
    Assigned,
    Capacity,
    Channel,
    Conversation,
    ConversationStats,
    Escalated,
    Event,
    Finished,
    Group,
    HandedOff,
    In,
    MetricsSettings,
    Operator,
    Overflow,
    Queued,
    Relaxation,
    Relaxed,
    Requeued,
    Router,
    Rule,
    Rules,
    Status,
    StatusChanged,
)
from omniroute.report import duration, report
from omniroute.staffing import required_agents
from omniroute.strategies import LeastLoaded, RoundRobin, SkillBased
from omniroute.triage import Button, Leaf, Menu, Node

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
        case Relaxed(conversation_id=c, requires=r, step=n):
            return f"{c} relaxed (step {n}): now requires {dict(r) or 'nothing'}"
        case Escalated(conversation_id=c, from_group=f, group=g, reason=r, position=p):
            return f"{c} overflowed {f} -> {g} ({r}), position {p} of its line"
        case HandedOff(conversation_id=c, operator_id=o, group=g, reason=r):
            return f"{c} handed off by {o} to {g}: {r}"
    return None


# The button menu messenger customers answer before a person sees them. A leaf names
# a group, or gives a topic and lets the rules below choose.
MENU = Menu(
    [
        Node(
            "start",
            "Hello! What is your question about?",
            [
                Button("Billing", leaf=Leaf(metadata={"topic": "invoice"})),
                Button("Technical problem", next="tech"),
                Button("Just looking", leaf=Leaf("bots")),
            ],
        ),
        Node(
            "tech",
            "Which service?",
            [
                Button("Internet", leaf=Leaf("support", requires={"tech": 4})),
                Button("TV", leaf=Leaf(metadata={"topic": "tech"})),
            ],
        ),
    ],
    start="start",
)

RULES = Rules(
    [
        Rule("billing", when={"topic": In("invoice", "refund")}, name="money"),
        Rule("support", when={"topic": "tech"}, requires={"tech": 3}, name="tech"),
    ],
    default="sales",
)


def print_event(event: Event) -> None:
    line = describe(event)
    if line is not None:
        print(f"{mmss(event.time)}  {line}")


def show_operators(router: Router, now: float) -> None:
    print(f"\nOperators at {mmss(now)}:")
    print(f"  {'id':<9}{'status':<9}{'groups':<17}{'holds':<44}{'load':>5}")
    for info in router.operators():
        groups = ",".join(sorted(info.operator.groups))
        holds = " ".join(f"{ch}:{n}" for ch, n in sorted(info.active_by_channel.items()))
        held = f"{holds} ({','.join(info.conversations)})" if holds else "-"
        row = f"{info.id:<9}{info.status.value:<9}{groups:<17}{held:<44}"
        print(f"  {row}{info.utilisation:>5.0%}")


def main() -> None:
    now = 0.0  # virtual time in seconds: the script moves it, the Router reads it
    journal: list[dict[str, Any]] = []  # what a helpdesk would append to a file or table

    def on_event(event: Event) -> None:
        print_event(event)
        journal.append(event.as_dict())

    def clock() -> float:
        return now

    router = Router(clock=clock, on_event=on_event)
    router.configure(metrics=MetricsSettings(interval=300))  # 5-minute report intervals
    router.add_group(Group("sales", strategy=RoundRobin()))
    router.add_group(Group("support", strategy=SkillBased()))
    # Billing customers wait two minutes at most for billing, then sales helps.
    to_sales = Overflow(to="sales", after=120)
    router.add_group(Group("billing", strategy=LeastLoaded(), overflow=to_sales))
    router.add_group(Group("bots", strategy=RoundRobin()))
    router.set_rules(RULES)
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
        Operator("faq-bot", groups={"bots"}, capacity=Capacity(total=100), bot=True),
    ]:
        router.add_operator(operator)  # operators start OFFLINE

    print("\ntime   event")
    for name in ("anna", "boris", "chen", "dana", "faq-bot"):
        router.set_status(name, Status.ONLINE)
    # tech>=5 at first (only emil, still offline), tech>=3 after a minute.
    patient = [Relaxation(60, {"tech": 3})]
    # (second, Router method, its arguments...): twelve minutes of traffic.
    plan: list[tuple[Any, ...]] = [
        (12, "submit", Conversation("c1", CHAT, "support", requires={"tech": 5}, relax=patient)),
        (20, "submit", Conversation("c2", VOICE, "sales")),
        (31, "submit", Conversation("c3", CHAT, "sales")),
        (40, "triage", "m1", ["2", "Internet"]),  # SMS-style numbers, then a label
        (45, "submit", Conversation("c4", MESSENGER, "support")),
        (50, "triage", "m2", ["Just looking"]),
        (56, "triage", "m3", ["Billing"]),
        (58, "submit", Conversation("c5", CHAT, "sales")),
        (64, "submit", Conversation("c6", CHAT, "sales")),
        (75, "submit", Conversation("c7", VOICE, "support")),  # anna: no voice; boris: busy
        (90, "submit", Conversation("c8", CHAT, "sales")),
        (90, "responded", "c1"),  # anna's first reply: the statistics time it
        (104, "submit", Conversation("c9", CHAT, "sales", priority=1)),  # jumps ahead of c6
        (118, "submit", Conversation("c10", CHAT, "support", requires={"tech": 3})),
        (130, "submit", Conversation("c11", EMAIL, "sales")),
        (130, "responded", "c10"),
        (140, "handoff", "m2", "sales", "asked for a person"),
        (150, "set_status", "emil", Status.ONLINE),
        (170, "abandon", "c8"),
        (185, "finish", "c2"),
        (185, "responded", "c9"),
        (200, "submit", Conversation("c12", CHAT, "billing", priority=2)),
        (230, "set_status", "dana", Status.AWAY),  # keeps c3 and c5, gets nothing new
        (230, "responded", "c12"),
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
        (500, "responded", "c16"),
        (520, "finish", "c6"),
        (520, "responded", "c13"),
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
        router.tick()  # a host calls tick() every second or so; here, every step
        if action == "show_operators":
            show_operators(router, now)
            print()
        elif action == "save_snapshot":
            saved = json.dumps(router.snapshot())
            journal.clear()  # the snapshot holds everything journalled so far
            print(f"{mmss(now)}  snapshot saved ({len(saved) / 1024:.1f} kB); journal cleared")
        elif action == "triage":
            cid, replies = args
            walk = MENU.walk(replies)
            print(f"{mmss(now)}  {cid} answered the menu: {' > '.join(walk.path)}")
            router.submit(walk.conversation(cid, MESSENGER))
        elif action == "handoff":
            cid, group, reason = args
            router.handoff(cid, group, reason=reason)
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

    # The statistics were counted from the events all along, across the restart.
    print()
    data = report(router.metrics, title="Statistics of the twelve minutes")
    print()
    print(staffing_line(data.channels, router.metrics.settings.threshold(CHAT)))


def staffing_line(channels: Sequence[ConversationStats], threshold: float) -> str:
    """How many chat operators, three chats each, the chat traffic seen would need
    for 80 % within the chat threshold, by Erlang C with the observed handle time."""
    chat = next(stats for stats in channels if stats.channel == CHAT)
    per_hour = chat.offered * 3600 / (chat.end - chat.start)
    handle = chat.average_handle_time
    if handle is None:
        return "Staffing: no chat finished yet, so no handle time to plan with"
    needed = required_agents(per_hour / 3600, handle, 0.8, threshold, concurrency=3)
    return (
        f"Staffing: to answer 80% of chats within {threshold:g}s at {per_hour:.0f} chats an hour,\n"
        f"{duration(handle)} each, you need {needed} operators at 3 chats each (Erlang C)"
    )


if __name__ == "__main__":
    main()
