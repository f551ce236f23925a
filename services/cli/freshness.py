"""What `stocks-elt status` says of the data's freshness: the sources as the latest run that
checked them found them (control.runs.source_freshness, written by the transformer)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg
from rich import box
from rich.table import Table

from shared.clients.db import connect
from shared.settings import PostgresSettings

_LATEST = """
select run_id, source_freshness::text as checked from control.runs
where source_freshness is not null order by finished_at desc nulls last limit 1
"""


@dataclass(frozen=True)
class Checked:
    run_id: str
    sources: list[dict[str, object]]

    @property
    def stale(self) -> bool:
        return any(s.get("status") != "pass" for s in self.sources)


async def latest(pg: PostgresSettings) -> Checked | None:
    conn = await connect(pg)
    try:
        row = await conn.fetchrow(_LATEST)
    except asyncpg.UndefinedColumnError:  # a database not bootstrapped since 0011
        return None
    finally:
        await conn.close()
    return Checked(row["run_id"], json.loads(row["checked"])) if row else None


def table(checked: Checked) -> Table:
    """One row per source: status, newest load, its age; fits 80 columns, with the criteria
    in the caption when the sources share them (they do unless a source overrides them)."""
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    criteria = {str(s.get("message") or "") for s in checked.sources}
    shared = len(criteria) == 1
    for col in ("source", "freshness", "newest load UTC", "age"):
        t.add_column(col, no_wrap=True)
    if shared:
        t.caption = f"criteria: {criteria.pop()}"
    else:
        t.add_column("criteria", overflow="fold")
    for s in checked.sources:
        status = str(s.get("status"))
        colour = {"pass": "green", "warn": "yellow"}.get(status, "red")
        age = s.get("age_s")
        loaded = str(s.get("max_loaded_at") or "")[5:16].replace("T", " ")
        cells = [
            str(s.get("source")),
            f"[{colour}]{status}[/]",
            loaded,
            f"{float(age) / 86400:.1f} d" if isinstance(age, int | float) else "",
        ]
        t.add_row(*cells, *([] if shared else [str(s.get("message") or "")]))
    return t
