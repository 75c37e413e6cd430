"""The ``omniroute`` command: simulate a scenario, or ask how many operators a
target needs.

``omniroute simulate SCENARIO.toml [--replications N] [--seed S] [--json OUT]
[--plot OUT.png]`` runs a scenario (:mod:`omniroute.sim`) and prints the report;
``omniroute staffing --per-hour 120 --handle 3m --target 0.8 --within 20s`` answers
with Erlang C (or Erlang A with ``--patience``). Exit status: 0 done, 1 the
scenario or the numbers cannot be used (the message says why), 2 bad arguments,
3 a plot was asked for without matplotlib.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from omniroute.errors import OmnirouteError, StaffingError
from omniroute.report import duration
from omniroute.sim import Scenario, replicate
from omniroute.sim.plot import INSTALL, plot
from omniroute.sim.report import render
from omniroute.sim.scenario import parse_seconds
from omniroute.staffing import (
    average_speed_of_answer,
    erlang_a,
    erlang_c,
    occupancy,
    required_agents,
    service_level,
)

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NO_PLOT = 0, 1, 2, 3


class Progress:
    """A one-line progress bar on a terminal, redrawn only when it moves."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.shown = -1

    def __call__(self, done: float) -> None:
        percent = int(done * 100)
        if percent == self.shown:
            return
        self.shown = percent
        filled = round(done * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}%")
        self.stream.flush()

    def close(self) -> None:
        if self.shown >= 0:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _seconds(text: str) -> float:
    """A duration argument: seconds, or with units ("3m", "1h30m")."""
    try:
        return parse_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omniroute",
        description="Routing and queueing for omnichannel contact centres: simulate a "
        "day, or size a team.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser(
        "simulate",
        help="run a scenario file and print the report",
        description="Simulate a contact centre scenario (TOML) on the real Router.",
    )
    simulate.add_argument("scenario", type=Path, help="the scenario file (TOML)")
    simulate.add_argument(
        "-n",
        "--replications",
        type=int,
        metavar="N",
        help="runs with seeds S, S+1, ... (default: the scenario's)",
    )
    simulate.add_argument(
        "-s", "--seed", type=int, metavar="S", help="the first run's seed (default: the scenario's)"
    )
    simulate.add_argument(
        "--json",
        type=Path,
        metavar="OUT",
        help="also write every figure as JSON ('-': standard output, instead of the report)",
    )
    simulate.add_argument(
        "--plot",
        type=Path,
        metavar="OUT.png",
        help="also draw queue, service level and waits (needs matplotlib)",
    )
    simulate.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        metavar="P",
        help="of the intervals around each mean (default 0.95)",
    )
    bar = simulate.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show a progress bar (default: when standard error is a terminal)",
    )
    bar.add_argument("--no-progress", dest="progress", action="store_false")

    staffing = commands.add_parser(
        "staffing",
        help="how many operators a service level needs (Erlang C / A)",
        description="The fewest operators that answer TARGET of the contacts within "
        "WITHIN, by Erlang C, or by Erlang A with --patience.",
    )
    staffing.add_argument(
        "--per-hour", type=float, required=True, metavar="RATE", help="contacts arriving per hour"
    )
    staffing.add_argument(
        "--handle",
        type=_seconds,
        required=True,
        metavar="TIME",
        help="average handle time (seconds, or '3m')",
    )
    staffing.add_argument(
        "--target",
        type=float,
        required=True,
        metavar="SHARE",
        help="service level to reach, e.g. 0.8",
    )
    staffing.add_argument(
        "--within",
        type=_seconds,
        required=True,
        metavar="TIME",
        help="service-level threshold (seconds, or '20s')",
    )
    staffing.add_argument(
        "--patience",
        type=_seconds,
        metavar="TIME",
        help="customers' average patience: Erlang A with abandonment",
    )
    staffing.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="K",
        help="conversations an operator handles at once (chat)",
    )
    staffing.add_argument(
        "--max-occupancy",
        type=float,
        metavar="SHARE",
        help="also keep occupancy at most this, e.g. 0.85",
    )
    staffing.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        return _staffing(args)
    except OmnirouteError as exc:
        print(f"omniroute: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # the reader left early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    scenario = Scenario.load(args.scenario)
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        # Say so before a long run, not after it.
        print(f"omniroute: {INSTALL}", file=sys.stderr)
        return EXIT_NO_PLOT
    if args.replications is not None and args.replications < 1:
        print("omniroute: --replications must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if not 0 < args.confidence < 1:
        print("omniroute: --confidence must be between 0 and 1", file=sys.stderr)
        return EXIT_USAGE
    if args.json is not None and str(args.json) != "-":
        try:  # find out now, not after a long run, that it cannot be written
            args.json.touch()
        except OSError as exc:
            print(f"omniroute: cannot write {str(args.json)!r}: {exc.strerror}", file=sys.stderr)
            return EXIT_INVALID
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(sys.stderr) if show else None
    try:
        results = replicate(
            scenario,
            args.replications,
            args.seed,
            confidence=args.confidence,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    to_stdout = args.json is not None and str(args.json) == "-"
    if not to_stdout:  # JSON on standard output is all it prints, to be parsed
        print(render(results))
    if args.json is not None:
        data = json.dumps(results.as_dict(), indent=1, allow_nan=False)
        if to_stdout:
            print(data)
        else:
            args.json.write_text(data + "\n", encoding="utf-8")
    if args.plot is not None:
        plot(results, args.plot)
    return EXIT_OK


def _staffing(args: argparse.Namespace) -> int:
    # Checked here, as typed: below it is a rate per second.
    if not math.isfinite(args.per_hour) or args.per_hour < 0:
        raise StaffingError(f"--per-hour must be a finite number >= 0, got {args.per_hour:g}")
    rate = args.per_hour / 3600
    agents = required_agents(
        rate,
        args.handle,
        args.target,
        args.within,
        patience=args.patience,
        concurrency=args.concurrency,
        max_occupancy=args.max_occupancy,
    )
    servers = agents * args.concurrency
    answer: dict[str, Any] = {
        "agents": agents,
        "servers": servers,
        "load_erlangs": rate * args.handle,
        "model": "erlang_a" if args.patience else "erlang_c",
    }
    if args.patience and servers:
        queue = erlang_a(servers, rate, args.handle, args.patience)
        answer |= {
            "service_level": queue.service_level(args.within),
            "probability_of_waiting": queue.probability_of_waiting,
            "average_speed_of_answer": queue.average_speed_of_answer,
            "abandonment": queue.probability_of_abandonment,
            "occupancy": queue.occupancy,
        }
    elif servers:
        answer |= {
            "service_level": service_level(servers, rate, args.handle, args.within),
            "probability_of_waiting": erlang_c(servers, rate * args.handle),
            "average_speed_of_answer": average_speed_of_answer(servers, rate, args.handle),
            "occupancy": occupancy(servers, rate, args.handle),
        }
    if args.json:
        print(json.dumps(answer, indent=1))
        return EXIT_OK
    per = f" ({servers} conversations at once)" if args.concurrency > 1 else ""
    print(
        f"{agents} operators{per} for {args.per_hour:g} contacts an hour of "
        f"{duration(args.handle)} each ({answer['load_erlangs']:.1f} Erlangs), "
        f"{args.target:.0%} answered within {duration(args.within)}:"
    )
    if servers:
        print(
            f"  service level {answer['service_level']:.1%}, "
            f"waiting {answer['probability_of_waiting']:.1%} of contacts, "
            f"ASA {duration(answer['average_speed_of_answer'])}, "
            f"occupancy {answer['occupancy']:.1%}"
            + (f", abandoning {answer['abandonment']:.1%}" if args.patience else "")
            + f" ({'Erlang A' if args.patience else 'Erlang C'})"
        )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
