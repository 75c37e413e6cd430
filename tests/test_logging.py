"""Logging goes through structlog, bound with ids, and is silent unless the host
configured structlog."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from omniroute import Router
from omniroute.seam import core_of
from tests.helpers import FakeClock, chat, team


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def test_silent_when_the_host_configured_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    router = team(operators=1)
    router.submit(chat("c1"))
    router.submit(chat("c2"))
    router.finish("c1")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_decisions_are_logged_with_ids_when_configured() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(0))
    with capture_logs() as logs:
        router = team(operators=1)
        router.submit(chat("c1"))
        router.submit(chat("c2"))
    assigned = {"event": "assigned", "conversation_id": "c1", "operator_id": "o0"}
    queued = {"event": "queued", "conversation_id": "c2", "position": 1}
    assert any(assigned.items() <= entry.items() for entry in logs), logs
    assert any(queued.items() <= entry.items() for entry in logs), logs
    assert all(entry["log_level"] == "debug" for entry in logs)


def test_a_host_logger_can_be_passed() -> None:
    with capture_logs() as logs:
        router = Router(clock=FakeClock(), logger=structlog.get_logger().bind(app="desk"))
        core_of(router).log.info("hello")
    assert logs == [{"event": "hello", "app": "desk", "log_level": "info"}]


def test_a_clock_going_back_is_a_warning() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(0))
    clock = FakeClock(10.0)
    with capture_logs() as logs:
        router = Router(clock=clock)
        router.tick()
        clock.now = 5.0
        router.tick()
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["clock_went_backwards"]
