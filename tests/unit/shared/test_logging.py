"""Exceptions are logged without the locals of their frames: a local can hold a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from shared.logging import configure_logging, route_library_logs

pytestmark = pytest.mark.unit

SECRET = "pg-password-7f3a9c"  # planted by the test, not a credential


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
    structlog.contextvars.clear_contextvars()


def _spawn(env: dict[str, str]) -> None:
    """Stands in for the dbt spawn that failed with the role's password in its frame."""
    password = env["PG_PASSWORD"]
    raise FileNotFoundError(f"dbt not found (env of {len(env)} variables, {len(password)} chars)")


def _log_failure(out: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdout", out)
    configure_logging("transformer")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(out))
    log: Any = structlog.get_logger()
    try:
        _spawn({"PG_PASSWORD": SECRET, "PG_USER": "elt_transform"})
    except FileNotFoundError:
        log.exception("dbt_spawn_failed")
    return out.getvalue()


class TestExceptionsHideLocals:
    def test_the_json_line_has_the_traceback_but_not_the_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Outside a terminal: a dict traceback naming the frames, and no frame's locals."""
        line = _log_failure(io.StringIO(), monkeypatch)

        entry = json.loads(line)
        frames = entry["exception"][0]["frames"]
        assert "_spawn" in [f["name"] for f in frames]
        assert [None] * len(frames) == [f.get("locals") for f in frames]
        assert SECRET not in line

    def test_the_console_rendering_has_the_traceback_but_not_the_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal: rich's traceback, without its locals panel."""
        text = _log_failure(_Terminal(), monkeypatch)

        assert "FileNotFoundError" in text
        assert "_spawn" in text
        assert SECRET not in text


class TestLibraryLogs:
    def test_a_library_warning_with_a_traceback_is_one_json_line_without_locals(self) -> None:
        """A standard-library record (asyncpg's pool, aiokafka) renders like ours: one JSON
        object with its level, a dict traceback, and no frame's locals."""
        out = io.StringIO()
        route_library_logs(out, tty=False)
        try:
            try:
                _spawn({"PG_PASSWORD": SECRET})
            except FileNotFoundError:
                logging.getLogger("asyncpg.pool").warning("floor not restored", exc_info=True)
        finally:
            logging.getLogger().handlers = [
                h
                for h in logging.getLogger().handlers
                if getattr(h, "stream", None) is not out  # pytest's own handlers have none
            ]

        lines = out.getvalue().strip().splitlines()
        entry = json.loads(lines[0])
        assert (1, "floor not restored", "warning") == (len(lines), entry["event"], entry["level"])
        assert "_spawn" in [f["name"] for f in entry["exception"][0]["frames"]]
        assert SECRET not in out.getvalue()
