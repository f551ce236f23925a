"""A warehouse whose moving averages were stored by a version without series tails (no tail
table, no layout comment): the next build rebuilds the mart in full once and fills its tail, and
the builds after it are incremental again."""

from __future__ import annotations

import pytest

from tests.integration.dbt.project import DbtProject

pytestmark = pytest.mark.integration
MART = "marts.fct_moving_averages"
TAIL = "intermediate.fct_moving_averages_tail"
# the trading-days test on int reads the returns view
SELECT = ("--select", "+fct_moving_averages", "fct_daily_returns")


def _state(project: DbtProject) -> tuple[str | None, int, bool]:
    """The mart's comment, its rows marked -1, and whether its tail has one row per ticker."""
    with project.connect() as conn, conn.cursor() as cur:
        cur.execute(
            f"select obj_description('{MART}'::regclass, 'pg_class'),"
            f" (select count(*) from {MART} where sma_20 = -1),"
            f" to_regclass('{TAIL}') is not null"
        )
        row = cur.fetchone()
        assert row is not None
        comment, marked, has_tail = row
        if has_tail:
            cur.execute(
                f"select (select count(*) from {TAIL})"
                f" = (select count(distinct ticker) from {MART})"
            )
            filled = cur.fetchone()
            assert filled is not None
            has_tail = filled[0]
        return comment, marked, has_tail


def test_a_mart_stored_without_a_tail_is_rebuilt_in_full_once(own_project: DbtProject) -> None:
    project = own_project
    first = project.invoke("build", *SELECT)
    assert 0 == first.returncode, first.output[-3000:]
    # as the earlier version left it: no layout comment and no tail
    project.mark_rows(MART, "sma_20 = -1", f"comment on table {MART} is null; drop table {TAIL}")

    upgrade = project.invoke("build", *SELECT)
    upgraded = _state(project)
    # the layout is now current: a later build is incremental again and leaves the rows be
    project.mark_rows(MART, "sma_20 = -1")
    later = project.invoke("build", *SELECT)
    after_later = _state(project)

    assert (0, ("layout series-tail", 0, True)) == (upgrade.returncode, upgraded)
    assert (0, ("layout series-tail", 3, True)) == (later.returncode, after_later)
