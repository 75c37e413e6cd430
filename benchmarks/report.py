"""Formatting shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence

import omniroute


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


def progress(message: str) -> None:
    """Show what runs now, on a terminal only, overwriting the last message."""
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)


def print_header(title: str, quick: bool) -> None:
    """What ran, on what: the first lines of every benchmark's output."""
    print(f"omniroute {title} benchmark" + (" (--quick smoke run)" if quick else ""))
    print(f"omniroute {omniroute.__version__}")
    print(f"Python {sys.version.split()[0]} ({platform.python_implementation()}) on")
    print(f"{platform.platform()}, {cpu_name()}, {os.cpu_count()} logical CPUs")


def markdown(head: Sequence[str], body: Sequence[Sequence[str]], left: set[int]) -> str:
    """A markdown table; the columns in ``left`` are left-aligned, the others
    (numbers) right-aligned."""
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(w) if i in left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|".join(
        "-" * (w + 2) if i in left else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    )
    return "\n".join([line(head), f"|{rule}|", *(line(cells) for cells in body)])
