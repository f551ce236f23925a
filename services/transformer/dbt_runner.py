"""Running `dbt build` as the transform role, through a dbt worker process that parsed the
project once (dbt_worker.py), and reading its results. A build that runs over its timeout kills
the worker; the next build starts a new one."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import structlog

from shared.clients.dbt import dbt_environment
from shared.observability import metrics
from shared.settings import PostgresSettings

from .core import DbtOutcome, outcome_from_run_results, slowest_nodes
from .dbt_worker import MARKER
from .freshness import SourceFreshness, failed_check, results_from_sources_json

log = structlog.get_logger()
# Told (nodes done, nodes in the build) as dbt finishes each node.
OnProgress = Callable[[int, int | None], Awaitable[None]]


_DECODER = json.JSONDecoder()


class WorkerFailed(RuntimeError):
    """The dbt worker could not start, or died, or did not answer."""


class DbtRunner:
    def __init__(self, project_dir: Path, postgres: PostgresSettings, timeout_s: float) -> None:
        self._project = project_dir.resolve()
        self._pg = postgres
        self._timeout_s = timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._output: deque[str] = deque(maxlen=20)  # dbt's last lines, for error messages
        self._lock = asyncio.Lock()  # one build at a time through one worker
        self._asked = 0  # the id of the last request: an answer to an older one is skipped

    async def warm(self) -> None:
        """Start the worker now, not with the first build: it imports dbt and parses the
        project (4.7-4.9 s of a whole-market year's dbt stage, measured), which the first run
        after a transformer starts would otherwise wait for. A worker that fails to start is
        logged and left to the first build, which starts another and reports why."""
        async with self._lock:
            try:
                await asyncio.wait_for(self._worker(), self._timeout_s)
            except (TimeoutError, WorkerFailed, OSError) as exc:
                await self.close()
                log.warning("dbt_worker_not_warmed", error=f"{type(exc).__name__}: {exc}")

    async def build(self, run_id: str, on_progress: OnProgress | None = None) -> DbtOutcome:
        """`dbt build`, then `dbt source freshness`: the outcome carries both."""
        started = time.monotonic()
        outcome = await self._build_once(run_id, on_progress)
        metrics.DBT_BUILD_SECONDS.observe(time.monotonic() - started)
        for test in outcome.tests:
            if test.alerting:
                metrics.DBT_TEST_FAILURES.labels(test.status).inc()
        return replace(outcome, freshness=tuple(await self._freshness(run_id)))

    async def _freshness(self, run_id: str, attempts: int = 2) -> list[SourceFreshness]:
        """`dbt source freshness` of the sources that declare it; a worker that died during
        the check is started again once; a check that could not run is a result too (runtime
        error)."""
        started = time.monotonic()
        for attempt in range(1, attempts + 1):
            async with self._lock:
                results, worker_died = await self._check_freshness(run_id)
            if not worker_died or attempt == attempts:
                break
            log.warning("freshness_retried", attempt=attempt, why=results[0].message)
        for r in results:
            metrics.SOURCE_FRESHNESS.labels(r.status).inc()
        log.info(
            "sources_checked",
            stale=[r.source for r in results if r.stale],
            elapsed_s=round(time.monotonic() - started, 2),
        )
        return results

    async def _check_freshness(self, run_id: str) -> tuple[list[SourceFreshness], bool]:
        """The results, and whether the worker died on the way."""
        self._output.clear()  # only this check's lines in its error
        with tempfile.TemporaryDirectory(prefix=f"dbt-freshness-{run_id}-") as tmp:
            died = False
            try:
                asked = self._build(tmp, None, command="freshness")
                answer = await asyncio.wait_for(asked, self._timeout_s)
            except (TimeoutError, WorkerFailed) as exc:
                await self.close()
                died = isinstance(exc, WorkerFailed)
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            sources = Path(tmp) / "target" / "sources.json"
            if sources.exists():
                return results_from_sources_json(json.loads(sources.read_text())), False
            why = answer.get("error") or " | ".join(self._output)
            return failed_check(f"dbt source freshness did not run: {why}"), died

    async def _build_once(self, run_id: str, on_progress: OnProgress | None) -> DbtOutcome:
        started = time.monotonic()
        async with self._lock:
            # the worker usually started with the service: this line, not its start, is the
            # build's beginning in the run's log
            log.info("dbt_build_started")
            with tempfile.TemporaryDirectory(prefix=f"dbt-{run_id}-") as tmp:
                try:
                    build = self._build(tmp, on_progress)
                    answer = await asyncio.wait_for(build, self._timeout_s)
                except TimeoutError:
                    await self.close()
                    return DbtOutcome(ok=False, error=f"dbt build ran over {self._timeout_s:.0f} s")
                except WorkerFailed as exc:
                    await self.close()
                    return DbtOutcome(ok=False, error=f"dbt build did not run: {exc}")
                results = Path(tmp) / "target" / "run_results.json"
                if not results.exists():
                    why = answer.get("error") or " | ".join(self._output)
                    await self.close()  # whatever state it is in, the next build gets a new one
                    return DbtOutcome(ok=False, error=f"dbt build did not run: {why}")
                run_results = json.loads(results.read_text())
                outcome = outcome_from_run_results(run_results, 0 if answer.get("success") else 1)
        log.info(
            "dbt_built",
            success=answer.get("success"),
            # dbt's own figure, and ours: the gap is the worker's start and dbt's set-up
            elapsed_s=round(float(run_results.get("elapsed_time") or 0.0), 2),
            wall_s=round(time.monotonic() - started, 2),
            slowest=[f"{name} {s:.2f}s" for name, s in slowest_nodes(run_results)],
            **outcome.counts(),
        )
        return outcome

    async def _build(
        self, tmp: str, on_progress: OnProgress | None, command: str = "build"
    ) -> dict[str, Any]:
        proc = await self._worker()
        assert proc.stdin is not None
        self._asked += 1
        request = {
            "command": command,
            "target_path": f"{tmp}/target",
            "log_path": f"{tmp}/logs",
            "id": self._asked,
        }
        proc.stdin.write((json.dumps(request) + "\n").encode())
        await proc.stdin.drain()
        return await self._answer(proc, on_progress, self._asked)

    async def _worker(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.transformer.dbt_worker",
            str(self._project),
            env=dbt_environment(self._pg),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=self._project,
            limit=16 * 1024 * 1024,
        )
        ready = await self._answer(self._proc)
        if not ready.get("ready"):
            raise WorkerFailed(str(ready.get("error")))
        log.info("dbt_worker_started", pid=self._proc.pid)
        return self._proc

    async def _answer(
        self,
        proc: asyncio.subprocess.Process,
        on_progress: OnProgress | None = None,
        request_id: int | None = None,
    ) -> dict[str, Any]:
        """The worker's answer to `request_id` (or its next one); progress goes to
        `on_progress` on the way, and its other lines are kept for error messages. An answer
        to an earlier request (one whose reader gave up) is skipped: taken for this one, it
        would shift every later build onto its predecessor's answer."""
        assert proc.stdout is not None
        while line := (await proc.stdout.readline()).decode(errors="replace"):
            # dbt's threads print too: an answer may share its line with their text.
            at = line.find(MARKER)
            if at < 0:
                self._output.append(line.rstrip())
                continue
            answer: dict[str, Any]
            try:
                answer, end = _DECODER.raw_decode(line, at + len(MARKER))
            except ValueError:
                self._output.append(line.rstrip())
                continue
            if text := (line[:at] + line[end:]).strip():
                self._output.append(text)
            if "progress" not in answer:
                if request_id is not None and answer.get("id") != request_id:
                    log.warning("dbt_worker_stale_answer", id=answer.get("id"), want=request_id)
                    continue
                return answer
            if on_progress is not None:
                try:
                    await on_progress(int(answer["progress"]), answer.get("total"))
                except Exception as exc:  # progress is for people; the build goes on
                    log.warning("dbt_progress_not_recorded", error=f"{type(exc).__name__}: {exc}")
        raise WorkerFailed("dbt worker exited: " + " | ".join(self._output))

    async def close(self) -> None:
        """Stop the worker (a new one starts with the next build)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
