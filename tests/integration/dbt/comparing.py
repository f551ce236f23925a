"""Comparing mart rows: exact for keys and text, floats to 1e-9 relative."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.dbt.project import Rows


def approx_rows(rows: Rows, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """Rows keyed by their first column, floats wrapped in pytest.approx (1e-9 relative)."""
    return {
        str(next(iter(row.values()))): {
            k: pytest.approx(v, rel=1e-9, abs=1e-12) if isinstance(v, float) else v
            for k, v in row.items()
            if k not in ignore
        }
        for row in rows
    }


def plain_rows(rows: Rows, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        str(next(iter(row.values()))): {k: v for k, v in row.items() if k not in ignore}
        for row in rows
    }
