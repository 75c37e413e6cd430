"""Reading a scenario: TOML-shaped data checked key by key into a scenario's fields.

:func:`scenario_fields` is what :meth:`Scenario.from_dict
<omniroute.sim.scenario.Scenario.from_dict>` calls; the first problem raises
:class:`~omniroute.ScenarioError` naming the source, the key's path and the
reason. CSV files a scenario names (replayed arrivals, empirical distributions)
are read relative to ``base``. :func:`parse_seconds` reads durations and times
of day.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from omniroute._reading import Reader, finite, kind
from omniroute.capacity import Capacity
from omniroute.errors import ScenarioError
from omniroute.model import Operator
from omniroute.policy import Affinity, Discipline, Offers, Overflow, Relaxation
from omniroute.sim.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Uniform,
)
from omniroute.sim.parts import Arrivals, GroupPlan, OperatorPlan, Quiet, Replayed
from omniroute.stats import MetricsSettings, ServiceLevelFormula
from omniroute.strategies import BUILT_IN_STRATEGIES

__all__ = ["parse_seconds", "scenario_fields"]


def scenario_fields(data: Mapping[str, Any], *, source: str, base: Path) -> dict[str, Any]:
    """The keyword arguments of :class:`~omniroute.sim.scenario.Scenario` read
    from ``data``; CSV files it names are relative to ``base``."""
    # Fields, not a Scenario: scenario.py imports this module, not the other way.
    return _ScenarioReader(source, base).scenario(data)


def parse_seconds(text: str, *, clock: bool = False) -> float:
    """Seconds from text: a number ("90"), a duration with units ("90s", "15m",
    "1h30m", "2d") or, with ``clock``, a time of day ("08:30", "17:45:30").
    Raises ValueError saying what was expected.

    >>> parse_seconds("1h30m"), parse_seconds("08:30", clock=True)
    (5400.0, 30600.0)
    """
    text = text.strip()
    if clock and (match := _CLOCK.fullmatch(text)):
        hours, minutes, secs = match.groups()
        if int(minutes) < 60 and float(secs or 0) < 60:
            return int(hours) * 3600 + int(minutes) * 60 + float(secs or 0)
    elif _DURATION.fullmatch(text):
        return sum(float(amount) * _UNITS[unit] for amount, unit in _DURATION.findall(text))
    else:
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if finite(seconds) and seconds >= 0:
            return seconds
    example = '"08:30" or ' if clock else ""
    raise ValueError(
        f'expected seconds, or {example}a duration such as "90s", "15m" or "1h30m", got {text!r}'
    )


# -- reading ---------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:(\d+(?:\.\d*)?)([smhd]))+?")
_CLOCK = re.compile(r"(\d{1,3}):(\d{2})(?::(\d{2}(?:\.\d*)?))?")
_FORMULAS = {formula.value: formula for formula in ServiceLevelFormula}
_DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], Callable[..., Distribution]]] = {
    "exponential": (("mean",), Exponential),
    "lognormal": (("mean", "sd"), LogNormal),
    "fixed": (("value",), Fixed),
    "uniform": (("low", "high"), Uniform),
    "empirical": (("values",), Empirical),
}
_REPLAY_COLUMNS = ("time", "channel", "group", "customer", "priority", "handle", "patience")


class _ScenarioReader(Reader):
    def __init__(self, source: str, base: Path) -> None:
        super().__init__(self._error)
        self.source = source
        self.base = base

    def _error(self, path: str, reason: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {path}: {reason}")

    # -- shapes ------------------------------------------------------------------

    def table(
        self,
        value: Any,
        path: str,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> Mapping[str, Any]:
        """A mapping with the required keys and no keys but these."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a table, got {kind(value)}")
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; expected {list(allowed)}"
                raise self.fail(_join(path, key), f"unknown key{hint}")
        for key in required:
            if key not in value:
                raise self.fail(_join(path, key), "missing")
        return value

    def tables(self, value: Any, path: str) -> list[Any]:
        """An array of tables (``[[groups]]``)."""
        return self.items(value, path)

    def number_at_least(self, value: Any, path: str, low: float = 0.0) -> float:
        number = self.number(value, path)
        if number < low:
            raise self.fail(path, f"expected a number >= {low:g}, got {value!r}")
        return number

    def count(self, value: Any, path: str, low: int = 1) -> int:
        number = self.integer(value, path)
        if number < low:
            raise self.fail(path, f"expected an integer >= {low}, got {value!r}")
        return number

    def probability(self, value: Any, path: str) -> float:
        number = self.number(value, path)
        if not 0 <= number <= 1:
            raise self.fail(path, f"expected a probability from 0 to 1, got {value!r}")
        return number

    def reject(self, value: Any, path: str) -> float:
        """A probability of rejecting an offer, below 1: an operator who rejects
        every offer would be offered the same conversation again for ever."""
        share = self.probability(value, path)
        if share >= 1:
            raise self.fail(path, "must be below 1 (leave the operator out of the group)")
        return share

    def seconds(self, value: Any, path: str, *, clock: bool = False) -> float:
        """Seconds >= 0: a number, or text (:func:`parse_seconds`)."""
        if isinstance(value, str):
            try:
                return parse_seconds(value, clock=clock)
            except ValueError as exc:
                raise self.fail(path, str(exc)) from None
        seconds = self.number(value, path)
        if seconds < 0:
            raise self.fail(path, f"expected seconds >= 0, got {value!r}")
        return seconds

    def span(self, value: Any, path: str) -> tuple[float, float]:
        """A [from, until] pair of times of day."""
        items = self.items(value, path)
        if len(items) != 2:
            raise self.fail(path, f"expected [from, until], got {len(items)} item(s)")
        begin = self.seconds(items[0], f"{path}[0]", clock=True)
        end = self.seconds(items[1], f"{path}[1]", clock=True)
        if end <= begin:
            raise self.fail(path, f"ends ({items[1]!r}) before it starts ({items[0]!r})")
        return begin, end

    def entries(self, value: Any, path: str) -> Mapping[str, Any]:
        """A table whose keys the writer names (skills, channels)."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a table, got {kind(value)}")
        return value

    def levels(self, value: Any, path: str) -> dict[str, int]:
        """Skills, limits or costs: names to integers >= 0."""
        return {
            str(k): self.count(v, _join(path, k), low=0)
            for k, v in self.entries(value, path).items()
        }

    def durations(self, value: Any, path: str) -> dict[str, float]:
        """Names (channels) to seconds."""
        return {
            str(k): self.seconds(v, _join(path, k)) for k, v in self.entries(value, path).items()
        }

    def distribution(self, value: Any, path: str) -> Distribution:
        data = self.table(
            value,
            path,
            required=("kind",),
            optional=("mean", "sd", "value", "low", "high", "values", "csv", "column"),
        )
        name = self.text(data["kind"], f"{path}.kind")
        if name not in _DISTRIBUTIONS:
            raise self.fail(
                f"{path}.kind",
                f"unknown distribution {name!r}; expected one of {sorted(_DISTRIBUTIONS)}",
            )
        fields, make = _DISTRIBUTIONS[name]
        if name == "empirical" and "csv" in data:
            self.table(data, path, ("kind", "csv"), ("column",))
            values: Any = self.csv_column(data, path)
            return self.build(make, path, values)
        self.table(data, path, ("kind", *fields))
        if name == "empirical":
            items = self.items(data["values"], f"{path}.values")
            values = [self.seconds(v, f"{path}.values[{i}]") for i, v in enumerate(items)]
            return self.build(make, path, values)
        return self.build(
            make, path, *(self.seconds(data[field], f"{path}.{field}") for field in fields)
        )

    # -- files -------------------------------------------------------------------

    def rows(self, name: Any, path: str) -> tuple[str, list[tuple[int, dict[str, str]]]]:
        """The rows of a CSV file named relative to the scenario, by header, each
        with its line number (blank lines are skipped, not counted out)."""
        file = self.base / self.text(name, path)
        try:
            with file.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                rows = [(reader.line_num, row) for row in reader]
                header = reader.fieldnames or []
        except OSError as exc:
            raise self.fail(path, f"cannot read {str(file)!r}: {exc.strerror}") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise self.fail(path, f"{str(file)!r} is not a readable CSV file: {exc}") from None
        if not header:
            raise self.fail(path, f"{str(file)!r} has no header row")
        return str(file), rows

    def csv_column(self, data: Mapping[str, Any], path: str) -> list[float]:
        file, rows = self.rows(data["csv"], f"{path}.csv")
        column = self.text(data.get("column", "seconds"), f"{path}.column")
        if rows and column not in rows[0][1]:
            raise self.fail(f"{path}.column", f"{file} has no column {column!r}")
        values = []
        for line, row in rows:
            value = self.cell(row, column, file, line, float)
            if value is None:
                raise ScenarioError(f"{file}: line {line}, column {column!r}: missing")
            values.append(value)
        return values

    def cell(
        self,
        row: Mapping[str, str | None],
        column: str,
        file: str,
        line: int,
        convert: Callable[[str], Any],
    ) -> Any:
        text = (row.get(column) or "").strip()
        if not text:
            return None
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or (isinstance(value, float) and not (finite(value) and value >= 0)):
            raise ScenarioError(
                f"{file}: line {line}, column {column!r}: expected a number >= 0, got {text!r}"
            )
        return value

    def replay(self, name: Any, path: str) -> tuple[Replayed, ...]:
        file, rows = self.rows(name, path)
        if rows and "time" not in rows[0][1]:
            raise self.fail(
                path, f"{file} has no column 'time'; columns may be {list(_REPLAY_COLUMNS)}"
            )
        unknown = [column for column in rows[0][1] if column not in _REPLAY_COLUMNS] if rows else []
        if unknown:
            raise self.fail(
                path,
                f"{file}: unknown column(s) {unknown}; expected some of {list(_REPLAY_COLUMNS)}",
            )
        arrivals = []
        for line, row in rows:
            time = self.cell(row, "time", file, line, _time_of_day)
            if time is None:
                raise ScenarioError(f"{file}: line {line}, column 'time': missing")
            arrivals.append(
                Replayed(
                    time=time,
                    channel=(row.get("channel") or "").strip() or None,
                    group=(row.get("group") or "").strip() or None,
                    customer=(row.get("customer") or "").strip() or None,
                    priority=self.cell(row, "priority", file, line, int),
                    handle=self.cell(row, "handle", file, line, float),
                    patience=self.cell(row, "patience", file, line, float),
                )
            )
        arrivals.sort(key=lambda arrival: arrival.time)
        return tuple(arrivals)

    # -- sections ----------------------------------------------------------------

    def scenario(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of :class:`~omniroute.sim.scenario.Scenario`."""
        top = self.table(data, "", ("scenario",), ("metrics", "groups", "operators", "arrivals"))
        day = self.table(
            top["scenario"],
            "scenario",
            ("name",),
            (
                "start",
                "end",
                "duration",
                "warmup",
                "interval",
                "sample",
                "drain",
                "seed",
                "replications",
            ),
        )
        name = self.name(day["name"], "scenario.name")
        start = self.seconds(day.get("start", 0), "scenario.start", clock=True)
        if ("end" in day) == ("duration" in day):
            raise self.fail("scenario", "give either end or duration (not both)")
        if "end" in day:
            end = self.seconds(day["end"], "scenario.end", clock=True)
            if end <= start:
                raise self.fail("scenario.end", f"{day['end']!r} is not after start")
        else:
            length = self.seconds(day["duration"], "scenario.duration")
            if length <= 0:
                raise self.fail("scenario.duration", "expected a duration > 0")
            end = start + length
        warmup = self.seconds(day.get("warmup", 0), "scenario.warmup")
        if warmup >= end - start:
            raise self.fail("scenario.warmup", "must be shorter than the scenario")
        interval = self.seconds(day.get("interval", 900), "scenario.interval")
        sample = self.seconds(day.get("sample", 60), "scenario.sample")
        for key, value in (("interval", interval), ("sample", sample)):
            if value <= 0:
                raise self.fail(f"scenario.{key}", "expected a duration > 0")
        metrics = self.metrics(top.get("metrics", {}), interval)
        groups = self.groups(top.get("groups", []))
        known = {group.id for group in groups}
        operators = self.operators(top.get("operators", []), known, (start, math.inf))
        arrivals = self.arrivals(top.get("arrivals", []), known, (start, end), interval)
        if not arrivals:
            raise self.fail("arrivals", "no customers: add an [[arrivals]] table")
        return {
            "name": name,
            "start": start,
            "end": end,
            "warmup": warmup,
            "sample": sample,
            "drain": self.boolean(day.get("drain", True), "scenario.drain"),
            "seed": self.integer(day.get("seed", 1), "scenario.seed"),
            "replications": self.count(day.get("replications", 1), "scenario.replications"),
            "metrics": metrics,
            "groups": groups,
            "operators": operators,
            "arrivals": arrivals,
            "source": self.source,
        }

    def metrics(self, value: Any, interval: float) -> MetricsSettings:
        data = self.table(
            value, "metrics", (), ("thresholds", "default_threshold", "short_abandon", "formula")
        )
        formula = self.text(data.get("formula", "offered"), "metrics.formula")
        if formula not in _FORMULAS:
            raise self.fail(
                "metrics.formula",
                f"unknown formula {formula!r}; expected one of {sorted(_FORMULAS)}",
            )
        return self.build(
            MetricsSettings,
            "metrics",
            thresholds={
                **MetricsSettings().thresholds,
                **self.durations(data.get("thresholds", {}), "metrics.thresholds"),
            },
            default_threshold=self.seconds(
                data.get("default_threshold", 60), "metrics.default_threshold"
            ),
            short_abandon=self.seconds(data.get("short_abandon", 5), "metrics.short_abandon"),
            formula=_FORMULAS[formula],
            interval=interval,
            # Keep every interval of a long day one by one: the report lists them all.
            keep_intervals=100_000,
        )

    def groups(self, value: Any) -> tuple[GroupPlan, ...]:
        plans: list[GroupPlan] = []
        seen: set[str] = set()
        items = self.tables(value, "groups")
        ids = {
            item["id"]
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get("id"), str)
        }
        for i, item in enumerate(items):
            path = f"groups[{i}]"
            data = self.table(
                item,
                path,
                ("id",),
                (
                    "strategy",
                    "discipline",
                    "aging",
                    "overflow",
                    "offers",
                    "affinity",
                    "keep_on_leave",
                    "release_held_after",
                ),
            )
            group_id = self.name(data["id"], f"{path}.id")
            if group_id in seen:
                raise self.fail(f"{path}.id", f"duplicate group {group_id!r}")
            seen.add(group_id)
            strategy = self.text(data.get("strategy", "least_loaded"), f"{path}.strategy")
            if strategy not in BUILT_IN_STRATEGIES:
                raise self.fail(
                    f"{path}.strategy",
                    f"unknown strategy {strategy!r}; expected one of {sorted(BUILT_IN_STRATEGIES)}",
                )
            policies = self.policies(data, path, ids)
            plan = GroupPlan(group_id, strategy, policies)
            self.build(plan.build, path)
            plans.append(plan)
        return self.overflow_order(plans)

    def overflow_order(self, plans: list[GroupPlan]) -> tuple[GroupPlan, ...]:
        """The groups in an order the Router accepts: a group after the one it
        overflows to (the file may list them in any order); a cycle is an error."""
        ordered: list[GroupPlan] = []
        placed: set[str] = set()
        waiting = list(plans)
        while waiting:
            plan = next(
                (
                    plan
                    for plan in waiting
                    if plan.policies.get("overflow") is None
                    or plan.policies["overflow"].to in placed
                ),
                None,
            )
            if plan is None:
                cycle = sorted(plan.id for plan in waiting)
                raise self.fail("groups", f"groups {cycle} overflow to each other in a cycle")
            ordered.append(plan)
            placed.add(plan.id)
            waiting.remove(plan)
        return tuple(ordered)

    def policies(self, data: Mapping[str, Any], path: str, ids: set[Any]) -> dict[str, Any]:
        policies: dict[str, Any] = {}
        if "discipline" in data:
            name = self.text(data["discipline"], f"{path}.discipline")
            disciplines = {d.value: d for d in Discipline}
            if name not in disciplines:
                raise self.fail(
                    f"{path}.discipline",
                    f"unknown discipline {name!r}; expected one of {sorted(disciplines)}",
                )
            policies["discipline"] = disciplines[name]
        if "aging" in data:
            policies["aging"] = self.number(data["aging"], f"{path}.aging")
        if "overflow" in data:
            at = f"{path}.overflow"
            o = self.table(
                data["overflow"], at, ("to",), ("after", "queue_over", "when_nobody_online", "keep")
            )
            to = self.name(o["to"], f"{at}.to")
            if to not in ids:
                raise self.fail(
                    f"{at}.to", f"unknown group {to!r}; groups: {sorted(map(str, ids))}"
                )
            policies["overflow"] = self.build(
                Overflow,
                at,
                to=to,
                after=self.optional(self.seconds, o.get("after"), f"{at}.after"),
                queue_over=self.optional(self.integer, o.get("queue_over"), f"{at}.queue_over"),
                when_nobody_online=self.boolean(
                    o.get("when_nobody_online", False), f"{at}.when_nobody_online"
                ),
                keep=self.boolean(o.get("keep", False), f"{at}.keep"),
            )
        if "offers" in data:
            at = f"{path}.offers"
            o = self.table(data["offers"], at, (), ("timeout", "ring", "away_after"))
            policies["offers"] = self.build(
                Offers,
                at,
                timeout=self.seconds(o.get("timeout", 30), f"{at}.timeout"),
                ring=self.integer(o.get("ring", 1), f"{at}.ring"),
                away_after=self.optional(self.integer, o.get("away_after"), f"{at}.away_after"),
            )
        if "affinity" in data:
            at = f"{path}.affinity"
            a = self.table(data["affinity"], at, (), ("within", "wait"))
            policies["affinity"] = self.build(
                Affinity,
                at,
                within=self.seconds(a.get("within", 86400), f"{at}.within"),
                wait=self.seconds(a.get("wait", 60), f"{at}.wait"),
            )
        if "keep_on_leave" in data:
            policies["keep_on_leave"] = self.seconds(data["keep_on_leave"], f"{path}.keep_on_leave")
        if "release_held_after" in data:
            at = f"{path}.release_held_after"
            policies["release_held_after"] = self.durations(data["release_held_after"], at)
        return policies

    def operators(
        self, value: Any, groups: set[str], day: tuple[float, float]
    ) -> tuple[OperatorPlan, ...]:
        plans: list[OperatorPlan] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.tables(value, "operators")):
            path = f"operators[{i}]"
            data = self.table(
                item,
                path,
                ("id", "groups"),
                ("count", "skills", "capacity", "bot", "shift", "breaks", "accept", "reject"),
            )
            base = self.name(data["id"], f"{path}.id")
            count = self.count(data.get("count", 1), f"{path}.count")
            member_of = self.texts(data["groups"], f"{path}.groups")
            if not member_of:
                raise self.fail(f"{path}.groups", "empty: the operator would never work")
            for j, group in enumerate(member_of):
                if group not in groups:
                    raise self.fail(
                        f"{path}.groups[{j}]", f"unknown group {group!r}; groups: {sorted(groups)}"
                    )
            capacity = self.capacity(data.get("capacity", {}), f"{path}.capacity")
            # Without a shift: from the start until there is no more work.
            shift = self.span(data["shift"], f"{path}.shift") if "shift" in data else day
            breaks = tuple(
                self.span(item, f"{path}.breaks[{k}]")
                for k, item in enumerate(self.items(data.get("breaks", []), f"{path}.breaks"))
            )
            for k, (begin, end) in enumerate(breaks):
                if begin < shift[0] or end > shift[1]:
                    raise self.fail(f"{path}.breaks[{k}]", "is not within the shift")
            accept = data.get("accept", {"kind": "fixed", "value": 0})
            ids = [base] if count == 1 else [f"{base}-{n}" for n in range(1, count + 1)]
            for operator_id in ids:
                if operator_id in seen:
                    raise self.fail(
                        f"{path}.id",
                        f"operator {operator_id!r} is also made by {seen[operator_id]}",
                    )
                seen[operator_id] = path
                operator = self.build(
                    Operator,
                    path,
                    operator_id,
                    groups=member_of,
                    skills=self.levels(data.get("skills", {}), f"{path}.skills"),
                    capacity=capacity,
                    bot=self.boolean(data.get("bot", False), f"{path}.bot"),
                )
                plans.append(
                    OperatorPlan(
                        operator=operator,
                        shift=shift,
                        breaks=breaks,
                        accept=self.distribution(accept, f"{path}.accept"),
                        reject=self.reject(data.get("reject", 0), f"{path}.reject"),
                    )
                )
        return tuple(plans)

    def capacity(self, value: Any, path: str) -> Capacity:
        data = self.table(value, path, (), ("total", "per_channel", "exclusive", "units", "cost"))
        return self.build(
            Capacity,
            path,
            # A units budget alone limits nobody to one conversation.
            total=self.optional(
                self.integer, data.get("total", None if "units" in data else 1), f"{path}.total"
            ),
            per_channel=self.levels(data.get("per_channel", {}), f"{path}.per_channel"),
            exclusive=self.texts(data.get("exclusive", []), f"{path}.exclusive"),
            units=self.optional(self.integer, data.get("units"), f"{path}.units"),
            cost=self.levels(data.get("cost", {}), f"{path}.cost"),
        )

    def arrivals(
        self, value: Any, groups: set[str], day: tuple[float, float], interval: float
    ) -> tuple[Arrivals, ...]:
        streams: list[Arrivals] = []
        names: set[str] = set()
        for i, item in enumerate(self.tables(value, "arrivals")):
            path = f"arrivals[{i}]"
            data = self.table(
                item,
                path,
                (),
                (
                    "name",
                    "channel",
                    "group",
                    "per_hour",
                    "every",
                    "hours",
                    "count",
                    "replay",
                    "priority",
                    "requires",
                    "relax",
                    "customers",
                    "handle",
                    "patience",
                    "first_response",
                    "quiet",
                ),
            )
            if ("per_hour" in data) == ("replay" in data):
                raise self.fail(
                    path,
                    "give either per_hour (Poisson arrivals) or replay (a CSV file of arrivals)",
                )
            replay = self.replay(data["replay"], f"{path}.replay") if "replay" in data else None
            channel = self.optional(self.name, data.get("channel"), f"{path}.channel")
            group = self.optional(self.name, data.get("group"), f"{path}.group")
            for key, given in (("channel", channel), ("group", group)):
                if given is None and (
                    replay is None or any(getattr(r, key) is None for r in replay)
                ):
                    raise self.fail(f"{path}.{key}", "missing (and not in every replayed row)")
            for where, named in [(f"{path}.group", group)] + [
                (f"{path}.replay (time {r.time:g})", r.group) for r in replay or ()
            ]:
                if named is not None and named not in groups:
                    raise self.fail(where, f"unknown group {named!r}; groups: {sorted(groups)}")
            rates: tuple[float, ...] = ()
            if "per_hour" in data:
                per_hour = data["per_hour"]
                listed = per_hour if isinstance(per_hour, list) else [per_hour]
                rates = tuple(
                    self.number_at_least(
                        rate, f"{path}.per_hour" + (f"[{k}]" if isinstance(per_hour, list) else "")
                    )
                    / 3600
                    for k, rate in enumerate(listed)
                )
            if isinstance(data.get("per_hour"), list):
                every = self.seconds(data.get("every", interval), f"{path}.every")
                if every <= 0:
                    raise self.fail(f"{path}.every", "expected a duration > 0")
            elif "every" in data:
                raise self.fail(f"{path}.every", "only for a list of rates in per_hour")
            hours = self.span(data["hours"], f"{path}.hours") if "hours" in data else day
            if not isinstance(data.get("per_hour"), list):
                every = hours[1] - hours[0]  # one rate: all the hours
            name = self.name(
                data.get("name", f"{channel or 'mixed'}-{group or 'mixed'}-{i}"), f"{path}.name"
            )
            if name in names:
                raise self.fail(f"{path}.name", f"duplicate stream name {name!r}")
            names.add(name)
            streams.append(
                Arrivals(
                    name=name,
                    channel=channel or "",
                    group=group or "",
                    rates=rates,
                    every=every,
                    start=hours[0],
                    end=hours[1],
                    count=self.optional(self.count, data.get("count"), f"{path}.count"),
                    replay=replay,
                    priority=self.integer(data.get("priority", 0), f"{path}.priority"),
                    requires=self.levels(data.get("requires", {}), f"{path}.requires"),
                    relax=tuple(
                        self.relaxation(step, f"{path}.relax[{k}]")
                        for k, step in enumerate(self.items(data.get("relax", []), f"{path}.relax"))
                    ),
                    customers=self.optional(self.count, data.get("customers"), f"{path}.customers"),
                    handle=self.distribution(
                        data.get("handle", {"kind": "exponential", "mean": 300}), f"{path}.handle"
                    ),
                    patience=self.optional(
                        self.distribution, data.get("patience"), f"{path}.patience"
                    ),
                    first_response=self.optional(
                        self.distribution, data.get("first_response"), f"{path}.first_response"
                    ),
                    quiet=self.optional(self.quiet, data.get("quiet"), f"{path}.quiet"),
                )
            )
        return tuple(streams)

    def relaxation(self, value: Any, path: str) -> Relaxation:
        data = self.table(value, path, ("after",), ("requires",))
        return self.build(
            Relaxation,
            path,
            after=self.seconds(data["after"], f"{path}.after"),
            requires=self.levels(data.get("requires", {}), f"{path}.requires"),
        )

    def quiet(self, value: Any, path: str) -> Quiet:
        data = self.table(value, path, ("probability", "after", "lasts"))
        return Quiet(
            probability=self.probability(data["probability"], f"{path}.probability"),
            after=self.distribution(data["after"], f"{path}.after"),
            lasts=self.distribution(data["lasts"], f"{path}.lasts"),
        )


def _time_of_day(text: str) -> float:
    """A CSV time: seconds, or a time of day."""
    return parse_seconds(text, clock=True)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
