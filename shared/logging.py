"""Structured logging: one structlog set-up for every service, JSON outside a terminal.

Tracebacks are rendered without local variables, in both renderers: a frame's locals can hold a
secret (a subprocess's environment with PG_PASSWORD, a settings object, a DSN), and structlog's
and rich's defaults print them.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor


def renderers(tty: bool) -> list[Processor]:
    """The end of the processor chain: a console renderer on a terminal, JSON with dict
    tracebacks elsewhere; neither shows a frame's locals."""
    if tty:
        return [
            structlog.dev.ConsoleRenderer(
                exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
            )
        ]
    transformer = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    return [
        structlog.processors.ExceptionRenderer(transformer),
        structlog.processors.JSONRenderer(),
    ]


def configure_logging(service: str, level: str = "INFO") -> structlog.stdlib.BoundLogger:
    """Configure structlog once per process; returns the logger to hand to FastStream too."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *renderers(sys.stdout.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    return structlog.get_logger()  # type: ignore[no-any-return]


def bind_message_context(**ids: object) -> None:
    """Start a message's log context: keep the service, drop the last message's ids, bind these."""
    service = structlog.contextvars.get_contextvars().get("service")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        service=service, **{k: v for k, v in ids.items() if v is not None}
    )


__all__ = ["bind_message_context", "configure_logging", "renderers"]
