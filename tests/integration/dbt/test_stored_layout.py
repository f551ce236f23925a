"""A warehouse whose int_stock_bars_adjusted was stored by an earlier version, with another
layout (backward dividend factors): the next build rebuilds it in full once, and only once."""

from __future__ import annotations

import pytest

from tests.integration.dbt.project import DbtProject

pytestmark = pytest.mark.integration
INT = "intermediate.int_stock_bars_adjusted"
SELECT = ("--select", "+int_stock_bars_adjusted", "fct_adjusted_bars", "fct_daily_returns")


def _state(project: DbtProject) -> tuple[str | None, int, bool, bool]:
    """int's comment, its rows marked -1, whether the old layout's column is there, and
    whether the view on it exists."""
    with project.connect() as conn, conn.cursor() as cur:
        cur.execute(
            f"select obj_description('{INT}'::regclass, 'pg_class'),"
            f" (select count(*) from {INT} where tr_index = -1),"
            " exists (select from information_schema.columns where table_schema ="
            " 'intermediate' and table_name = 'int_stock_bars_adjusted'"
            " and column_name = 'actions_loaded_at'),"
            " to_regclass('marts.fct_adjusted_bars') is not null"
        )
        row = cur.fetchone()
        assert row is not None
        return row[0], row[1], row[2], row[3]


def test_a_table_of_an_earlier_layout_is_rebuilt_in_full_once(own_project: DbtProject) -> None:
    project = own_project
    first = project.invoke("build", *SELECT)
    assert 0 == first.returncode, first.output[-3000:]
    # as an earlier version left it: no layout comment, a column of its own (which fails an
    # incremental build: on_schema_change='fail')
    project.mark_rows(
        INT,
        "tr_index = -1",
        f"comment on table {INT} is null;"
        f" alter table {INT} add column actions_loaded_at timestamptz",
    )

    upgrade = project.invoke("build", *SELECT)
    upgraded = _state(project)
    # the layout is now current: a later build is incremental again and leaves the rows be
    project.mark_rows(INT, "tr_index = -1")
    later = project.invoke("build", *SELECT)
    after_later = _state(project)

    assert (0, ("layout lineage-in-raw", 0, False, True)) == (upgrade.returncode, upgraded)
    assert (0, ("layout lineage-in-raw", 3, False, True)) == (later.returncode, after_later)
