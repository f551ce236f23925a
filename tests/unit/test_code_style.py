"""The code base passes its own linters: ruff's checks (bugbear, isort, pyupgrade, no print),
its formatter, and strict mypy on the shipped code, its tests and its benchmarks, as configured
in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
PATHS = ["services", "shared", "deploy", "testbed", "tests", "benchmarks"]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = Path(sys.executable).parent / "ruff"
    return subprocess.run(
        [str(ruff), *args, *PATHS], cwd=ROOT, capture_output=True, text=True, check=False
    )


class TestLinters:
    def test_mypy_checks_what_ruff_checks(self) -> None:
        """The type-checked paths are the linted ones: tests and benchmarks are not exempt."""
        with (ROOT / "pyproject.toml").open("rb") as f:
            files = tomllib.load(f)["tool"]["mypy"]["files"]

        assert PATHS == files

    def test_ruff_finds_nothing(self) -> None:
        """`ruff check` is clean; its output is the message when it is not."""
        result = _ruff("check", "--output-format", "concise")

        assert 0 == result.returncode, result.stdout

    def test_every_file_is_formatted(self) -> None:
        """`ruff format --check` would change no file."""
        result = _ruff("format", "--check")

        assert 0 == result.returncode, result.stdout

    def test_mypy_strict_finds_nothing(self) -> None:
        """Every module, tests and benchmarks included, type-checks under `mypy --strict`:
        pyproject's `files` says which (the same as ruff's PATHS)."""
        mypy = Path(sys.executable).parent / "mypy"
        result = subprocess.run(
            [str(mypy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

        assert 0 == result.returncode, result.stdout[-3000:]
