"""The library's logger: the host's structlog setup if it made one, else silence."""

from __future__ import annotations

import logging
from typing import Any

import structlog

_SILENT: Any = structlog.wrap_logger(
    structlog.ReturnLogger(),
    wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
    processors=[],
).bind()  # wrap_logger returns a lazy proxy; resolve it once


def library_logger() -> Any:
    """A bound logger for a new Router.

    structlog's defaults print to standard output, which a library must not do to a
    host that asked for nothing; so unless the host configured structlog, we stay
    silent. The logger is resolved once, so later calls cost no configuration lookup.
    """
    if structlog.is_configured():
        return structlog.get_logger("omniroute").bind()
    return _SILENT
