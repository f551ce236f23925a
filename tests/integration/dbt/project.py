"""Runs the dbt project against one test database and reads back what it did and built."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2  # type: ignore[import-untyped]
import psycopg2.extras  # type: ignore[import-untyped]
from psycopg2.extensions import connection as Connection  # type: ignore[import-untyped]

from testbed.stack import Stack

REPO = Path(__file__).resolve().parents[3]
DBT = REPO / ".venv" / "bin" / "dbt"
PROJECT_DIR = REPO / "dbt"
MIGRATIONS = REPO / "shared" / "db" / "migrations"
# the per-bar marts (one row per (ticker, trading_date)) and the others
BAR_MARTS = (
    "fct_adjusted_bars",
    "fct_daily_returns",
    "fct_moving_averages",
    "fct_rolling_volatility",
)
MARTS = (*BAR_MARTS, "dim_tickers", "fct_rejected_corporate_actions")
# the marts an incremental build continues from their tails (dbt/macros/series_tail.sql): the
# mart, its arrays' length (dbt_project.yml's longest window), the columns they keep for the
# last bars and those kept for the last bar only
TAILED_MARTS = {
    "fct_moving_averages": (200, ("adj_close_running_sum",), ("ema_12", "ema_26")),
    "fct_rolling_volatility": (
        20,
        (
            "log_return_running_count",
            "log_return_running_sum",
            "log_return_running_sum_of_squares",
        ),
        (),
    ),
}
VERSIONED_TABLES = (
    "intermediate.int_stock_bars_adjusted",
    "marts.fct_moving_averages",
    "marts.fct_rolling_volatility",
)
# rows keyed ticker|valid_until_date, as the per-bar tables' bar_id is ticker|trading_date
FACTORS = "intermediate.int_adjustment_factors"

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Invocation:
    """One dbt command: its exit code and each node's status keyed by unique_id."""

    returncode: int
    statuses: dict[str, str]
    output: str

    def status_of(self, name: str) -> str:
        """The status of the one node whose unique_id has `name` as its third part."""
        matches = [s for uid, s in self.statuses.items() if uid.split(".")[2] == name]
        assert len(matches) == 1, f"{name}: {matches}\n{self.output[-3000:]}"
        return matches[0]


@dataclass(frozen=True)
class DbtProject:
    stack: Stack
    database: str
    work_dir: Path

    def invoke(self, *args: str) -> Invocation:
        """Run `dbt <args>` in a subprocess; its target and logs stay in this session's tmp dir."""
        env = {
            **os.environ,
            "PG_HOST": self.stack.postgres.host,
            "PG_PORT": str(self.stack.postgres.port),
            "PG_DATABASE": self.database,
            "PG_USER": self.stack.admin.user,
            "PG_PASSWORD": self.stack.admin.password.get_secret_value(),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        target = self.work_dir / "target"
        command = [
            str(DBT),
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(self.work_dir / "logs"),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        run_results = json.loads((target / "run_results.json").read_text())
        statuses = {r["unique_id"]: r["status"] for r in run_results["results"]}
        return Invocation(done.returncode, statuses, done.stdout + done.stderr)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with connect(self.stack, self.database) as conn:
            yield conn

    def read(self, relation: str, order_by: str = "1") -> Rows:
        """All rows of `relation`, as dicts, in a stable order (its key's)."""
        with (
            self.connect() as conn,
            conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur,
        ):
            cur.execute(f"select * from {relation} order by {order_by}")
            return [dict(row) for row in cur.fetchall()]

    def read_marts(self) -> dict[str, Rows]:
        return {name: self.read(f"marts.{name}") for name in MARTS}

    def read_tails(self) -> dict[str, Rows]:
        return {name: self.read(f"intermediate.{name}_tail") for name in TAILED_MARTS}

    def mark_rows(self, table: str, assignment: str, sql: str = "") -> None:
        """Sets `assignment` (a value no build computes) on the first three rows of `table` by
        bar_id, after running `sql`: a full rebuild puts them back, an incremental one does not."""
        with self.connect() as conn, conn.cursor() as cur:
            if sql:
                cur.execute(sql)
            cur.execute(
                f"update {table} set {assignment} where bar_id in"
                f" (select bar_id from {table} order by bar_id limit 3)"
            )
            conn.commit()

    def read_factors(self) -> Rows:
        """int_adjustment_factors in key order (its first column, ticker, is not a key)."""
        return self.read(FACTORS, order_by="ticker, valid_until_date")

    def row_versions(self) -> dict[str, dict[str, str]]:
        """Per per-bar table, each row's xmin (the transaction that last wrote it) by bar_id
        (fct_adjusted_bars and fct_daily_returns are views of int_stock_bars_adjusted); and
        the factors' by ticker|valid_until_date."""
        versions: dict[str, dict[str, str]] = {}
        with self.connect() as conn, conn.cursor() as cur:
            for name in VERSIONED_TABLES:
                cur.execute(f"select bar_id, xmin::text from {name}")
                versions[name] = dict(cur.fetchall())
            cur.execute(f"select ticker || '|' || valid_until_date, xmin::text from {FACTORS}")
            versions[FACTORS] = dict(cur.fetchall())
        return versions


@contextmanager
def connect(stack: Stack, database: str) -> Iterator[Connection]:
    """An autocommit admin connection to `database`, closed on exit."""
    conn = psycopg2.connect(
        host=stack.postgres.host,
        port=stack.postgres.port,
        dbname=database,
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def apply_migrations(conn: Connection) -> None:
    """Every migration file, in name order, as the bootstrap applies them."""
    with conn.cursor() as cur:
        for path in sorted(MIGRATIONS.glob("*.sql")):
            cur.execute(path.read_text())
