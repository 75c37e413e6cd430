"""A Router that several threads may share.

A plain :class:`~omniroute.Router` is not thread-safe: one call runs many steps,
and two calls interleaved by threads could corrupt its queues. An asyncio host needs
no lock (calls are synchronous, so the event loop never interleaves them); a
threaded host — a WSGI server, a pool of workers — can use :class:`LockedRouter`.
"""

from __future__ import annotations

import functools
import inspect
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


# Every public method, so that one added to Router later is locked too; the ones that
# return iterators copy their answer while they hold the lock.
_ITERATING = {"operators", "conversations", "waiting"}
for _name, _method in vars(Router).items():
    if _name.startswith("_") or not inspect.isfunction(_method):
        continue  # private, or a property, classmethod or attribute
    setattr(LockedRouter, _name, (_locked_copy if _name in _ITERATING else _locked)(_method))
