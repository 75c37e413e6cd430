"""The discrete-event loop: a scenario played on the real :class:`~omniroute.Router`.

One heap of future happenings (an arrival, a customer leaving, an operator
finishing, going quiet, answering an offer, a shift starting, a timer of the
Router falling due) on a virtual clock. Each is popped in time order, the clock
is set to it, the Router is called as a helpdesk would call it, and the events it
returns schedule what follows: an ``Assigned`` schedules the end of the handling,
a ``Requeued`` cancels it, an ``Offered`` schedules the operator's answer. The
Router's own timers are met by calling ``tick()`` when :meth:`Router.next_due`
says.

Cancelled happenings stay in the heap and are skipped when popped: each carries
the ``stage`` of its conversation when it was scheduled, and anything that moves
the conversation on (assigned, requeued, released, held) starts a new stage.

Randomness: every stream of arrivals draws its arrival times, handle times,
patience and so on each from its own ``random.Random``, seeded from the run's
seed, the stream's name and what is drawn; the operators' answers to offers draw
from one more. So changing one stream, one draw or one routing rule leaves the
other draws as they were (common random numbers, for comparing scenarios run for
run).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import random
from array import array
from collections.abc import Callable
from typing import Any

from omniroute.events import (
    Abandoned,
    Assigned,
    Finished,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Queued,
    Released,
    Requeued,
    Resumed,
    Submitted,
)
from omniroute.model import Conversation, Status
from omniroute.router import Router
from omniroute.sim.distributions import Sampler
from omniroute.sim.scenario import Arrivals, Scenario

__all__ = ["Simulation"]

Progress = Callable[[float], Any]
"""Called now and then with the share of the run done, from 0 to 1."""

# Kinds of happenings, in the order of their handling at one instant: ends free
# slots before arrivals ask for them, as a helpdesk sees a reply before a new chat.
STATUS, FINISH, HOLD, RESUME, RESPOND, ACCEPT, REJECT, ABANDON, ARRIVE, TICK, SAMPLE = range(11)


class _Call:
    """The simulator's side of one conversation: what the customer will do."""

    __slots__ = (
        "answered",
        "estimate",
        "held",
        "id",
        "lasts",
        "offers",
        "quiet",
        "released",
        "respond",
        "since",
        "stage",
        "work",
    )

    def __init__(self, cid: str, work: float) -> None:
        self.id = cid
        self.work = work  # handling still to do, in seconds
        self.stage = 0
        self.since = 0.0  # when the current handling began
        self.answered = False
        self.held = False
        self.released = False
        self.offers: set[str] = set()
        self.quiet: float | None = None  # goes quiet after this much handling
        self.lasts = 0.0  # ...for this long
        self.respond: float | None = None  # first reply after this much handling
        self.estimate: float | None = None  # the wait the Router estimated at its first queueing


class _Stream:
    """An arrival stream's samplers and template conversation. Each thing drawn
    has its own generator, so adding patience to a stream, say, leaves its arrival
    times and handle times as they were."""

    def __init__(self, plan: Arrivals, seed: int) -> None:
        self.plan = plan

        def rng(purpose: str) -> random.Random:
            return random.Random(f"{seed}:{plan.name}:{purpose}")

        self.gap = rng("arrivals").expovariate
        self.handle: Sampler = plan.handle.sampler(rng("handle"))
        self.patience = plan.patience.sampler(rng("patience")) if plan.patience else None
        self.first_response = (
            plan.first_response.sampler(rng("first response")) if plan.first_response else None
        )
        quiet = plan.quiet
        self.quiet: tuple[Sampler, Sampler] | None = None
        self.quiet_probability = 0.0
        if quiet is not None:
            spells = rng("quiet")
            self.quiet = (quiet.after.sampler(spells), quiet.lasts.sampler(spells))
            self.quiet_probability = quiet.probability
        self.chance = rng("chance").random  # whether this customer goes quiet
        self.customer = rng("customers").randrange
        self.arrived = 0
        self.templates: dict[tuple[str, str, int], Conversation] = {}

    def conversation(
        self, cid: str, channel: str, group: str, priority: int, customer: str | None
    ) -> Conversation:
        key = (channel, group, priority)
        template = self.templates.get(key)
        if template is None:
            plan = self.plan
            template = Conversation(
                "template",
                channel=channel,
                group=group,
                priority=priority,
                requires=plan.requires,
                relax=plan.relax,
            )
            self.templates[key] = template
        return template.routed(conversation_id=cid, customer_id=customer)

    def next_time(self, now: float) -> float | None:
        """The next Poisson arrival after ``now``: the rate is constant within each
        step, and the process is memoryless, so a gap that crosses into the next
        step is drawn again from there at that step's rate."""
        plan = self.plan
        rates, every = plan.rates, plan.every
        now = max(now, plan.start)
        step = int((now - plan.start) // every)
        while step < len(rates):
            rate = rates[step]
            until = plan.start + (step + 1) * every
            if rate > 0:
                at = now + self.gap(rate)
                if at < until:
                    return at
            now = until
            step += 1
        return None


class Simulation:
    """One run of a scenario with one seed. :meth:`run` plays it to the end and
    returns the Router, which holds every statistic, for
    :class:`~omniroute.sim.Run` to read."""

    def __init__(self, scenario: Scenario, seed: int, *, progress: Progress | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.progress = progress
        self._cell = [scenario.start]
        self.router = Router(clock=functools.partial(self._cell.__getitem__, 0))
        self.router.configure(metrics=scenario.metrics)
        self._heap: list[tuple[float, int, int, Any, Any]] = []
        self._seq = itertools.count()
        self._calls: dict[str, _Call] = {}
        self._tick_at = math.inf
        self._leaving: set[str] = set()
        self.customers = 0
        self.happenings = 0
        self.unfinished = 0
        self.end = scenario.start
        self.waits = array("d")  # realised waits of the answered
        self.estimates = array("d")  # (estimated, realised) pairs, flattened
        self.queue: list[tuple[float, dict[str, int]]] = []
        self._answers = random.Random(f"{seed}:operators")
        # operator id → (seconds until they answer an offer, chance they reject it)
        self._answering = {
            plan.operator.id: (plan.accept.sampler(self._answers), plan.reject)
            for plan in scenario.operators
        }

    def _push(self, time: float, kind: int, subject: Any, stage: Any = None) -> None:
        heapq.heappush(self._heap, (time, kind, next(self._seq), subject, stage))

    # -- setting up ---------------------------------------------------------------

    def _prepare(self) -> list[_Stream]:
        scenario, router = self.scenario, self.router
        for plan in scenario.groups:
            router.add_group(plan.build())
        for op in scenario.operators:
            router.add_operator(op.operator)
            begin, end = op.shift
            self._push(max(begin, scenario.start), STATUS, op.operator.id, Status.ONLINE)
            for pause, back in op.breaks:
                self._push(pause, STATUS, op.operator.id, Status.AWAY)
                self._push(back, STATUS, op.operator.id, Status.ONLINE)
            if end < math.inf:
                self._push(end, STATUS, op.operator.id, None)  # None: leave once done
        streams = [_Stream(plan, self.seed) for plan in scenario.arrivals]
        for stream in streams:
            self._schedule_arrival(stream, scenario.start)
        self._push(scenario.start, SAMPLE, None)
        return streams

    def _schedule_arrival(self, stream: _Stream, now: float) -> None:
        plan = stream.plan
        if plan.count is not None and stream.arrived >= plan.count:
            return
        if plan.replay is None:
            at = stream.next_time(now)
        elif stream.arrived < len(plan.replay):
            at = max(plan.replay[stream.arrived].time, now)
        else:
            return
        if at is not None and at < min(self.scenario.end, plan.end):
            self._push(at, ARRIVE, stream)

    # -- the loop -----------------------------------------------------------------

    def run(self) -> Router:
        """Play the scenario; returns its Router. Call once."""
        self._prepare()
        scenario = self.scenario
        router = self.router
        heap, calls, cell = self._heap, self._calls, self._cell
        pop, push, seq = heapq.heappop, heapq.heappush, self._seq
        react, next_due = self._react, router.next_due
        submit, finish = router.submit, router.finish
        end, drain = scenario.end, scenario.drain
        progress = self.progress
        report_every = max(1, int(scenario.duration // 200))
        next_report = scenario.start + report_every if progress is not None else math.inf
        happenings = 0
        while heap:
            time, kind, _, subject, stage = pop(heap)
            if time >= end and not drain:
                break
            cell[0] = time
            happenings += 1
            if kind == FINISH:
                if subject.stage != stage:
                    continue
                events = finish(subject.id)
            elif kind == ARRIVE:
                events = submit(self._arrive(subject, time))
            elif kind == ABANDON:
                if subject.answered or subject.id not in calls:
                    continue
                events = router.abandon(subject.id)
            elif kind == TICK:
                if time != self._tick_at:
                    continue
                self._tick_at = math.inf
                events = router.tick()
            else:
                other = self._other(kind, subject, stage, time)
                if other is None:
                    continue
                events = other
            if events:
                react(events, time)
            due = next_due()
            if due is not None and due < self._tick_at:
                self._tick_at = due = max(due, time)
                push(heap, (due, TICK, next(seq), None, None))
            if time >= next_report:
                assert progress is not None
                next_report = time + report_every
                progress(min(1.0, (time - scenario.start) / scenario.duration))
        self.happenings = happenings
        self.end = max(cell[0], end)
        self.unfinished = len(calls)
        if progress is not None:
            progress(1.0)
        return router

    def _arrive(self, stream: _Stream, now: float) -> Conversation:
        plan = stream.plan
        replayed = plan.replay[stream.arrived] if plan.replay is not None else None
        stream.arrived += 1
        self.customers += 1
        self._schedule_arrival(stream, now)
        cid = f"{plan.name}:{stream.arrived}"
        customer = None
        if replayed is not None:
            customer = replayed.customer
            handle = replayed.handle if replayed.handle is not None else stream.handle()
            patience: float | None = replayed.patience
            channel = replayed.channel or plan.channel
            group = replayed.group or plan.group
            priority = plan.priority if replayed.priority is None else replayed.priority
        else:
            handle = stream.handle()
            patience = None
            channel, group, priority = plan.channel, plan.group, plan.priority
        if customer is None and plan.customers is not None:
            customer = f"{plan.name}:u{stream.customer(plan.customers)}"
        call = _Call(cid, handle)
        if patience is None and stream.patience is not None:
            patience = stream.patience()
        if patience is not None:
            self._push(now + patience, ABANDON, call)
        if stream.quiet is not None and stream.chance() < stream.quiet_probability:
            after, lasts = stream.quiet
            call.quiet, call.lasts = after(), lasts()
        if stream.first_response is not None:
            call.respond = stream.first_response()
        self._calls[cid] = call
        return stream.conversation(cid, channel, group, priority, customer)

    def _other(self, kind: int, subject: Any, stage: Any, now: float) -> list[Any] | None:
        """The rarer happenings; None if it was cancelled."""
        router = self.router
        if kind == STATUS:
            return self._status(subject, stage)
        if kind == SAMPLE:
            self._sample(now)
            return None
        call: _Call = subject
        if call.id not in self._calls:
            return None
        if kind in (ACCEPT, REJECT):
            if stage not in call.offers:
                return None
            answer = router.accept if kind == ACCEPT else router.reject
            return answer(call.id, stage)
        if call.stage != stage:
            return None
        if kind == HOLD:
            call.work -= now - call.since
            call.quiet = None
            call.held = True
            call.stage += 1
            self._push(now + call.lasts, RESUME, call, call.stage)
            return router.hold(call.id)
        if kind == RESUME:
            call.held = False
            return router.resume(call.id)
        if kind == RESPOND:
            return None if call.held else router.responded(call.id)
        raise AssertionError(f"unknown happening {kind}")

    def _status(self, operator_id: str, status: Status | None) -> list[Any] | None:
        router = self.router
        if status is None:  # the shift ends: nothing new, and off once the last is done
            self._leaving.add(operator_id)
            if router.operator(operator_id).active == 0:
                return router.set_status(operator_id, Status.OFFLINE)
            status = Status.AWAY
        elif operator_id in self._leaving:
            return None
        return router.set_status(operator_id, status)

    def _sample(self, now: float) -> None:
        lengths: dict[str, int] = {}
        for (_group, channel), length in self.router.queue_lengths().items():
            lengths[channel] = lengths.get(channel, 0) + length
        self.queue.append((now, lengths))
        if now + self.scenario.sample <= self.scenario.end:
            self._push(now + self.scenario.sample, SAMPLE, None)

    # -- what the Router said ---------------------------------------------------------

    def _react(self, events: list[Any], now: float) -> None:
        calls = self._calls
        for event in events:
            kind = type(event)
            if kind is Submitted:
                continue
            if kind is Assigned:
                call = calls[event.conversation_id]
                call.stage += 1
                call.released = False
                call.since = now
                if call.offers:
                    call.offers.clear()
                if not call.answered:
                    call.answered = True
                    self.waits.append(event.waited)
                    if call.estimate is not None:
                        self.estimates.append(call.estimate)
                        self.estimates.append(event.waited)
                    if call.respond is not None and call.respond < call.work:
                        self._push(now + call.respond, RESPOND, call, call.stage)
                self._schedule_work(call, now)
            elif kind is Finished:
                del calls[event.conversation_id]
                if self._leaving:
                    self._maybe_leave(event.operator_id)
            elif kind is Queued:
                call = calls[event.conversation_id]
                if call.estimate is None and not call.answered:
                    call.estimate = event.estimated_wait
            elif kind is Abandoned:
                del calls[event.conversation_id]
            elif kind is Offered:
                call = calls[event.conversation_id]
                call.offers.add(event.operator_id)
                self._answer_offer(call, event.operator_id, now)
            elif kind is OfferExpired or kind is OfferRejected or kind is OfferRescinded:
                answered = calls.get(event.conversation_id)
                if answered is not None:
                    answered.offers.discard(event.operator_id)
            elif kind is Requeued:
                call = calls[event.conversation_id]
                call.work -= now - call.since
                call.stage += 1
            elif kind is Released:
                call = calls[event.conversation_id]
                call.released = True
                if self._leaving:
                    self._maybe_leave(event.operator_id)
            elif kind is Resumed:
                call = calls[event.conversation_id]
                if not call.released:
                    call.since = now
                    call.stage += 1
                    self._schedule_work(call, now)

    def _schedule_work(self, call: _Call, now: float) -> None:
        """The next thing the customer does while handled: go quiet, or be done."""
        if call.quiet is not None and call.quiet < call.work:
            self._push(now + call.quiet, HOLD, call, call.stage)
        else:
            self._push(now + max(call.work, 0.0), FINISH, call, call.stage)

    def _answer_offer(self, call: _Call, operator_id: str, now: float) -> None:
        delay, reject = self._answering[operator_id]
        kind = REJECT if reject and self._answers.random() < reject else ACCEPT
        self._push(now + delay(), kind, call, operator_id)

    def _maybe_leave(self, operator_id: str) -> None:
        if operator_id in self._leaving and self.router.operator(operator_id).active == 0:
            self._react(self.router.set_status(operator_id, Status.OFFLINE), self._cell[0])
