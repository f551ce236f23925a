""".env.example is read by bash too (`set -a; . ./.env` in scripts/demo and the docs), not only
by compose and pydantic: a value with spaces left unquoted runs its second word as a command."""

from __future__ import annotations

import subprocess

import pytest

from .compose_file import ENV_EXAMPLE

pytestmark = pytest.mark.unit


def test_bash_sources_it_without_error_and_reads_the_values_whole() -> None:
    shown = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; printf %s "$SCHEDULE_CRON"', "-", str(ENV_EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert ("", 0) == (shown.stderr, shown.returncode)
    assert "30 18 * * 1-5" == shown.stdout
