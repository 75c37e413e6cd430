"""Scenarios: every bad input is refused before anything runs, with a message that
names the file, the key's path and the problem (so a user can fix a long TOML file
without guessing), and good inputs read as docs/reference says.

The builders here (:func:`day`, :func:`group`, :func:`operator`, :func:`stream`,
:func:`scenario`) make the smallest valid scenario, one field changed at a time;
``tests/test_sim.py`` and ``tests/test_cli.py`` build on them too.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from omniroute import ScenarioError
from omniroute.sim import Empirical, Exponential, Fixed, Scenario
from omniroute.sim.scenario import parse_seconds
from omniroute.stats import DEFAULT_THRESHOLDS
from omniroute.strategies import BUILT_IN_STRATEGIES

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "scenarios" / "bank.toml"

Data = dict[str, Any]

# -- builders ---------------------------------------------------------------------


def day(**fields: Any) -> Data:
    """The ``[scenario]`` table: one hour from midnight unless ``end`` is given."""
    base: Data = {"name": "test"} if "end" in fields else {"name": "test", "duration": "1h"}
    return base | fields


def group(gid: str = "help", **fields: Any) -> Data:
    """A ``[[groups]]`` table."""
    return {"id": gid, **fields}


def operator(oid: str = "op", groups: Sequence[str] = ("help",), **fields: Any) -> Data:
    """An ``[[operators]]`` table: one operator of ``help`` by default."""
    return {"id": oid, "groups": list(groups), **fields}


def stream(**fields: Any) -> Data:
    """An ``[[arrivals]]`` table: chats to ``help``, 60 an hour (unless replayed),
    each handled in exactly one minute, so figures are predictable."""
    base: Data = {"channel": "chat", "group": "help", "handle": fixed(60)}
    if "replay" not in fields:
        base["per_hour"] = 60
    return base | fields


def fixed(seconds: float) -> Data:
    """A distribution that always gives ``seconds``."""
    return {"kind": "fixed", "value": seconds}


def scenario(
    *,
    day_: Data | None = None,
    groups: list[Data] | None = None,
    operators: list[Data] | None = None,
    arrivals: list[Data] | None = None,
    **top: Any,
) -> Data:
    """A whole scenario: one group, one operator, one stream unless told otherwise."""
    return {
        "scenario": day() if day_ is None else day_,
        "groups": [group()] if groups is None else groups,
        "operators": [operator()] if operators is None else operators,
        "arrivals": [stream()] if arrivals is None else arrivals,
        **top,
    }


def without(table: Data, *keys: str) -> Data:
    """``table`` with ``keys`` left out: for "missing" errors."""
    return {key: value for key, value in table.items() if key not in keys}


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refused(data: Data, *, source: str = "bad.toml", base: Path | None = None) -> str:
    """The message of the ScenarioError ``data`` raises."""
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_dict(data, source=source, base=base)
    return str(caught.value)


# -- bad inputs -----------------------------------------------------------------------

QUIET = {"probability": 0.5, "after": fixed(10), "lasts": fixed(10)}

BAD = [
    pytest.param(
        scenario(arrival=[]),
        "arrival",
        ["unknown key", "did you mean 'arrivals'?"],
        id="top-level-typo-suggests",
    ),
    pytest.param(
        scenario(zzz=1),
        "zzz",
        ["unknown key", "expected ['scenario', 'metrics'"],
        id="top-level-unknown-lists-keys",
    ),
    pytest.param(
        scenario(day_=day(nmae="x")),
        "scenario.nmae",
        ["unknown key", "did you mean 'name'?"],
        id="scenario-key-typo",
    ),
    pytest.param(without(scenario(), "scenario"), "scenario", ["missing"], id="no-scenario"),
    pytest.param(scenario(day_=without(day(), "name")), "scenario.name", ["missing"], id="no-name"),
    pytest.param(
        scenario(day_=day(name="")), "scenario.name", ["non-empty string"], id="empty-name"
    ),
    pytest.param(
        scenario(day_=day(end="02:00", duration="1h")),
        "scenario",
        ["either end or duration"],
        id="end-and-duration",
    ),
    pytest.param(
        scenario(day_=day(start="10:00", end="09:00")),
        "scenario.end",
        ["'09:00'", "not after start"],
        id="end-before-start",
    ),
    pytest.param(
        scenario(day_=day(start="10:00", end="10:00")),
        "scenario.end",
        ["not after start"],
        id="end-at-start",
    ),
    pytest.param(
        scenario(day_=day(warmup="1h")),
        "scenario.warmup",
        ["shorter than the scenario"],
        id="warmup-equals-duration",
    ),
    pytest.param(
        scenario(day_=day(warmup="2h")),
        "scenario.warmup",
        ["shorter than the scenario"],
        id="warmup-longer",
    ),
    pytest.param(scenario(day_=day(duration=0)), "scenario.duration", ["> 0"], id="zero-duration"),
    pytest.param(
        scenario(day_=day(interval="0s")), "scenario.interval", ["> 0"], id="zero-interval"
    ),
    pytest.param(
        scenario(day_=day(replications=0)),
        "scenario.replications",
        ["integer >= 1"],
        id="zero-replications",
    ),
    pytest.param(
        scenario(day_=day(seed="x")), "scenario.seed", ["expected an integer"], id="seed-text"
    ),
    pytest.param(
        scenario(day_=day(drain="no")),
        "scenario.drain",
        ["expected a boolean"],
        id="drain-text",
    ),
    pytest.param(
        scenario(day_=day(duration="5 minutes")),
        "scenario.duration",
        ["got '5 minutes'", '"1h30m"'],
        id="duration-text",
    ),
    pytest.param(
        scenario(day_=day(start="25:99")),
        "scenario.start",
        ["got '25:99'", '"08:30"'],
        id="clock-minutes-99",
    ),
    pytest.param(
        scenario(day_=day(warmup=-1)),
        "scenario.warmup",
        ["seconds >= 0", "-1"],
        id="negative-seconds",
    ),
    pytest.param(
        scenario(groups=[group(strategy="random")]),
        "groups[0].strategy",
        ["unknown strategy 'random'", str(sorted(BUILT_IN_STRATEGIES))],
        id="unknown-strategy",
    ),
    pytest.param(
        scenario(groups=[group(discipline="random")]),
        "groups[0].discipline",
        ["unknown discipline 'random'", "['fifo', 'lifo']"],
        id="unknown-discipline",
    ),
    pytest.param(
        scenario(groups=[group(overflow={"to": "nowhere", "after": 60})]),
        "groups[0].overflow.to",
        ["unknown group 'nowhere'", "groups: ['help']"],
        id="overflow-to-unknown-group",
    ),
    pytest.param(
        scenario(groups=[group(overflow={"to": "help"})]),
        "groups[0].overflow",
        ["give a trigger"],
        id="overflow-without-trigger",
    ),
    pytest.param(
        scenario(groups=[group(), group()]),
        "groups[1].id",
        ["duplicate group 'help'"],
        id="duplicate-group",
    ),
    pytest.param(
        scenario(groups=[group(release_held_after={"messenger": -1})]),
        "groups[0].release_held_after.messenger",
        ["seconds >= 0"],
        id="release-negative",
    ),
    pytest.param(
        scenario(operators=[operator(), operator("other", groups=["nope"])]),
        "operators[1].groups[0]",
        ["unknown group 'nope'", "groups: ['help']"],
        id="operator-in-unknown-group",
    ),
    pytest.param(
        scenario(operators=[operator(), operator()]),
        "operators[1].id",
        ["operator 'op' is also made by operators[0]"],
        id="duplicate-operator",
    ),
    pytest.param(
        scenario(operators=[operator("agent", count=3), operator("agent-2")]),
        "operators[1].id",
        ["operator 'agent-2' is also made by operators[0]"],
        id="duplicate-operator-via-count",
    ),
    pytest.param(
        scenario(operators=[operator(groups=[])]),
        "operators[0].groups",
        ["empty: the operator would never work"],
        id="operator-in-no-group",
    ),
    pytest.param(
        scenario(operators=[operator(count=0)]),
        "operators[0].count",
        ["integer >= 1"],
        id="zero-count",
    ),
    pytest.param(
        scenario(operators=[operator(capacity={"total": 0})]),
        "operators[0].capacity",
        ["total"],
        id="zero-capacity",
    ),
    pytest.param(
        scenario() | {"operators": {"id": "op"}},
        "operators",
        ["expected a list"],
        id="operators-not-a-list",
    ),
    pytest.param(
        scenario(operators=[operator(shift=["17:00", "08:00"])]),
        "operators[0].shift",
        ["ends ('08:00') before it starts ('17:00')"],
        id="shift-ends-before-start",
    ),
    pytest.param(
        scenario(operators=[operator(shift=["08:00"])]),
        "operators[0].shift",
        ["expected [from, until]"],
        id="shift-one-time",
    ),
    pytest.param(
        scenario(operators=[operator(shift=["08:00", "12:75"])]),
        "operators[0].shift[1]",
        ["got '12:75'"],
        id="shift-bad-clock",
    ),
    pytest.param(
        scenario(operators=[operator(shift=["08:00", "12:00"], breaks=[["11:30", "12:30"]])]),
        "operators[0].breaks[0]",
        ["not within the shift"],
        id="break-after-shift",
    ),
    pytest.param(
        scenario(
            operators=[
                operator(shift=["08:00", "12:00"], breaks=[["09:00", "09:15"], ["07:30", "08:15"]])
            ]
        ),
        "operators[0].breaks[1]",
        ["not within the shift"],
        id="break-before-shift",
    ),
    pytest.param(
        scenario(operators=[operator(reject=1.5)]),
        "operators[0].reject",
        ["probability from 0 to 1", "1.5"],
        id="probability-over-one",
    ),
    pytest.param(
        scenario(operators=[operator(accept={"kind": "fixed"})]),
        "operators[0].accept.value",
        ["missing"],
        id="accept-missing-value",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=-5)]),
        "arrivals[0].per_hour",
        ["expected a number >= 0", "-5"],
        id="negative-rate",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=[10, 20, -3, 5])]),
        "arrivals[0].per_hour[2]",
        ["expected a number >= 0", "-3"],
        id="negative-rate-in-list",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour="lots")]),
        "arrivals[0].per_hour",
        ["expected a number"],
        id="rate-text",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=True)]),
        "arrivals[0].per_hour",
        ["expected a number, got a boolean"],
        id="rate-boolean",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=math.nan)]),
        "arrivals[0].per_hour",
        ["finite"],
        id="rate-nan",
    ),
    pytest.param(
        scenario(arrivals=[stream(name="a"), stream(name="b", per_hour=-1)]),
        "arrivals[1].per_hour",
        [">= 0"],
        id="second-stream-indexed",
    ),
    pytest.param(
        scenario(arrivals=[stream(every="15m")]),
        "arrivals[0].every",
        ["only for a list of rates"],
        id="every-without-list",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=[1, 2], every=0)]),
        "arrivals[0].every",
        ["> 0"],
        id="every-zero",
    ),
    pytest.param(
        scenario(arrivals=[stream(hours=["10:00", "09:00"])]),
        "arrivals[0].hours",
        ["before it starts"],
        id="hours-reversed",
    ),
    pytest.param(
        scenario(arrivals=[without(stream(), "per_hour")]),
        "arrivals[0]",
        ["either per_hour", "or replay"],
        id="neither-rate-nor-replay",
    ),
    pytest.param(
        scenario(arrivals=[stream(per_hour=5, replay="day.csv")]),
        "arrivals[0]",
        ["either per_hour", "or replay"],
        id="both-rate-and-replay",
    ),
    pytest.param(
        scenario(arrivals=[without(stream(), "channel")]),
        "arrivals[0].channel",
        ["missing"],
        id="no-channel",
    ),
    pytest.param(
        scenario(arrivals=[without(stream(), "group")]),
        "arrivals[0].group",
        ["missing"],
        id="no-group",
    ),
    pytest.param(
        scenario(arrivals=[stream(group="nope")]),
        "arrivals[0].group",
        ["unknown group 'nope'"],
        id="stream-unknown-group",
    ),
    pytest.param(
        scenario(arrivals=[stream(name="a"), stream(name="a")]),
        "arrivals[1].name",
        ["duplicate stream name 'a'"],
        id="duplicate-stream",
    ),
    pytest.param(scenario(arrivals=[]), "arrivals", ["no customers"], id="no-arrivals"),
    pytest.param(
        scenario(arrivals=[stream(requires={"cards": -1})]),
        "arrivals[0].requires.cards",
        ["integer >= 0"],
        id="negative-skill",
    ),
    pytest.param(
        scenario(arrivals=[stream(relax=[{"requires": {}}])]),
        "arrivals[0].relax[0].after",
        ["missing"],
        id="relax-without-after",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "gamma", "mean": 3})]),
        "arrivals[0].handle.kind",
        [
            "unknown distribution 'gamma'",
            "['empirical', 'exponential', 'fixed', 'lognormal', 'uniform']",
        ],
        id="unknown-distribution",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"mean": 3})]),
        "arrivals[0].handle.kind",
        ["missing"],
        id="distribution-without-kind",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "lognormal", "mean": 300})]),
        "arrivals[0].handle.sd",
        ["missing"],
        id="lognormal-without-sd",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "fixed", "value": 1, "mean": 3})]),
        "arrivals[0].handle.mean",
        ["unknown key"],
        id="parameter-of-another-kind",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "lognormal", "mean": 300, "sd": -1})]),
        "arrivals[0].handle.sd",
        ["seconds >= 0", "-1"],
        id="lognormal-negative-sd",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "exponential", "mean": 0})]),
        "arrivals[0].handle",
        ["mean must be a finite number > 0"],
        id="exponential-zero-mean",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "uniform", "low": 5, "high": 1})]),
        "arrivals[0].handle",
        ["below low"],
        id="uniform-reversed",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "empirical", "values": []})]),
        "arrivals[0].handle",
        ["must not be empty"],
        id="empirical-empty",
    ),
    pytest.param(
        scenario(arrivals=[stream(handle={"kind": "empirical", "values": [1, "x"]})]),
        "arrivals[0].handle.values[1]",
        ["got 'x'"],
        id="empirical-bad-value",
    ),
    pytest.param(
        scenario(arrivals=[stream(patience=fixed(-1))]),
        "arrivals[0].patience.value",
        ["seconds >= 0"],
        id="negative-patience",
    ),
    pytest.param(
        scenario(arrivals=[stream(quiet=QUIET | {"probability": 2})]),
        "arrivals[0].quiet.probability",
        ["probability from 0 to 1"],
        id="quiet-probability",
    ),
    pytest.param(
        scenario(arrivals=[stream(quiet=without(QUIET, "lasts"))]),
        "arrivals[0].quiet.lasts",
        ["missing"],
        id="quiet-without-lasts",
    ),
    pytest.param(
        scenario(metrics={"formula": "best"}),
        "metrics.formula",
        ["unknown formula 'best'", "'offered'"],
        id="unknown-formula",
    ),
    pytest.param(
        scenario(metrics={"thresholds": {"chat": -1}}),
        "metrics.thresholds.chat",
        ["seconds >= 0"],
        id="negative-threshold",
    ),
]


@pytest.mark.parametrize(("data", "where", "reason"), BAD)
def test_bad_input_names_key_path_and_problem(data: Data, where: str, reason: list[str]) -> None:
    """The message starts with the source and the exact key path, then says why."""
    message = refused(data)
    assert message.startswith(f"bad.toml: {where}: "), message
    for part in reason:
        assert part in message, message


def test_replay_file_missing(tmp_path: Path) -> None:
    message = refused(scenario(arrivals=[stream(replay="nope.csv")]), base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].replay: cannot read "), message
    assert "nope.csv" in message
    assert "No such file" in message


def test_replay_file_without_time_column(tmp_path: Path) -> None:
    write_csv(tmp_path / "day.csv", "when,channel", "10,chat")
    message = refused(scenario(arrivals=[stream(replay="day.csv")]), base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].replay: "), message
    assert "day.csv has no column 'time'" in message


def test_replay_file_with_unknown_column(tmp_path: Path) -> None:
    write_csv(tmp_path / "day.csv", "time,mood", "10,happy")
    message = refused(scenario(arrivals=[stream(replay="day.csv")]), base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].replay: "), message
    assert "unknown column(s) ['mood']" in message


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        pytest.param("20,abc", "handle", "'abc'", id="text"),
        pytest.param("20,-3", "handle", "'-3'", id="negative"),
        pytest.param("20,nan", "handle", "'nan'", id="nan"),
        pytest.param("25:99,5", "time", "'25:99'", id="bad-clock"),
    ],
)
def test_replay_bad_cell_names_file_line_and_column(
    tmp_path: Path, row: str, column: str, text: str
) -> None:
    """Line 3: the header is line 1, and the good row before it line 2."""
    csv = write_csv(tmp_path / "day.csv", "time,handle", "10,60", row)
    message = refused(scenario(arrivals=[stream(replay="day.csv")]), base=tmp_path)
    assert str(csv) in message
    assert f"line 3, column '{column}'" in message
    assert text in message


def test_replay_row_without_time(tmp_path: Path) -> None:
    write_csv(tmp_path / "day.csv", "time,handle", "10,60", ",60")
    message = refused(scenario(arrivals=[stream(replay="day.csv")]), base=tmp_path)
    assert "line 3, column 'time': missing" in message


def test_replay_rows_must_give_channel_the_stream_lacks(tmp_path: Path) -> None:
    """A stream may leave the channel to its rows, but then every row needs one."""
    write_csv(tmp_path / "day.csv", "time,channel", "10,chat", "20,")
    data = scenario(arrivals=[without(stream(replay="day.csv"), "channel")])
    message = refused(data, base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].channel: missing"), message


def test_replay_row_in_unknown_group(tmp_path: Path) -> None:
    write_csv(tmp_path / "day.csv", "time,group", "10,help", "20,sales")
    message = refused(scenario(arrivals=[stream(replay="day.csv")]), base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].replay (time 20): unknown group 'sales'")


def test_empirical_csv_without_the_column(tmp_path: Path) -> None:
    write_csv(tmp_path / "handles.csv", "seconds", "30")
    handle = {"kind": "empirical", "csv": "handles.csv", "column": "minutes"}
    message = refused(scenario(arrivals=[stream(handle=handle)]), base=tmp_path)
    assert message.startswith("bad.toml: arrivals[0].handle.column: "), message
    assert "no column 'minutes'" in message


def test_empirical_csv_with_a_blank_cell(tmp_path: Path) -> None:
    """A blank value among others is refused like any bad value, naming file, line
    and column (it once reached Empirical's float() as None: a TypeError)."""
    csv = write_csv(tmp_path / "handles.csv", "seconds,agent", "30,a", ",b")
    handle = {"kind": "empirical", "csv": "handles.csv"}
    message = refused(scenario(arrivals=[stream(handle=handle)]), base=tmp_path)
    assert message == f"{csv}: line 3, column 'seconds': missing"


def test_invalid_toml() -> None:
    with pytest.raises(ScenarioError, match=r"^day\.toml: not valid TOML: "):
        Scenario.from_toml("[scenario\nname = 1\n", source="day.toml")


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path)
    assert str(caught.value).startswith(f"{path}: cannot read the scenario: "), caught.value


def test_loaded_file_errors_start_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "day.toml"
    path.write_text(
        '[scenario]\nname = "x"\nduration = "1h"\n[[groups]]\nid = "help"\n'
        '[[arrivals]]\nchannel = "chat"\ngroup = "help"\nper_hour = -2\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path)
    assert str(caught.value).startswith(f"{path}: arrivals[0].per_hour: "), caught.value


# -- good inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), (5400, 5400), (90.5, 90.5)],
)
def test_durations(duration: str | float, seconds: float) -> None:
    read = Scenario.from_dict(scenario(day_=day(duration=duration)))
    assert (read.start, read.end, read.duration) == (0, seconds, seconds)


def test_clock_times() -> None:
    read = Scenario.from_dict(scenario(day_=day(start="08:30", end="17:15:30", warmup="15m")))
    assert (read.start, read.end, read.warmup) == (30600, 62130, 900)


def test_defaults() -> None:
    """Unset keys take the documented defaults; an operator without a shift works
    from the start until there is no more work."""
    read = Scenario.from_dict(scenario())
    assert (read.name, read.start, read.end) == ("test", 0, 3600)
    assert (read.warmup, read.sample, read.interval) == (0, 60, 900)
    assert (read.drain, read.seed, read.replications) == (True, 1, 1)
    (plan,) = read.operators
    assert plan.shift == (0, math.inf)
    assert (plan.breaks, plan.accept, plan.reject) == ((), Fixed(0), 0)
    assert plan.operator.capacity.total == 1
    (arrivals,) = Scenario.from_dict(scenario(arrivals=[without(stream(), "handle")])).arrivals
    assert arrivals.handle == Exponential(300)
    assert (arrivals.patience, arrivals.first_response, arrivals.quiet) == (None, None, None)
    assert (arrivals.name, arrivals.priority, arrivals.customers, arrivals.count) == (
        "chat-help-0",
        0,
        None,
        None,
    )


def test_shift_starts_with_a_later_start() -> None:
    read = Scenario.from_dict(scenario(day_=day(start="08:00", end="12:00")))
    assert read.operators[0].shift == (28800, math.inf)


def test_shift_and_breaks_as_clock_times() -> None:
    data = operator(
        shift=["08:00", "16:30"],
        breaks=[["12:00", "12:45"]],
        reject=0.25,
        accept={"kind": "uniform", "low": 1, "high": 3},
    )
    (plan,) = Scenario.from_dict(scenario(operators=[data])).operators
    assert plan.shift == (28800, 59400)
    assert plan.breaks == ((43200, 45900),)
    assert plan.reject == 0.25
    assert plan.accept.mean == 2


def test_count_expands_ids() -> None:
    data = operator("agent", count=3, skills={"cards": 2}, capacity={"total": 2})
    read = Scenario.from_dict(scenario(operators=[data, operator("solo", count=1)]))
    ids = [plan.operator.id for plan in read.operators]
    assert ids == ["agent-1", "agent-2", "agent-3", "solo"]
    for plan in read.operators[:3]:
        assert plan.operator.groups == frozenset({"help"})
        assert plan.operator.skills == {"cards": 2}
        assert plan.operator.capacity.total == 2


def test_units_budget_alone_sets_no_total() -> None:
    """Capacity by units: no default limit of one conversation on top of it."""
    data = operator(capacity={"units": 3, "cost": {"chat": 1, "voice": 3}})
    (plan,) = Scenario.from_dict(scenario(operators=[data])).operators
    assert (plan.operator.capacity.total, plan.operator.capacity.units) == (None, 3)


def test_rate_list_with_every() -> None:
    (arrivals,) = Scenario.from_dict(
        scenario(arrivals=[stream(per_hour=[60, 0, 120], every="20m")])
    ).arrivals
    assert arrivals.rates == (60 / 3600, 0, 120 / 3600)
    assert (arrivals.every, arrivals.start, arrivals.end) == (1200, 0, 3600)


def test_rate_list_steps_default_to_the_interval() -> None:
    (arrivals,) = Scenario.from_dict(
        scenario(day_=day(interval="30m"), arrivals=[stream(per_hour=[60, 120])])
    ).arrivals
    assert arrivals.every == 1800


def test_one_rate_covers_the_day() -> None:
    (arrivals,) = Scenario.from_dict(scenario(arrivals=[stream(per_hour=36)])).arrivals
    assert arrivals.rates == (0.01,)
    assert (arrivals.start, arrivals.end, arrivals.every) == (0, 3600, 3600)


def test_hours() -> None:
    (arrivals,) = Scenario.from_dict(scenario(arrivals=[stream(hours=["00:15", "00:45"])])).arrivals
    assert (arrivals.start, arrivals.end, arrivals.every) == (900, 2700, 1800)


def test_metrics_thresholds_merge_with_defaults() -> None:
    read = Scenario.from_dict(
        scenario(
            day_=day(interval="30m"),
            metrics={"thresholds": {"chat": "2m", "fax": 10}, "short_abandon": 3},
        )
    )
    thresholds = read.metrics.thresholds
    assert thresholds["chat"] == 120
    assert thresholds["fax"] == 10
    assert thresholds["voice"] == DEFAULT_THRESHOLDS["voice"]
    assert set(DEFAULT_THRESHOLDS) <= set(thresholds)
    assert (read.metrics.short_abandon, read.metrics.interval) == (3, 1800)


@pytest.mark.parametrize(
    ("text", "clock", "seconds"),
    [
        ("90", False, 90),
        ("0", False, 0),
        (" 45 ", False, 45),
        ("2.5", False, 2.5),
        ("90s", False, 90),
        ("15m", False, 900),
        ("1h30m", False, 5400),
        ("1.5h", False, 5400),
        ("2d", False, 172800),
        ("08:30", True, 30600),
        ("17:45:30", True, 63930),
        ("1h", True, 3600),
        ("90", True, 90),
    ],
)
def test_parse_seconds(text: str, clock: bool, seconds: float) -> None:
    assert parse_seconds(text, clock=clock) == seconds


@pytest.mark.parametrize(
    ("text", "clock"),
    [
        ("", False),
        ("-5", False),
        ("nan", False),
        ("inf", False),
        ("5 minutes", False),
        ("1h 30m", False),
        ("h", False),
        ("08:30", False),
        ("25:99", True),
        ("08:60", True),
        ("08:30:60", True),
    ],
)
def test_parse_seconds_refuses(text: str, clock: bool) -> None:
    with pytest.raises(ValueError, match=r'expected seconds.*"1h30m"') as caught:
        parse_seconds(text, clock=clock)
    assert repr(text.strip()) in str(caught.value)
    assert ('"08:30"' in str(caught.value)) == clock


def test_load_resolves_csv_files_next_to_the_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative names are relative to the scenario file, not to where it is run."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write_csv(folder / "day.csv", "time,customer,handle", "00:10:00,ann,30", "300,bob,")
    write_csv(folder / "handles.csv", "seconds", "30", "90")
    (folder / "day.toml").write_text(
        '[scenario]\nname = "replayed"\nstart = "00:00"\nend = "01:00"\n'
        '[[groups]]\nid = "help"\n'
        '[[arrivals]]\nchannel = "chat"\ngroup = "help"\nreplay = "day.csv"\n'
        'handle = { kind = "empirical", csv = "handles.csv" }\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    read = Scenario.load(Path("scenarios") / "day.toml")
    (arrivals,) = read.arrivals
    assert arrivals.replay is not None
    # Sorted by time, clock times read as seconds, blank cells left to the stream.
    assert [(r.time, r.customer, r.handle) for r in arrivals.replay] == [
        (300, "bob", None),
        (600, "ann", 30),
    ]
    assert arrivals.handle == Empirical([30, 90])
    assert read.source == str(Path("scenarios") / "day.toml")


def test_toml_and_mapping_read_the_same() -> None:
    text = """
        [scenario]
        name = "test"
        duration = "1h"

        [[groups]]
        id = "help"

        [[operators]]
        id = "op"
        groups = ["help"]

        [[arrivals]]
        channel = "chat"
        group = "help"
        handle = { kind = "fixed", value = 60 }
        per_hour = 60
    """
    assert Scenario.from_toml(text) == Scenario.from_dict(scenario())


def test_bank_example_loads() -> None:
    """The example reads; checked against its own file so edits to it stay valid."""
    raw = tomllib.loads(BANK.read_text(encoding="utf-8"))
    read = Scenario.load(BANK)
    assert read.name == raw["scenario"]["name"]
    assert read.source == str(BANK)
    assert read.start == parse_seconds(raw["scenario"]["start"], clock=True)
    assert read.end == parse_seconds(raw["scenario"]["end"], clock=True)
    ids = [plan.operator.id for plan in read.operators]
    assert len(ids) == len(set(ids)) == sum(o.get("count", 1) for o in raw["operators"])
    assert [g.id for g in read.groups] == [g["id"] for g in raw["groups"]]
    assert [a.name for a in read.arrivals] == [a["name"] for a in raw["arrivals"]]
    for channel, threshold in raw.get("metrics", {}).get("thresholds", {}).items():
        assert read.metrics.thresholds[channel] == parse_seconds(str(threshold))


def test_groups_overflowing_to_each_other_are_refused() -> None:
    data = scenario(
        groups=[
            group("a", overflow={"to": "b", "after": 60}),
            group("b", overflow={"to": "a", "after": 60}),
        ],
        operators=[operator(groups=["a"])],
    )
    with pytest.raises(ScenarioError, match=r"groups \['a', 'b'\] overflow to each other"):
        Scenario.from_dict(data)
