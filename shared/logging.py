"""Structured logging: one structlog set-up for every service, JSON outside a terminal."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure_logging(service: str, level: str = "INFO") -> structlog.stdlib.BoundLogger:
    """Configure structlog once per process; returns the logger to hand to FastStream too."""
    renderer: Any
    if sys.stdout.isatty():
        renderer = structlog.dev.ConsoleRenderer()
        extra: list[Any] = []
    else:
        renderer = structlog.processors.JSONRenderer()
        extra = [structlog.processors.dict_tracebacks]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *extra,
            renderer,
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


__all__ = ["bind_message_context", "configure_logging"]
