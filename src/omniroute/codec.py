"""Plain data for the value types: what snapshots and journals are made of.

Encoding turns a value into dicts, lists, strings and numbers that ``json.dumps``
accepts (``metadata`` values are copied as they are, so keep them JSON-friendly).
Decoding is strict and names the path of the first bad field: a missing or unknown
key, a wrong type, a non-finite number, or a value the model itself refuses. It
raises the error class its caller chose (snapshot or journal), and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from omniroute._reading import Reader, kind
from omniroute.capacity import Capacity
from omniroute.errors import OmnirouteError
from omniroute.estimate import WaitEstimates
from omniroute.history import HistoryLimits
from omniroute.model import Conversation, Group, Operator, Status
from omniroute.policy import Affinity, Discipline, Offers, Overflow, PositionUpdates, Relaxation
from omniroute.stats import MetricsSettings, ServiceLevelFormula

__all__ = [
    "Decoder",
    "RouterConfig",
    "encode_capacity",
    "encode_config",
    "encode_conversation",
    "encode_group_settings",
    "encode_metrics_settings",
    "encode_operator",
]


@attrs.frozen(kw_only=True)
class RouterConfig:
    """The Router-wide settings :meth:`~omniroute.Router.configure` sets."""

    history: HistoryLimits | None = attrs.field(factory=HistoryLimits)
    position_updates: PositionUpdates | None = None
    wait_estimates: WaitEstimates = attrs.field(factory=WaitEstimates)
    metrics: MetricsSettings | None = attrs.field(factory=MetricsSettings)
    """None: the Router keeps no statistics (and its calls cost less)."""


def encode_capacity(capacity: Capacity) -> dict[str, Any]:
    return {
        "total": capacity.total,
        "per_channel": dict(capacity.per_channel),
        "exclusive": sorted(capacity.exclusive),
        "units": capacity.units,
        "cost": dict(capacity.cost),
    }


def encode_operator(operator: Operator) -> dict[str, Any]:
    return {
        "id": operator.id,
        "groups": sorted(operator.groups),
        "skills": dict(operator.skills),
        "capacity": encode_capacity(operator.capacity),
        "bot": operator.bot,
    }


def encode_conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "group": conversation.group,
        "customer_id": conversation.customer_id,
        "priority": conversation.priority,
        "requires": dict(conversation.requires),
        "relax": [{"after": r.after, "requires": dict(r.requires)} for r in conversation.relax],
        "prefer_operator": conversation.prefer_operator,
        "prefer_wait": conversation.prefer_wait,
        "created_at": conversation.created_at,
        "metadata": dict(conversation.metadata),
    }


DEFAULT_SETTINGS: dict[str, Any] = {
    "discipline": "fifo",
    "aging": None,
    "overflow": None,
    "offers": None,
    "keep_on_leave": 0.0,
    "affinity": None,
    "release_held_after": {},
}
"""The settings of a group without policies: what data older than them means."""


def _seconds_or_forever(seconds: float) -> float | None:
    # JSON has no infinity: "forever" is null.
    return seconds if math.isfinite(seconds) else None


def encode_group_settings(group: Group) -> dict[str, Any]:
    """A group's policies (everything but its id and strategy)."""
    overflow = group.overflow
    offers = group.offers
    affinity = group.affinity
    return {
        "discipline": group.discipline.value,
        "aging": group.aging,
        "overflow": None
        if overflow is None
        else {
            "to": overflow.to,
            "after": overflow.after,
            "queue_over": overflow.queue_over,
            "when_nobody_online": overflow.when_nobody_online,
            "keep": overflow.keep,
        },
        "offers": None
        if offers is None
        else {"timeout": offers.timeout, "ring": offers.ring, "away_after": offers.away_after},
        "keep_on_leave": _seconds_or_forever(group.keep_on_leave),
        "affinity": None
        if affinity is None
        else {
            "within": _seconds_or_forever(affinity.within),
            "wait": _seconds_or_forever(affinity.wait),
        },
        "release_held_after": dict(group.release_held_after),
    }


def encode_config(config: RouterConfig) -> dict[str, Any]:
    """The Router-wide settings (:meth:`~omniroute.Router.configure`) as plain data."""
    history, updates, estimates = config.history, config.position_updates, config.wait_estimates
    return {
        "history": None
        if history is None
        else {
            "per_customer": history.per_customer,
            "max_age": history.max_age,
            "max_customers": history.max_customers,
        },
        "position_updates": None
        if updates is None
        else {"places": updates.places, "seconds": updates.seconds},
        "wait_estimates": {
            "window": estimates.window,
            "horizon": estimates.horizon,
            "min_samples": estimates.min_samples,
            "handle_time": estimates.handle_time,
            "smoothing": estimates.smoothing,
        },
        "metrics": None if config.metrics is None else encode_metrics_settings(config.metrics),
    }


def encode_metrics_settings(settings: MetricsSettings) -> dict[str, Any]:
    return {
        "thresholds": dict(settings.thresholds),
        "default_threshold": settings.default_threshold,
        "short_abandon": settings.short_abandon,
        "formula": settings.formula.value,
        "interval": settings.interval,
        "keep_intervals": settings.keep_intervals,
    }


class Decoder(Reader):
    """Strict readers of the value types' plain data that raise ``error`` with the
    field's path."""

    def __init__(self, error: type[OmnirouteError], what: str, *, upgrade: bool = False) -> None:
        super().__init__(self._error, upgrade=upgrade)
        self.error = error
        self.what = what  # "snapshot", "event"…: the start of every message

    def _error(self, path: str, reason: str) -> OmnirouteError:
        return self.error(f"{self.what} {path}: {reason}")

    def levels(self, value: Any, path: str) -> dict[str, int]:
        """A mapping of names to integers: skills, limits, costs."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {kind(value)}")
        return {self.text(k, path): self.integer(v, f"{path}.{k}") for k, v in value.items()}

    def status(self, value: Any, path: str) -> Status:
        try:
            return Status(self.text(value, path))
        except ValueError:
            raise self.fail(
                path, f"unknown status {value!r}; expected one of {[s.value for s in Status]}"
            ) from None

    def capacity(self, value: Any, path: str) -> Capacity:
        data = self.record(value, path, ("total", "per_channel", "exclusive", "units", "cost"))
        return self.build(
            Capacity,
            path,
            total=self.optional(self.integer, data["total"], f"{path}.total"),
            per_channel=self.levels(data["per_channel"], f"{path}.per_channel"),
            exclusive=self.texts(data["exclusive"], f"{path}.exclusive"),
            units=self.optional(self.integer, data["units"], f"{path}.units"),
            cost=self.levels(data["cost"], f"{path}.cost"),
        )

    def operator(self, value: Any, path: str) -> Operator:
        data = self.record(
            value, path, ("id", "groups", "skills", "capacity", "bot"), {"bot": False}
        )
        return self.build(
            Operator,
            path,
            id=self.text(data["id"], f"{path}.id"),
            groups=self.texts(data["groups"], f"{path}.groups"),
            skills=self.levels(data["skills"], f"{path}.skills"),
            capacity=self.capacity(data["capacity"], f"{path}.capacity"),
            bot=self.boolean(data["bot"], f"{path}.bot"),
        )

    def conversation(self, value: Any, path: str) -> Conversation:
        data = self.record(
            value,
            path,
            _CONVERSATION_FIELDS,
            {"relax": [], "prefer_operator": None, "prefer_wait": None},
        )
        metadata = data["metadata"]
        if not isinstance(metadata, Mapping) or not all(isinstance(k, str) for k in metadata):
            raise self.fail(f"{path}.metadata", "expected an object with string keys")
        return self.build(
            Conversation,
            path,
            id=self.text(data["id"], f"{path}.id"),
            channel=self.text(data["channel"], f"{path}.channel"),
            group=self.text(data["group"], f"{path}.group"),
            customer_id=self.optional(self.text, data["customer_id"], f"{path}.customer_id"),
            priority=self.integer(data["priority"], f"{path}.priority"),
            requires=self.levels(data["requires"], f"{path}.requires"),
            relax=[
                self.relaxation(step, f"{path}.relax[{i}]")
                for i, step in enumerate(self.items(data["relax"], f"{path}.relax"))
            ],
            prefer_operator=self.optional(
                self.text, data["prefer_operator"], f"{path}.prefer_operator"
            ),
            prefer_wait=self.optional(self.number, data["prefer_wait"], f"{path}.prefer_wait"),
            created_at=self.optional(self.number, data["created_at"], f"{path}.created_at"),
            metadata=metadata,
        )

    def relaxation(self, value: Any, path: str) -> Relaxation:
        data = self.record(value, path, ("after", "requires"))
        return self.build(
            Relaxation,
            path,
            after=self.number(data["after"], f"{path}.after"),
            requires=self.levels(data["requires"], f"{path}.requires"),
        )

    def group_settings(self, value: Any, path: str) -> dict[str, Any]:
        """Checked group policies, as :func:`encode_group_settings` wrote them."""
        self.group_policies(value, path)
        return dict(value)

    def group_policies(self, value: Any, path: str) -> dict[str, Any]:
        """Keyword arguments for :class:`~omniroute.Group` from its settings."""
        data = self.record(value, path, _SETTINGS, DEFAULT_SETTINGS)
        try:
            discipline = Discipline(data["discipline"])
        except ValueError:
            raise self.fail(
                f"{path}.discipline", f"expected one of {[d.value for d in Discipline]}"
            ) from None
        overflow = offers = None
        if data["overflow"] is not None:
            at = f"{path}.overflow"
            o = self.record(data["overflow"], at, _OVERFLOW)
            flags = {name: o[name] for name in ("when_nobody_online", "keep")}
            for name, flag in flags.items():
                if not isinstance(flag, bool):
                    raise self.fail(f"{at}.{name}", f"expected a boolean, got {kind(flag)}")
            overflow = self.build(
                Overflow,
                at,
                to=self.text(o["to"], f"{at}.to"),
                after=self.optional(self.number, o["after"], f"{at}.after"),
                queue_over=self.optional(self.integer, o["queue_over"], f"{at}.queue_over"),
                **flags,
            )
        if data["offers"] is not None:
            at = f"{path}.offers"
            o = self.record(data["offers"], at, ("timeout", "ring", "away_after"))
            offers = self.build(
                Offers,
                at,
                timeout=self.number(o["timeout"], f"{at}.timeout"),
                ring=self.integer(o["ring"], f"{at}.ring"),
                away_after=self.optional(self.integer, o["away_after"], f"{at}.away_after"),
            )
        affinity = None
        if data["affinity"] is not None:
            at = f"{path}.affinity"
            a = self.record(data["affinity"], at, ("within", "wait"))
            affinity = self.build(
                Affinity,
                at,
                within=self.forever(a["within"], f"{at}.within"),
                wait=self.forever(a["wait"], f"{at}.wait"),
            )
        release = data["release_held_after"]
        if not isinstance(release, Mapping):
            raise self.fail(
                f"{path}.release_held_after", f"expected an object, got {kind(release)}"
            )
        return {
            "discipline": discipline,
            "aging": self.optional(self.number, data["aging"], f"{path}.aging"),
            "overflow": overflow,
            "offers": offers,
            "keep_on_leave": self.forever(data["keep_on_leave"], f"{path}.keep_on_leave"),
            "affinity": affinity,
            "release_held_after": {
                self.text(channel, f"{path}.release_held_after"): self.number(
                    seconds, f"{path}.release_held_after.{channel}"
                )
                for channel, seconds in release.items()
            },
        }

    def forever(self, value: Any, path: str) -> float:
        """Seconds, where null means forever."""
        return math.inf if value is None else self.number(value, path)

    def config(self, value: Any, path: str) -> RouterConfig:
        """Router-wide settings, as :func:`encode_config` wrote them."""
        keys = ("history", "position_updates", "wait_estimates", "metrics")
        data = self.record(value, path, keys, {"metrics": _DEFAULT_METRICS})
        history = updates = None
        if data["history"] is not None:
            at = f"{path}.history"
            h = self.record(data["history"], at, ("per_customer", "max_age", "max_customers"))
            history = self.build(
                HistoryLimits,
                at,
                per_customer=self.integer(h["per_customer"], f"{at}.per_customer"),
                max_age=self.optional(self.number, h["max_age"], f"{at}.max_age"),
                max_customers=self.optional(
                    self.integer, h["max_customers"], f"{at}.max_customers"
                ),
            )
        if data["position_updates"] is not None:
            at = f"{path}.position_updates"
            u = self.record(data["position_updates"], at, ("places", "seconds"))
            updates = self.build(
                PositionUpdates,
                at,
                places=self.integer(u["places"], f"{at}.places"),
                seconds=self.number(u["seconds"], f"{at}.seconds"),
            )
        at = f"{path}.wait_estimates"
        fields = ("window", "horizon", "min_samples", "handle_time", "smoothing")
        e = self.record(data["wait_estimates"], at, fields)
        estimates = self.build(
            WaitEstimates,
            at,
            window=self.integer(e["window"], f"{at}.window"),
            horizon=self.number(e["horizon"], f"{at}.horizon"),
            min_samples=self.integer(e["min_samples"], f"{at}.min_samples"),
            handle_time=self.number(e["handle_time"], f"{at}.handle_time"),
            smoothing=self.number(e["smoothing"], f"{at}.smoothing"),
        )
        return RouterConfig(
            history=history,
            position_updates=updates,
            wait_estimates=estimates,
            metrics=self.optional(self.metrics, data["metrics"], f"{path}.metrics"),
        )

    def metrics(self, value: Any, path: str) -> MetricsSettings:
        """How statistics count, as :func:`encode_metrics_settings` wrote it."""
        fields = (
            "thresholds",
            "default_threshold",
            "short_abandon",
            "formula",
            "interval",
            "keep_intervals",
        )
        data = self.record(value, path, fields)
        at = f"{path}.thresholds"
        thresholds = data["thresholds"]
        if not isinstance(thresholds, Mapping):
            raise self.fail(at, f"expected an object, got {kind(thresholds)}")
        formula = self.text(data["formula"], f"{path}.formula")
        known = [member.value for member in ServiceLevelFormula]
        if formula not in known:
            raise self.fail(f"{path}.formula", f"unknown formula {formula!r}; known: {known}")
        return self.build(
            MetricsSettings,
            path,
            thresholds={
                name: self.number(seconds, f"{at}[{name!r}]")
                for name, seconds in thresholds.items()
            },
            default_threshold=self.number(data["default_threshold"], f"{path}.default_threshold"),
            short_abandon=self.number(data["short_abandon"], f"{path}.short_abandon"),
            formula=ServiceLevelFormula(formula),
            interval=self.number(data["interval"], f"{path}.interval"),
            keep_intervals=self.integer(data["keep_intervals"], f"{path}.keep_intervals"),
        )


_DEFAULT_METRICS = encode_metrics_settings(MetricsSettings())
_SETTINGS = tuple(DEFAULT_SETTINGS)
_OVERFLOW = ("to", "after", "queue_over", "when_nobody_online", "keep")
_CONVERSATION_FIELDS = (
    "id",
    "channel",
    "group",
    "customer_id",
    "priority",
    "requires",
    "relax",
    "prefer_operator",
    "prefer_wait",
    "created_at",
    "metadata",
)
