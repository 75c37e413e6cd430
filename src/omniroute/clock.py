"""What the Router takes from the host's clock.

A reading must be a finite number of seconds: a ``float`` (or a subclass, such as
numpy's), or an ``int``. Anything else raises :class:`~omniroute.ClockTypeError`,
and NaN or an infinity :class:`~omniroute.ClockError`, before the call that read it
changes anything.

A clock that goes back (an NTP step, a host that resets a test clock) is not an
error: the call runs at the last time the Router saw, so that no wait or handle
time comes out negative, and a ``clock_went_backwards`` warning is logged. Time
stands still until the clock passes that moment again.
"""

from __future__ import annotations

import math
from typing import Any

from omniroute._reading import is_number
from omniroute.errors import ClockError, ClockTypeError

__all__ = ["checked", "held"]


def checked(reading: object) -> float:
    """``reading`` as seconds, or the error that says why it is not."""
    if not is_number(reading):
        raise ClockTypeError(
            f"the clock returned {reading!r} ({type(reading).__name__}); "
            "it must return seconds as a float"
        )
    try:
        seconds = float(reading)
    except OverflowError:
        raise ClockError(f"the clock returned {reading!r}, too large for a float") from None
    if not math.isfinite(seconds):
        raise ClockError(f"the clock returned {seconds!r}; readings must be finite")
    return seconds


def held(reading: object, last: float, log: Any) -> float:
    """The time a call runs at, for a reading off the fast path (not a finite float
    at or after ``last``): ``last`` if the clock went back."""
    seconds = checked(reading)
    if seconds < last:
        log.warning("clock_went_backwards", now=seconds, last=last)
        return last
    return seconds
