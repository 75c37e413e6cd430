"""The per-channel report: its table shows the Metrics' figures, row by row, and
returns them as data.

The scripted scenario, on a FakeClock, one group and one operator (ann, one
conversation at a time), chat threshold 60 s and voice 20 s, short abandons under
5 s:

====  ==========================================================================
  0   v1 (voice) to ann at once; c1 and c2 (chat) wait
  3   c2 leaves: a short abandon
 30   ann finishes v1 (handled 30 s); c1 goes to her after 30 s
 40   v2 (voice) waits
 70   v2 leaves after 30 s: abandoned, after the voice threshold
100   ann replies to c1: first response 100 s after it started waiting
130   ann finishes c1 (handled 100 s); c3 (chat) to ann at once
150   c4 (chat) waits
200   the report: c4 has waited 50 s
====  ==========================================================================
"""

from __future__ import annotations

import io
import json
import math
import re

import pytest

from omniroute import (
    Capacity,
    Conversation,
    Group,
    MetricsSettings,
    Operator,
    Router,
    ServiceLevelFormula,
    Status,
)
from omniroute.metrics import Metrics
from omniroute.report import MISSING, Report, duration, report
from omniroute.testing import FakeClock


def scripted(clock: FakeClock) -> Router:
    """The Router of the module's scenario, at 200 s."""
    router = Router(clock=clock)
    router.add_group(Group("support"))
    router.add_operator(Operator("ann", groups={"support"}, capacity=Capacity(total=1)))
    router.set_status("ann", Status.ONLINE)
    steps: list[tuple[float, str, object]] = [
        (0, "submit", Conversation("v1", "voice", "support")),
        (0, "submit", Conversation("c1", "chat", "support")),
        (0, "submit", Conversation("c2", "chat", "support")),
        (3, "abandon", "c2"),
        (30, "finish", "v1"),
        (40, "submit", Conversation("v2", "voice", "support")),
        (70, "abandon", "v2"),
        (100, "responded", "c1"),
        (130, "finish", "c1"),
        (130, "submit", Conversation("c3", "chat", "support")),
        (150, "submit", Conversation("c4", "chat", "support")),
    ]
    for at, action, argument in steps:
        clock.now = at
        getattr(router, action)(argument)
    clock.now = 200
    return router


@pytest.fixture
def router() -> Router:
    return scripted(FakeClock())


def quiet(
    metrics: Metrics,
    *,
    since: float | None = None,
    now: float | None = None,
    title: str | None = None,
) -> Report:
    """The report, printed to a buffer rather than the test's output."""
    return report(metrics, since=since, now=now, title=title, file=io.StringIO())


def cells(text: str, label: str) -> list[str]:
    """The cells of the table row that starts with ``label``."""
    for line in text.splitlines():
        if line.split("  ")[0].strip() == label:
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no row {label!r} in\n{text}")


class TestTable:
    """The text: one row per channel and one for all, with the right numbers."""

    def test_each_channel_row_shows_its_figures(self, router: Router) -> None:
        """Counts, service level with the threshold, ASA, p90, longest wait, AHT,
        first response, waiting now and the longest current wait, per channel."""
        text = quiet(router.metrics).text()

        assert cells(text, "chat") == [
            "chat", "4", "2", "0 (+1)", "100.0% @60s", "15s", "0s", "30s", "1m40s",
            "1m40s", "1", "50s",
        ]  # fmt: skip
        assert cells(text, "voice") == [
            "voice", "2", "1", "1", "50.0% @20s", "0s", "0s", "30s", "30s", MISSING, "0",
            MISSING,
        ]  # fmt: skip

    def test_the_all_row_adds_up_and_names_no_threshold_when_they_differ(
        self, router: Router
    ) -> None:
        """All channels together: 3 of 4 in time; chat and voice thresholds differ,
        so the service level stands alone."""
        text = quiet(router.metrics).text()

        assert cells(text, "all") == [
            "all", "6", "3", "1 (+1)", "75.0%", "10s", "0s", "30s", "1m05s", "1m40s",
            "1", "50s",
        ]  # fmt: skip

    def test_rows_are_sorted_and_all_comes_last(self, router: Router) -> None:
        """Channels by name, then "all", each under the header."""
        lines = quiet(router.metrics).text().splitlines()
        labels = [line.split()[0] for line in lines if line.split()[:1] in (["chat"], ["voice"])]

        assert labels == ["chat", "voice"]
        header = next(i for i, line in enumerate(lines) if line.startswith("channel"))
        assert [line.split()[0] for line in lines[header + 1 :][:3]] == ["chat", "voice", "all"]

    def test_a_shared_threshold_is_named_on_the_all_row(self) -> None:
        """With one channel, "all" has its threshold."""
        clock = FakeClock()
        router = Router(clock=clock)
        router.add_group(Group("g"))
        router.add_operator(Operator("o", groups={"g"}))
        router.set_status("o", Status.ONLINE)
        router.submit(Conversation("c", "chat", "g"))

        text = quiet(router.metrics).text()

        assert cells(text, "all")[4] == "100.0% @60s"

    def test_title_period_formula_and_operators(self, router: Router) -> None:
        """The title, the period on the clock and the formula head the table; the
        operators' line follows it."""
        lines = quiet(router.metrics, title="Support team").text().splitlines()

        assert lines[0] == "Support team"
        assert (
            lines[1]
            == "00:00:00 to 00:03:20; service level: answered in time / (answered + abandoned)"
        )
        assert (
            "operators: occupancy 100.0%, utilisation 100.0%, average concurrency 1.00; "
            "online 3m20s, away 0s"
        ) in lines

    def test_times_past_the_first_day_name_the_day(self) -> None:
        """On a clock past a day (Unix time, say), times say which day."""
        clock = FakeClock(start=86400 + 3600)
        router = Router(clock=clock)
        router.add_group(Group("g"))
        router.submit(Conversation("c", "chat", "g"))
        clock.advance(90)

        lines = quiet(router.metrics).text().splitlines()

        assert lines[0].startswith("day 1 01:00:00 to day 1 01:01:30;")
        assert lines[-1].startswith("day 1 01:00:00 ")

    def test_short_abandons_are_explained_only_when_there_are_some(self, router: Router) -> None:
        """A legend says what "(+n)" means when a row shows it."""
        assert "short abandons" in quiet(router.metrics).text()
        assert "short abandons" not in quiet(Metrics()).text()

    def test_other_formulas_are_named(self, router: Router) -> None:
        """The formula line follows the settings."""
        settings = MetricsSettings(formula=ServiceLevelFormula.ANSWERED)
        router.configure(metrics=settings)

        assert "service level: answered in time / answered" in quiet(router.metrics).text()

    def test_the_interval_table(self) -> None:
        """One row per interval: its start on the clock, counts, level and ASA."""
        clock = FakeClock()
        router = Router(clock=clock)
        router.configure(metrics=MetricsSettings(interval=60))
        router.add_group(Group("g"))
        router.add_operator(Operator("o", groups={"g"}))
        router.set_status("o", Status.ONLINE)
        for at, cid in ((0, "a"), (10, "b"), (70, "c")):
            clock.now = at
            router.submit(Conversation(cid, "chat", "g"))
        clock.now = 80
        router.finish("a")  # b answered after 70 s

        lines = quiet(router.metrics).text().splitlines()
        start = lines.index(next(line for line in lines if line.startswith("interval")))

        assert [re.split(r"\s{2,}", line.strip()) for line in lines[start + 1 :]] == [
            ["00:00:00", "2", "1", "0", "100.0%", "0s"],
            ["00:01:00", "1", "1", "0", "0.0%", "1m10s"],
        ]


class TestMissingFigures:
    """None is a dash, and nothing at all still makes a table."""

    def test_none_shows_as_a_dash(self, router: Router) -> None:
        """Voice has no first response: an en dash, not 0 or None."""
        text = quiet(router.metrics).text()

        assert MISSING == "\u2013"
        assert cells(text, "voice")[9] == MISSING
        assert "None" not in text

    def test_no_traffic_prints_a_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A Router without conversations: only the "all" row, every figure a dash."""
        router = Router(clock=FakeClock())
        router.add_group(Group("g"))

        data = report(router.metrics)

        printed = capsys.readouterr().out
        assert data.channels == ()
        assert cells(printed, "all")[:9] == [
            "all",
            "0",
            "0",
            "0",
            MISSING,
            MISSING,
            MISSING,
            MISSING,
            MISSING,
        ]
        assert "occupancy \u2013" in printed

    def test_metrics_that_saw_nothing(self) -> None:
        """Metrics built apart, before any event: no period, no intervals."""
        text = quiet(Metrics()).text()

        assert text.startswith("nothing counted yet;")
        assert "interval" not in text


class TestData:
    """What report() returns and where it prints."""

    def test_returned_figures_are_the_metrics_figures(self, router: Router) -> None:
        """Each channel's row is metrics.stats(channel=...); overall, operators and
        intervals likewise."""
        metrics = router.metrics
        data = quiet(metrics)

        assert [metrics.stats(channel=c) for c in ("chat", "voice")] == list(data.channels)
        assert metrics.stats() == data.overall
        assert metrics.operator_stats() == data.operators
        assert metrics.intervals() == list(data.intervals)
        assert metrics.settings == data.settings

    def test_as_dict_is_json_ready(self, router: Router) -> None:
        """Plain data, strict JSON, every figure by name."""
        data = quiet(router.metrics, title="t").as_dict()

        decoded = json.loads(json.dumps(data, allow_nan=False))
        assert [row["channel"] for row in decoded["channels"]] == ["chat", "voice"]
        assert decoded["overall"]["service_level"] == 0.75
        assert decoded["operators"]["occupancy"] == 1.0
        assert decoded["settings"]["thresholds"]["chat"] == 60.0
        assert decoded["title"] == "t"

    def test_file_receives_the_text(
        self, router: Router, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """file= gets the table and a newline; standard output gets nothing."""
        out = io.StringIO()

        data = report(router.metrics, file=out, title="x")

        assert data.text() + "\n" == out.getvalue()
        assert str(data) == data.text()
        assert capsys.readouterr().out == ""

    def test_stdout_by_default(self, router: Router, capsys: pytest.CaptureFixture[str]) -> None:
        """Without file=, the table goes to standard output."""
        data = report(router.metrics)

        assert data.text() + "\n" == capsys.readouterr().out

    def test_now_is_passed_on(self, router: Router) -> None:
        """now= moves the live figures: c4 has waited 100 s at 250."""
        data = quiet(router.metrics, now=250.0)

        assert 250.0 == data.overall.end == data.operators.end
        assert data.channels[0].longest_current_wait == 100.0

    def test_one_now_for_every_figure_on_a_moving_clock(self) -> None:
        """A clock that moves at every read: every row still ends at the same time."""
        ticks = iter(range(1000))
        router = Router(clock=lambda: float(next(ticks)))
        router.add_group(Group("g"))
        router.add_operator(Operator("o", groups={"g"}))
        router.set_status("o", Status.ONLINE)
        router.submit(Conversation("c", "chat", "g"))
        router.submit(Conversation("v", "voice", "g"))

        data = quiet(router.metrics)

        ends = {stats.end for stats in data.channels} | {data.operators.end}
        assert {data.overall.end} == ends

    def test_since_leaves_out_older_intervals(self) -> None:
        """since= is stats(since=...): intervals from it on, and the channels in them
        or waiting now."""
        clock = FakeClock()
        router = Router(clock=clock)
        router.configure(metrics=MetricsSettings(interval=60))
        router.add_group(Group("g"))
        router.add_operator(Operator("o", groups={"g"}, capacity=Capacity(total=2)))
        router.set_status("o", Status.ONLINE)
        router.submit(Conversation("v", "voice", "g"))
        clock.now = 70
        router.submit(Conversation("c", "chat", "g"))

        data = quiet(router.metrics, since=60)

        assert [stats.channel for stats in data.channels] == ["chat"]
        assert router.metrics.stats(since=60) == data.overall
        assert [stats.start for stats in data.intervals] == [60.0]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, MISSING),
        (math.inf, MISSING),
        (0, "0s"),
        (0.04, "0s"),
        (4.54, "4.5s"),
        (9.96, "10s"),
        (45, "45s"),
        (59.6, "1m00s"),
        (185, "3m05s"),
        (3599.4, "59m59s"),
        (3725, "1h02m"),
        (86399, "1d00h"),
        (183600, "2d03h"),
        (-5, "-5s"),
    ],
)
def test_durations_are_compact(seconds: float | None, text: str) -> None:
    """Durations take a few characters and round to what they show."""
    assert text == duration(seconds)
