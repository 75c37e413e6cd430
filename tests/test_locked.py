"""LockedRouter: every public call holds the lock, and threads sharing one Router
lose nothing."""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Iterator

import pytest

from omniroute import Capacity, Conversation, Group, LockedRouter, Operator, Router
from omniroute.strategies import LeastLoaded, OperatorView
from omniroute.testing import FakeClock, check_invariants
from tests.helpers import chat


def public_calls() -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(Router, inspect.isfunction)
        if not name.startswith("_")
    ]


@pytest.mark.parametrize("name", public_calls())
def test_every_public_call_is_wrapped(name: str) -> None:
    assert getattr(LockedRouter, name) is not getattr(Router, name)


class Watching(LeastLoaded):
    """Records whether the lock was held whenever the Router consulted it."""

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__()
        self.lock = lock
        self.held: list[bool] = []

    def candidates(self, conversation: Conversation) -> Iterator[str]:
        self.held.append(self.lock._is_owned())  # type: ignore[attr-defined]
        return super().candidates(conversation)

    def add(self, operator: OperatorView) -> None:
        self.held.append(self.lock._is_owned())  # type: ignore[attr-defined]
        super().add(operator)


def test_calls_run_under_the_lock() -> None:
    lock = threading.RLock()
    router = LockedRouter(clock=FakeClock(), lock=lock)
    strategy = Watching(lock)
    router.add_group(Group("g", strategy=strategy))
    router.add_operator(Operator("a", groups={"g"}))
    router.set_status("a", "online")
    router.submit(chat("c1"))
    assert strategy.held
    assert all(strategy.held)
    assert not lock._is_owned()  # type: ignore[attr-defined]


def test_iterators_are_copies_taken_under_the_lock() -> None:
    router = LockedRouter(clock=FakeClock())
    router.add_group(Group("g"))
    router.submit(chat("c1"))
    waiting = router.waiting("g")
    router.abandon("c1")
    assert [info.id for info in waiting] == ["c1"]


def test_restore_and_replay_build_locked_routers() -> None:
    router = LockedRouter(clock=FakeClock())
    assert isinstance(LockedRouter.restore(router.snapshot()), LockedRouter)
    assert isinstance(LockedRouter.replay(None, []), LockedRouter)


def test_threads_sharing_a_router_lose_nothing() -> None:
    router = LockedRouter()
    router.add_group(Group("g"))
    for i in range(4):
        router.add_operator(Operator(f"o{i}", groups={"g"}, capacity=Capacity(total=2)))
        router.set_status(f"o{i}", "online")
    finished: list[str] = []

    def worker(n: int) -> None:
        for i in range(300):
            cid = f"w{n}-{i}"
            router.submit(chat(cid))
            # finish one of this worker's assigned conversations, if it has one
            for info in router.conversations():
                if info.operator_id is not None and info.id.startswith(f"w{n}-"):
                    router.finish(info.id)
                    finished.append(info.id)
                    break

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    check_invariants(router)
    live = {info.id for info in router.conversations()}
    assert len(finished) == len(set(finished))
    assert live | set(finished) == {f"w{n}-{i}" for n in range(4) for i in range(300)}
    assert not live & set(finished)
