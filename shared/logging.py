"""Structured logging: one structlog set-up for every service, JSON outside a terminal.

Tracebacks are rendered without local variables, in both renderers: a frame's locals can hold a
secret (a subprocess's environment with PG_PASSWORD, a settings object, a DSN), and structlog's
and rich's defaults print them.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import Processor

from shared.settings import LoggingSettings


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


_PRE_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _LibraryHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Libraries' own log records (aiokafka's heartbeats, asyncpg's pool), rendered as ours."""


def route_library_logs(stream: TextIO, tty: bool, level: str = "INFO") -> None:
    """Send the standard library's records through the same renderers: without this, a Kafka
    or Postgres restart filled the services' logs with plain-text lines and multi-line
    tracebacks (seen in the chaos e2e) that no JSON log pipeline can parse. Records below
    `level` are dropped here too, so LOG_LEVEL=ERROR also quiets the libraries' warnings."""
    handler = _LibraryHandler(stream)
    handler.setLevel(level)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_PRE_CHAIN,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *renderers(tty),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _LibraryHandler)] + [handler]


def configure_logging(service: str, level: str | None = None) -> structlog.stdlib.BoundLogger:
    """Configure structlog once per process; returns the logger to hand to FastStream too.
    `level` defaults to LOG_LEVEL (shared.settings.LoggingSettings)."""
    level = level or LoggingSettings().level
    route_library_logs(sys.stdout, sys.stdout.isatty(), level)
    structlog.configure(
        processors=[*_PRE_CHAIN, *renderers(sys.stdout.isatty())],
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


__all__ = ["bind_message_context", "configure_logging", "renderers", "route_library_logs"]
