"""LOG_LEVEL: one setting (shared.settings.LoggingSettings) decides what every process logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from shared.logging import configure_logging
from shared.settings import LoggingSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No .env and no LOG_LEVEL from the machine; structlog and the root handlers restored."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    # As a fresh service process has them: in the full suite an earlier in-process test left
    # a library logger disabled (some libraries' logging.config calls do), and CI failed here.
    for name in ("", "aiokafka", "asyncpg"):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "disabled", False)
        monkeypatch.setattr(logger, "propagate", True)
        monkeypatch.setattr(logger, "level", logging.WARNING if name == "" else logging.NOTSET)
    saved, handlers = structlog.get_config(), list(logging.getLogger().handlers)
    yield
    structlog.configure(**saved)
    structlog.contextvars.clear_contextvars()
    logging.getLogger().handlers = handlers


def _events(monkeypatch: pytest.MonkeyPatch, level: str | None = None) -> list[str]:
    """The events a service logs at debug, info and warning with this configuration."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging("loader", level)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(out))
    log: Any = structlog.get_logger()
    log.debug("debug_logged")
    log.info("info_logged")
    log.warning("warning_logged")
    return [e for e in ("debug_logged", "info_logged", "warning_logged") if e in out.getvalue()]


class TestLogLevelSetting:
    def test_info_by_default(self) -> None:
        """Without LOG_LEVEL a service logs info and above."""
        assert "INFO" == LoggingSettings().level

    def test_read_from_log_level_in_any_case(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`LOG_LEVEL=debug` works as `DEBUG` does."""
        monkeypatch.setenv("LOG_LEVEL", "debug")

        assert "DEBUG" == LoggingSettings().level

    def test_an_unknown_level_stops_the_process(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A typo fails at start-up rather than logging everything or nothing."""
        monkeypatch.setenv("LOG_LEVEL", "verbose")

        with pytest.raises(ValidationError):
            LoggingSettings()


class TestConfigureLoggingHonoursIt:
    def test_the_default_drops_debug(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Info and warnings are written, debug is not."""
        assert ["info_logged", "warning_logged"] == _events(monkeypatch)

    def test_log_level_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """LOG_LEVEL=warning, read when the service configures its logging, drops info."""
        monkeypatch.setenv("LOG_LEVEL", "warning")

        assert ["warning_logged"] == _events(monkeypatch)

    def test_an_explicit_level_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A caller that passes a level (a test, say) is not overridden by the environment."""
        monkeypatch.setenv("LOG_LEVEL", "ERROR")

        assert ["debug_logged", "info_logged", "warning_logged"] == _events(monkeypatch, "DEBUG")

    def test_library_records_below_the_level_are_dropped(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """aiokafka's and asyncpg's warnings follow LOG_LEVEL too."""
        monkeypatch.setenv("LOG_LEVEL", "ERROR")
        out = io.StringIO()
        monkeypatch.setattr("sys.stdout", out)
        configure_logging("loader")

        logging.getLogger("aiokafka").warning("heartbeat_failed")
        logging.getLogger("aiokafka").error("connection_lost")

        assert (False, True) == (
            "heartbeat_failed" in out.getvalue(),
            "connection_lost" in out.getvalue(),
        )
