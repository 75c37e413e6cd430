"""Formatting shared by the benchmark scripts."""

from __future__ import annotations

import platform


def cpu_name() -> str:
    """The processor's model name, as well as this platform can tell."""
    name = platform.processor()
    if not name or name == platform.machine():
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
                for line in cpuinfo:
                    if line.startswith("model name"):
                        return f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
        except OSError:
            pass
    return name or platform.machine() or "unknown"


def num(value: float) -> str:
    """A whole number with spaces between thousands: 10 000."""
    return f"{value:,.0f}".replace(",", " ")
