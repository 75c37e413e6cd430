"""The figure of a simulation: written in the format its suffix names, with a line
per channel, without touching pyplot's global state, and a clear error when
matplotlib is missing.

The scenario: two hours from 08:00 in 15-minute intervals, chat all along and voice
with a lull from 08:30 to 09:30 (no voice contact there: gaps in its service
level), three operators who cannot keep up with every burst.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from array import array
from pathlib import Path
from typing import Any

import attrs
import pytest

from omniroute.errors import OmnirouteError
from omniroute.sim import Results, Scenario, replicate
from omniroute.sim import plot as plotting
from omniroute.sim.plot import plot

matplotlib = pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INSTALL = "pip install 'omniroute[plot]'"


def day(operators: int = 3) -> Scenario:
    data: dict[str, Any] = {
        "scenario": {
            "name": "two channels",
            "start": "08:00",
            "duration": "2h",
            "interval": "15m",
            "sample": "5m",
        },
        "metrics": {"thresholds": {"chat": 60, "voice": 20}},
        "groups": [{"id": "help"}],
        "operators": [
            {"id": "op", "count": operators, "groups": ["help"], "capacity": {"total": 2}}
        ],
        "arrivals": [
            {
                "channel": "chat",
                "group": "help",
                "per_hour": 40,
                "handle": {"kind": "exponential", "mean": 300},
                "patience": {"kind": "exponential", "mean": 300},
            },
            {
                "channel": "voice",
                "group": "help",
                "per_hour": [30, 0, 0, 30],
                "every": "30m",
                "handle": {"kind": "exponential", "mean": 240},
            },
        ],
    }
    return Scenario.from_dict(data)


@pytest.fixture(scope="module")
def results() -> Results:
    return replicate(day(), 3, seed=1)


def svg(results: Results, tmp_path: Path) -> str:
    path = tmp_path / "day.svg"
    plot(results, path)
    return path.read_text(encoding="utf-8")


def labels(text: str) -> set[str]:
    """The texts drawn in an SVG: matplotlib draws glyphs as paths and names each
    text in a comment before them."""
    return set(re.findall(r"<!-- (.*?) -->", text))


def test_png_leaves_pyplot_alone(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    # copy() reads the raw values: asking for the backend could import pyplot to resolve it.
    settings = matplotlib.rcParams.copy()
    path = tmp_path / "day.png"
    plot(results, path, title="A day")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size > 10_000
    assert "matplotlib.pyplot" not in sys.modules
    assert matplotlib.rcParams.copy() == settings


def test_svg_has_every_line_in_its_legends(results: Results, tmp_path: Path) -> None:
    voice = [row["channels"].get("voice") for run in results.runs for row in run.intervals]
    assert None in voice  # the lull: the service-level line must survive its gaps
    drawn = labels(svg(results, tmp_path))
    assert {"chat", "voice", "total"} <= drawn  # the queue panel's legend
    assert {"chat (answered within 60 s)", "voice (answered within 20 s)"} <= drawn
    assert any(re.fullmatch(r"\d+ of \d+ waited", text) for text in drawn)
    assert any(re.fullmatch(r"\d+ % answered at once", text) for text in drawn)
    assert {"08:00", "09:00", "10:00"} <= drawn  # times of day on the x axes
    assert "two channels: 3 runs" in drawn
    assert any(text.endswith("shaded: 95 % confidence interval") for text in drawn)


def test_without_matplotlib(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Submodules too: a cached one would be imported without its package.
    for name in [name for name in sys.modules if name.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    # The module must also import without matplotlib: run it afresh, unregistered.
    spec = importlib.util.find_spec("omniroute.sim.plot")
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    path = tmp_path / "day.png"
    for module in (plotting, fresh):
        with pytest.raises(module.PlotUnavailable, match=re.escape(INSTALL)) as caught:
            module.plot(results, path)
        assert isinstance(caught.value, OmnirouteError)
        assert isinstance(caught.value, ImportError)
        assert not path.exists()


def test_nobody_waits(tmp_path: Path) -> None:
    results = replicate(day(operators=30), 2, seed=1)
    assert len(results.waits()) > 0
    assert not any(results.waits())
    drawn = labels(svg(results, tmp_path))
    assert "everyone answered at once" in drawn
    assert not any(text.endswith(" waited") for text in drawn)


def test_one_run(tmp_path: Path) -> None:
    drawn = labels(svg(replicate(day(), 1, seed=2), tmp_path))
    assert {"chat", "voice", "two channels: 1 run"} <= drawn
    assert not any("confidence interval" in text for text in drawn)


def test_nothing_to_draw(results: Results, tmp_path: Path) -> None:
    empty = attrs.evolve(
        results,
        runs=tuple(
            attrs.evolve(run, queue=(), intervals=(), waits=array("d")) for run in results.runs
        ),
    )
    drawn = labels(svg(empty, tmp_path))
    assert {"no queue samples", "no report interval", "nobody was answered"} <= drawn
