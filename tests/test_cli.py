"""The ``omniroute`` command, called in-process through :func:`omniroute.cli.main`:
what it prints, the files it writes, and its exit status (0 done, 1 an unusable
scenario or numbers, 2 bad arguments, 3 a plot without matplotlib) — scripts and CI
jobs rely on all three. One test runs the installed console script itself.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omniroute.cli import main
from omniroute.errors import StaffingError
from omniroute.sim import SCHEMA, Scenario
from omniroute.staffing import required_agents
from tests.test_scenario import Data, day, fixed, operator, scenario, stream

RUN_KEYS = {
    "seed", "end", "happenings", "customers", "unfinished", "overall", "channels", "groups",
    "operators", "estimates", "intervals", "queue",
}  # fmt: skip
FIGURE_KEYS = {"mean", "low", "high", "stdev", "n"}
STAFFING = ["staffing", "--per-hour", "200", "--handle", "180", "--target", "0.8", "--within", "20"]


def toml_value(value: Any) -> str:
    """``value`` as TOML: tables inline, strings as JSON writes them (the same escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"no TOML for {value!r}")


def write_scenario(path: Path, data: Data) -> Path:
    path.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in data.items()), "utf-8")
    return path


def small() -> Data:
    """Half an hour's worth of chats over an hour, two operators: a run of
    milliseconds with a queue now and then."""
    return scenario(
        day_=day(interval="30m", seed=3),
        operators=[operator(count=2)],
        arrivals=[stream(per_hour=30, handle=fixed(120))],
    )


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "small.toml", small())


def status(*argv: Any) -> int:
    """The exit status, whether ``main`` returns it or argparse exits with it."""
    try:
        return main([str(arg) for arg in argv])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_toml_writer_round_trips() -> None:
    """The scenarios these tests write are the builders' scenarios."""
    text = "".join(f"{k} = {toml_value(v)}\n" for k, v in small().items())
    assert Scenario.from_toml(text) == Scenario.from_dict(small())


# -- simulate ------------------------------------------------------------------------


def test_simulate_prints_the_report(small_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(small_file), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "test — 1 replication, seed 3"
    assert re.match(
        r"chat\s+60s\s+\d+\s+\d+\s+0\s+\d+\.\d%",
        next(line for line in lines if line.startswith("chat")),
    )
    assert any(line.startswith("all ") for line in lines)
    # The column headed "service / level", its two words stacked.
    top = next(i for i, line in enumerate(lines) if "service" in line)
    assert lines[top + 1][lines[top].index("service") :].lstrip().startswith("level")
    assert [line[:8] for line in lines if re.match(r"\d\d:\d\d:\d\d +\d", line)] == [
        "00:00:00",
        "00:30:00",
    ]


def test_json_file_has_every_part(
    small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "out.json"
    assert main(["simulate", str(small_file), "--json", str(out_file)]) == 0
    assert "service" in capsys.readouterr().out  # the report as well
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert {"schema", "scenario", "seed", "replications", "confidence", "summary",
            "intervals", "runs"} <= set(data)  # fmt: skip
    assert (data["schema"], data["seed"], data["replications"]) == (SCHEMA, 3, 1)
    assert data["scenario"]["name"] == "test"
    assert data["scenario"]["source"] == str(small_file)
    (run,) = data["runs"]
    assert set(run) == RUN_KEYS
    assert run["customers"] == data["summary"]["customers"]["mean"] > 0


def test_json_to_standard_output(small_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'-' prints the JSON alone, so it can be piped into a parser."""
    assert main(["simulate", str(small_file), "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == SCHEMA
    assert set(data["runs"][0]) == RUN_KEYS


def test_same_seed_same_bytes(
    small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {name: tmp_path / f"{name}.json" for name in ("a", "b", "c")}
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        assert main(["simulate", str(small_file), "-s", str(seed), "--json", str(files[name])]) == 0
    assert files["a"].read_bytes() == files["b"].read_bytes()
    assert files["a"].read_bytes() != files["c"].read_bytes()
    assert json.loads(files["c"].read_bytes())["seed"] == 5


def test_replications_give_confidence_intervals(
    small_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", str(small_file), "-n", "3", "-s", "8", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["replications"] == 3
    assert [run["seed"] for run in data["runs"]] == [8, 9, 10]
    for figure in (data["summary"]["customers"], data["summary"]["overall"]["offered"]):
        assert set(figure) == FIGURE_KEYS
        assert figure["n"] == 3
    assert main(["simulate", str(small_file), "-n", "3"]) == 0
    report = capsys.readouterr().out
    assert "3 replications, seed 3, 95% confidence intervals" in report
    assert "±" in report


def test_bad_scenario_exits_1_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small()
    data["arrivals"] = [stream(per_hour=-5)]
    bad = write_scenario(tmp_path / "bad.toml", data)
    out_file = tmp_path / "out.json"
    assert main(["simulate", str(bad), "--json", str(out_file)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"omniroute: {bad}: arrivals[0].per_hour: expected a number >= 0")
    assert not out_file.exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [(None, "cannot read the scenario"), ("[scenario\n", "not valid TOML")],
    ids=["missing", "not-toml"],
)
def test_unreadable_scenario_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, problem: str
) -> None:
    path = tmp_path / "day.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert main(["simulate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"omniroute: {path}: {problem}")


@pytest.mark.parametrize(
    "args",
    [["-n", "0"], ["--confidence", "2"], ["--confidence", "0"], ["-n", "x"], ["--seed", "1.5"]],
    ids=["zero-replications", "confidence-2", "confidence-0", "replications-text", "seed-float"],
)
def test_bad_simulate_arguments_exit_2(
    small_file: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert status("simulate", small_file, *args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err  # says why


@pytest.mark.parametrize(
    "argv",
    [[], ["simulat", "x.toml"], ["simulate"], ["staffing", "--per-hour", "5"]],
    ids=["nothing", "unknown-command", "no-file", "missing-options"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "usage: omniroute" in capsys.readouterr().err


def test_plot_without_matplotlib_exits_3_before_running(
    small_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    find_spec = importlib.util.find_spec

    def without_matplotlib(name: str, *args: Any) -> Any:
        return None if name == "matplotlib" else find_spec(name, *args)

    def no_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the simulation ran")

    monkeypatch.setattr("omniroute.cli.importlib.util.find_spec", without_matplotlib)
    monkeypatch.setattr("omniroute.cli.replicate", no_run)
    png = tmp_path / "day.png"
    assert main(["simulate", str(small_file), "--plot", str(png)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "pip install 'omniroute[plot]'" in err
    assert not png.exists()


def test_progress_bar_on_request_only(small_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(small_file), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "\r[" in err
    assert "100%" in err
    assert main(["simulate", str(small_file), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_unwritable_json_path_is_an_error_message(
    small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "out.json"
    assert main(["simulate", str(small_file), "--json", str(target)]) == 1
    assert "no-such-folder" in capsys.readouterr().err


# -- staffing -------------------------------------------------------------------------


def staffing_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main([*STAFFING, *extra, "--json"]) == 0
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return answer


def test_staffing_prints_the_erlang_c_answer(capsys: pytest.CaptureFixture[str]) -> None:
    agents = required_agents(200 / 3600, 180, 0.8, 20)
    assert main(STAFFING) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{agents} operators for 200 contacts an hour of 3m00s each")
    assert "(Erlang C)" in out


def test_staffing_json(capsys: pytest.CaptureFixture[str]) -> None:
    answer = staffing_json(capsys)
    assert {
        "agents", "servers", "load_erlangs", "model", "service_level", "probability_of_waiting",
        "average_speed_of_answer", "occupancy",
    } <= set(answer)  # fmt: skip
    assert answer["agents"] == answer["servers"] == required_agents(200 / 3600, 180, 0.8, 20)
    assert answer["model"] == "erlang_c"
    assert answer["load_erlangs"] == pytest.approx(10)
    assert answer["service_level"] >= 0.8


def test_staffing_with_patience_uses_erlang_a(capsys: pytest.CaptureFixture[str]) -> None:
    answer = staffing_json(capsys, "--patience", "60")
    assert answer["model"] == "erlang_a"
    assert answer["agents"] == required_agents(200 / 3600, 180, 0.8, 20, patience=60)
    assert 0 < answer["abandonment"] < 1
    assert answer["service_level"] >= 0.8


def test_staffing_with_concurrency(capsys: pytest.CaptureFixture[str]) -> None:
    answer = staffing_json(capsys, "--concurrency", "3")
    agents = required_agents(200 / 3600, 180, 0.8, 20, concurrency=3)
    assert (answer["agents"], answer["servers"]) == (agents, 3 * agents)


@pytest.mark.parametrize(("handle", "within"), [("3m", "20s"), ("180s", "20"), ("0h3m", "0m20s")])
def test_staffing_durations_with_units(
    capsys: pytest.CaptureFixture[str], handle: str, within: str
) -> None:
    assert main(STAFFING) == 0
    plain = capsys.readouterr().out
    args = ["staffing", "--per-hour", "200", "--handle", handle, "--target", "0.8"]
    assert main([*args, "--within", within]) == 0
    assert capsys.readouterr().out == plain


@pytest.mark.parametrize(
    ("option", "value", "call"),
    [
        ("--target", "1.5", {"target_service_level": 1.5}),
        ("--concurrency", "0", {"concurrency": 0}),
    ],
)
def test_staffing_bad_numbers_exit_1(
    capsys: pytest.CaptureFixture[str], option: str, value: str, call: dict[str, Any]
) -> None:
    """The message is the staffing module's own."""
    given: dict[str, Any] = {
        "arrival_rate": 200 / 3600, "handle_time": 180, "target_service_level": 0.8,
        "threshold": 20,
    } | call  # fmt: skip
    with pytest.raises(StaffingError) as expected:
        required_agents(**given)
    argv = [*STAFFING]
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"omniroute: {expected.value}\n"


@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_staffing_a_bad_rate_is_named_as_typed(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """Not the per-second rate the staffing module is given."""
    argv = [*STAFFING]
    argv[argv.index("--per-hour") + 1] = value
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"omniroute: --per-hour must be a finite number >= 0, got {value}\n")


def test_a_scenario_that_is_not_utf8_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[scenario]\nname = "caf\xe9"\n')
    assert main(["simulate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"omniroute: {path}: line 2: not UTF-8 (byte 0xe9); TOML files are UTF-8\n"


def test_staffing_bad_duration_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["staffing", "--per-hour", "200", "--handle", "3 minutes", "--target", "0.8",
              "--within", "20"])  # fmt: skip
    assert caught.value.code == 2
    assert "argument --handle: expected seconds" in capsys.readouterr().err


def test_staffing_for_no_contacts_with_patience(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["staffing", "--per-hour", "0", "--handle", "180", "--target", "0.8",
            "--within", "20"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("0 operators")
    assert main([*argv, "--patience", "60"]) == 0
    assert capsys.readouterr().out.startswith("0 operators")


# -- the installed command --------------------------------------------------------------


def test_console_script_runs() -> None:
    """The ``omniroute`` entry point is installed next to this Python and starts."""
    script = shutil.which("omniroute", path=str(Path(sys.executable).parent))
    assert script is not None, "omniroute is not installed in this environment"
    done = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "usage: omniroute" in done.stdout
    assert "simulate" in done.stdout
    assert "staffing" in done.stdout
