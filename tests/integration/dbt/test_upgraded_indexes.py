"""A warehouse whose incremental table predates an index in the model's config (an upgrade):
the next build adds the index, so the unique key its tests rely on is guarded again."""

from __future__ import annotations

import pytest

from tests.integration.dbt.project import DbtProject

pytestmark = pytest.mark.integration
MODEL = "int_corporate_actions_validated"
SELECT = ("--select", f"+{MODEL}")


def _unique_indexes(project: DbtProject) -> list[str]:
    with project.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "select pg_get_indexdef(indexrelid) from pg_index"
            " where indrelid = %s::regclass and indisunique",
            (f"intermediate.{MODEL}",),
        )
        return [row[0] for row in cur.fetchall()]


def test_an_incremental_build_adds_the_index_an_older_table_lacks(own_project: DbtProject) -> None:
    project = own_project
    assert 0 == project.invoke("build", *SELECT).returncode
    made_by_dbt = _unique_indexes(project)
    with project.connect() as conn, conn.cursor() as cur:
        for definition in made_by_dbt:
            name = definition.split(" INDEX ")[1].split(" ON ")[0]
            cur.execute(f"drop index intermediate.{name}")
        conn.commit()

    second = project.invoke("build", *SELECT)
    again = _unique_indexes(project)

    assert 1 == len(made_by_dbt)
    assert (0, "pass") == (
        second.returncode,
        second.status_of(f"unique_index_{MODEL}_action_kind__event_id"),
    )
    assert ["(action_kind, event_id)"] == [d[d.index("(") :] for d in again]
