"""The lister's repository fake (`ListerRepository`): control.runs, control.batches, the
watermarks, raw.tickers' stored rows and the outbox, keyed as the tables are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.lister.core import RunSpec
from services.lister.corporate_actions import Watermarks
from services.lister.ports import ListerRepository
from shared.clients.polygon import TickerRef
from shared.db.control import RunStatus, batch_count
from shared.db.outbox import OutboxMessage
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch


@dataclass
class FakeRun:
    request: dict[str, object]
    status: RunStatus = RunStatus.LISTING
    total_batches: int | None = None
    tickers_total: int | None = None
    api_requests: int = 0
    api_statuses: dict[str, int] | None = None  # null until listed or failed
    reason: str | None = None
    plan: str | None = None
    plan_reason: str | None = None


@dataclass
class FakeBatch:
    tickers: list[str]
    object_key: str | None = None
    loaded: bool = False
    command: str | None = None  # the FetchBatch as stored in control.batches.command (JSON)


class FakeRunRepository:
    """`RunRepository` over dicts keyed like control.runs, control.batches, the as-traded rows of
    control.ticker_watermarks (ticker) and control.corporate_action_watermarks (kind, ticker)."""

    def __init__(
        self,
        watermarks: Mapping[str, date] | None = None,
        action_marks: Watermarks | None = None,
        first_dates: Mapping[str, date] | None = None,
    ) -> None:
        self.runs: dict[str, FakeRun] = {}
        self.batches: dict[tuple[str, str], FakeBatch] = {}
        self.last_dates: dict[str, date] = dict(watermarks or {})
        self.action_marks: Watermarks = {k: dict(v) for k, v in (action_marks or {}).items()}
        # raw.stock_bars_daily's first as-traded bar per ticker
        self.first_dates: dict[str, date] = dict(first_dates or {})
        self.outbox: list[OutboxMessage] = []  # control.outbox, in publish order
        self.refs: dict[str, TickerRef] = {}  # raw.tickers, as an earlier listing stored it
        self.ticker_errors: dict[tuple[str, str], tuple[str, str]] = {}  # (run, ticker)

    async def ensure_run(self, spec: RunSpec) -> RunStatus:
        run = self.runs.setdefault(spec.run_id, FakeRun(request=spec.as_json()))
        return run.status

    async def watermarks(self) -> dict[str, date]:
        return dict(self.last_dates)

    async def action_watermarks(self) -> Watermarks:
        return {kind: dict(marks) for kind, marks in self.action_marks.items()}

    async def first_bars(self, tickers: list[str]) -> dict[str, date]:
        return {t: self.first_dates[t] for t in tickers if t in self.first_dates}

    async def register_batches(
        self,
        run_id: str,
        commands: list[FetchBatch],
        tickers_total: int,
        api_requests: int,
        api_statuses: Mapping[str, int],
        tickers_batch: tuple[str, str],
        plan: FetchPlan,
    ) -> None:
        for c in commands:
            stored = FakeBatch(list(c.tickers), command=c.model_dump_json(by_alias=True))
            self.batches.setdefault((run_id, c.batch_id), stored)
        tickers_id, key = tickers_batch
        self.batches.setdefault((run_id, tickers_id), FakeBatch([], object_key=key))
        run = self.runs[run_id]
        if run.status == RunStatus.LISTING:
            run.status, run.total_batches = RunStatus.RUNNING, batch_count(len(commands))
            run.tickers_total, run.api_requests = tickers_total, api_requests
            run.api_statuses = dict(api_statuses)
            run.plan, run.plan_reason = plan.kind, plan.reason

    async def fail(
        self,
        run_id: str,
        reason: str,
        events: list[OutboxMessage],
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        run = self.runs[run_id]
        if run.status == RunStatus.LISTING:
            run.status, run.reason = RunStatus.FAILED, reason
            run.api_requests, run.api_statuses = api_requests, dict(api_statuses)
            self.outbox.extend(e for e in events if e not in self.outbox)

    async def stored_refs(self, tickers: list[str]) -> dict[str, TickerRef]:
        return {t: self.refs[t] for t in tickers if t in self.refs}

    async def record_ticker_errors(self, run_id: str, errors: list[tuple[str, str, str]]) -> None:
        for ticker, kind, reason in errors:
            self.ticker_errors.setdefault((run_id, ticker), (kind, reason))

    async def reject(
        self, run_id: str, request: dict[str, Any], reason: str, events: list[OutboxMessage]
    ) -> None:
        if run_id not in self.runs:
            self.runs[run_id] = FakeRun(request=request, status=RunStatus.REJECTED, reason=reason)
            self.outbox.extend(events)

    async def unloaded_commands(self, run_id: str) -> list[FetchBatch]:
        return [
            FetchBatch.model_validate_json(b.command)
            for (run, _), b in sorted(self.batches.items())
            if run == run_id and not b.loaded and b.command is not None
        ]

    def mark_loaded(self, run_id: str, batch_id: str) -> None:
        """What the loader does to control.batches, for tests of a redelivered request."""
        self.batches[(run_id, batch_id)].loaded = True


# mypy holds the fake to the port here.
_REPOSITORY: type[ListerRepository] = FakeRunRepository
