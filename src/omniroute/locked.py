"""A Router that several threads may share.

A plain :class:`~omniroute.Router` is not thread-safe: one call runs many steps,
and two calls interleaved by threads could corrupt its queues. An asyncio host needs
no lock (calls are synchronous, so the event loop never interleaves them); a
threaded host — a WSGI server, a pool of workers — can use :class:`LockedRouter`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from omniroute.router import Router

__all__ = ["LockedRouter"]

F = TypeVar("F", bound=Callable[..., Any])


class LockedRouter(Router):
    """A :class:`~omniroute.Router` whose every public call holds one re-entrant lock.

    Each call is atomic with respect to the others. Iterating methods
    (``operators``, ``conversations``, ``waiting``) copy their answer under the
    lock, so iterating it later is safe. ``on_event`` runs while the lock is held,
    in the calling thread: keep it short, and it may call the Router again.
    ``restore`` and ``replay`` build a LockedRouter too. Hold ``router.lock``
    yourself to make several calls one atomic step.
    """

    def __init__(self, *, lock: Any = None, **options: Any) -> None:
        self.lock = lock if lock is not None else threading.RLock()
        super().__init__(**options)


def _locked(method: F) -> F:
    @functools.wraps(method)
    def call(self: LockedRouter, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return call  # type: ignore[return-value]


def _locked_copy(method: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(method)
    def call(self: LockedRouter, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with self.lock:
            return iter(list(method(self, *args, **kwargs)))

    return call


for _name in (
    "add_group",
    "remove_group",
    "group",
    "groups",
    "add_operator",
    "update_operator",
    "remove_operator",
    "set_status",
    "operator",
    "submit",
    "finish",
    "abandon",
    "tick",
    "conversation",
    "position",
    "queue_length",
    "queue_lengths",
    "snapshot",
):
    setattr(LockedRouter, _name, _locked(getattr(Router, _name)))
for _name in ("operators", "conversations", "waiting"):
    setattr(LockedRouter, _name, _locked_copy(getattr(Router, _name)))
