"""Running `dbt build` as a subprocess, as the transform role, and reading its results."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import structlog

from shared.settings import PostgresSettings

from .core import DbtOutcome, outcome_from_run_results

log = structlog.get_logger()


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class DbtRunner:
    def __init__(self, project_dir: Path, postgres: PostgresSettings, timeout_s: float) -> None:
        self._project = project_dir.resolve()
        self._pg = postgres
        self._timeout_s = timeout_s

    def _env(self) -> dict[str, str]:
        # The profile reads the same PG_ variables as the services.
        return {
            **os.environ,
            "PG_HOST": self._pg.host,
            "PG_PORT": str(self._pg.port),
            "PG_DATABASE": self._pg.database,
            "PG_USER": self._pg.user,
            "PG_PASSWORD": self._pg.password.get_secret_value(),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    async def build(self, run_id: str) -> DbtOutcome:
        with tempfile.TemporaryDirectory(prefix=f"dbt-{run_id}-") as tmp:
            cmd = [
                dbt_executable(),
                "build",
                "--project-dir",
                str(self._project),
                "--profiles-dir",
                str(self._project),
                "--target-path",
                f"{tmp}/target",
                "--log-path",
                f"{tmp}/logs",
                "--vars",
                json.dumps({"run_id": run_id}),
            ]
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                env=self._env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self._project,
            )
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), self._timeout_s)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                return DbtOutcome(ok=False, error=f"dbt build ran over {self._timeout_s:.0f} s")
            results = Path(tmp) / "target" / "run_results.json"
            if not results.exists():
                tail = out.decode(errors="replace").strip().splitlines()[-5:]
                return DbtOutcome(ok=False, error="dbt build did not run: " + " | ".join(tail))
            outcome = outcome_from_run_results(
                json.loads(results.read_text()), proc.returncode or 0
            )
            log.info("dbt_built", exit_code=proc.returncode, **outcome.counts())
            return outcome
