"""Fuzzing the inputs users write by hand: scenario files (as TOML text, as bytes,
as data) and the command line. Whatever comes in, the answer is a scenario, a
``ScenarioError`` naming the place, or an exit status; never a raw exception."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omniroute import ScenarioError
from omniroute.cli import main
from omniroute.sim import Scenario

EXAMPLES = Path(__file__).parent.parent / "examples" / "scenarios"
BANK = tomllib.loads((EXAMPLES / "bank.toml").read_text(encoding="utf-8"))

# Values of every TOML kind, and a few no TOML file holds (None, NaN as data).
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["09:00", "25:99", "1h30m", "-5m", "1e9h", "chat", "voice", "", "x" * 300]),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``data``."""
    found = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += places(value, (*path, i))
    return found


def refused_by_name(read: Callable[[], object], prefix: str) -> None:
    """``read()`` succeeds, or raises a ScenarioError whose message starts with the
    source's name."""
    try:
        read()
    except ScenarioError as exc:
        message = str(exc)
    else:
        return
    assert message.startswith(prefix), message


def answers(data: Any) -> None:
    refused_by_name(
        lambda: Scenario.from_dict(data, source="fuzz.toml", base=EXAMPLES), "fuzz.toml"
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_edited_scenario_is_read_or_refused_by_name(draw: st.DataObject) -> None:
    data = copy.deepcopy(BANK)
    for _ in range(draw.draw(st.integers(1, 3))):
        spots = places(data)
        path = draw.draw(st.sampled_from(spots))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw.draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = draw.draw(values)
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw.draw(st.text(max_size=8))] = draw.draw(values)
        else:
            parent.append(draw.draw(values))
    answers(data)


@settings(max_examples=200)
@given(values)
def test_any_data_is_read_or_refused_by_name(data: Any) -> None:
    answers(data)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_by_name(text: str) -> None:
    refused_by_name(lambda: Scenario.from_toml(text, source="fuzz.toml"), "fuzz.toml")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_file_is_read_or_refused_by_name(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(content)
    refused_by_name(lambda: Scenario.load(path), str(path))


# Subnormal floats included: a patience of 5e-324 once made Erlang A loop for ever.
numbers = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e308", "5e-324", "abc", "", "3m"]),
    st.floats(-1e6, 1e6).map(repr),
    st.integers(-5, 500).map(str),
)
STAFFING_OPTIONS = ["--per-hour", "--handle", "--target", "--within", "--patience"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(numbers, min_size=5, max_size=5),
    extra=st.lists(st.sampled_from(["--json", "--concurrency", "2", "--max-occupancy", "0.9"])),
)
def test_staffing_arguments_give_an_exit_status(
    capsys: pytest.CaptureFixture[str], values: list[str], extra: list[str]
) -> None:
    argv = ["staffing"]
    for option, value in zip(STAFFING_OPTIONS, values, strict=True):
        argv += [option, value]
    try:
        status = main([*argv, *extra])
    except SystemExit as exc:  # argparse: a usage error
        status = exc.code
    capsys.readouterr()
    assert status in (0, 1, 2)


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate"],
        ["simulate", "missing.toml"],
        ["simulate", str(EXAMPLES / "bank.toml"), "-n", "0"],
        ["simulate", str(EXAMPLES / "bank.toml"), "--confidence", "nan"],
        ["simulate", str(EXAMPLES / "bank.toml"), "--json", "/nonexistent/dir/out.json"],
        ["simulate", str(EXAMPLES)],
        ["staffing"],
        ["nonsense"],
    ],
)
def test_a_bad_command_line_gives_an_exit_status(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert status in (1, 2)
    assert "Traceback" not in out + err
