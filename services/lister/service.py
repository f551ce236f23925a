"""What the lister does for one run request, over its ports (ports.py): register the run, list
the tickers (or, for named tickers, look up only those), store the listing, plan and register
the batches, publish them; or, for a request seen before, publish again what is not loaded yet.
A run whose listing fails is failed, and a request no run can come of is rejected, each with its
event in the outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog

from shared.clients.polygon import PolygonError, TickerRef, outcomes_since
from shared.db.control import TICKERS_BATCH_ID, RunStatus, batch_count
from shared.db.outbox import OutboxMessage
from shared.fetch_plan import FetchPlan, plan_fetch
from shared.market_calendar import nyse_sessions
from shared.messages import FetchBatch, RunEvent, RunEventKind, topics
from shared.messages.raw_objects import ObjectHeader, encode_object, object_key
from shared.observability import metrics

from .core import (
    RunSpec,
    as_published,
    drop_delisted_before_start,
    fetch_commands,
    select_tickers,
    ticker_starts,
)
from .corporate_actions import action_commands, bars_from, kinds_to_read
from .named_tickers import NOT_FOUND, named_refs, not_found_reason
from .ports import ListerRepository, ObjectStore, PolygonApi, Publisher

log = structlog.get_logger()


class Lister:
    def __init__(
        self,
        api: PolygonApi,
        store: ObjectStore,
        repo: ListerRepository,
        publisher: Publisher,
        raw_prefix: str,
        include_delisted: bool,
        history_start: date,
        days_per_batch: int,
        actions_lookback: timedelta,
        actions_fresh_for: timedelta = timedelta(0),
    ) -> None:
        self._api, self._store, self._repo, self._publisher = api, store, repo, publisher
        self._actions_fresh_for = actions_fresh_for
        self._prefix = raw_prefix
        self._include_delisted = include_delisted
        self._history_start = history_start
        self._days_per_batch = days_per_batch
        self._actions_lookback = actions_lookback

    async def start(self, spec: RunSpec) -> None:
        """A run request: a new run is listed; one seen before (a redelivery, or the same
        request sent again) gets whatever is not loaded yet published again."""
        if await self._repo.ensure_run(spec) == RunStatus.LISTING:
            await self.list_and_publish(spec)
        else:
            await self.republish(spec)

    async def reject(self, run_id: str, request: dict[str, Any], reason: str) -> None:
        """A request no run can come of: a finished run `rejected`, with why and its event."""
        event = _run_event(run_id, RunEventKind.FINISHED, RunStatus.REJECTED, detail=reason)
        events = [OutboxMessage.of(event, topics.RUN_EVENTS)]
        await self._repo.reject(run_id, request, reason, events)
        metrics.RUNS.labels(RunStatus.REJECTED.value).inc()
        log.warning("run_rejected", run_id=run_id, reason=reason[:300])

    async def _listing(self) -> list[TickerRef]:
        listed = [r async for r in self._api.list_tickers(active=True)]
        if self._include_delisted:
            listed += [r async for r in self._api.list_tickers(active=False)]
        return listed

    async def _references(
        self, spec: RunSpec
    ) -> tuple[list[TickerRef], list[TickerRef], list[str]]:
        """(rows the run chooses from, rows its listing object stores, names not found). Named
        tickers are looked up alone, and only when no earlier listing stored them: never the
        whole universe's pages."""
        if spec.tickers is None:
            listed = await self._listing()
            return listed, listed, []
        found = await named_refs(
            self._api, spec.tickers, await self._repo.stored_refs(list(spec.tickers))
        )
        return found.refs, found.fetched, found.not_found

    async def list_and_publish(self, spec: RunSpec) -> None:
        started, requests_before = time.monotonic(), self._api.requests_made
        statuses_before = self._api.requests_by_status
        try:
            listed, fetched, missing = await self._references(spec)
        except PolygonError as exc:
            reason = f"listing tickers failed: {exc}"
            failed = _run_event(spec.run_id, RunEventKind.FINISHED, RunStatus.FAILED, detail=reason)
            # Through the outbox: a crash after the commit cannot lose the event.
            events = [OutboxMessage.of(failed, topics.RUN_EVENTS)]
            requests = self._api.requests_made - requests_before
            statuses = outcomes_since(statuses_before, self._api.requests_by_status)
            await self._repo.fail(spec.run_id, reason, events, requests, statuses)
            metrics.RUNS.labels(RunStatus.FAILED.value).inc()
            log.error("run_listing_failed", error=str(exc))
            return
        named = select_tickers(listed, spec, spec.start or self._history_start)
        tickers = [t for t in named if t not in missing]
        await self._repo.record_ticker_errors(
            spec.run_id, [(t, NOT_FOUND, not_found_reason(t)) for t in named if t in missing]
        )
        watermarks = await self._repo.watermarks() if spec.incremental else {}
        starts = drop_delisted_before_start(
            ticker_starts(tickers, spec, watermarks, self._history_start), listed
        )
        first = min(starts.values(), default=spec.end)
        sessions = await asyncio.to_thread(nyse_sessions, first, spec.end)
        whole_market = spec.tickers is None and spec.max_tickers is None
        plan = plan_fetch(starts, spec.end, sessions, spec.plan, whole_market)
        commands = await self._commands(spec, plan, starts, whole_market)
        requests = self._api.requests_made - requests_before
        statuses = outcomes_since(statuses_before, self._api.requests_by_status)
        key = await self._store_listing(spec, fetched, set(tickers), requests)
        await self._repo.register_batches(
            spec.run_id,
            commands,
            len(named),
            requests,
            statuses,
            (TICKERS_BATCH_ID, key),
            plan,
        )
        await self._publish(commands)
        event = _run_event(
            spec.run_id,
            RunEventKind.LISTED,
            RunStatus.RUNNING,
            total_batches=batch_count(len(commands)),
            tickers=len(named),
            plan=plan.kind,
            detail=plan.reason,
        )
        await self._publisher.publish(event, topic=topics.RUN_EVENTS, key=spec.run_id.encode())
        metrics.RUNS.labels(RunStatus.RUNNING.value).inc()
        log.info(
            "run_listed",
            tickers=len(named),
            not_found=len(missing),
            batches=batch_count(len(commands)),
            plan=plan.kind,
            plan_reason=plan.reason,
            api_requests=requests,
            duration_s=round(time.monotonic() - started, 3),
        )

    async def _commands(
        self, spec: RunSpec, plan: FetchPlan, starts: dict[str, date], whole_market: bool
    ) -> list[FetchBatch]:
        """The bar batches of the plan, then one batch per kind of corporate action still to
        read (none when every ticker's events through the end are settled or fresh)."""
        marks = await self._repo.action_watermarks()
        need = bars_from(starts, await self._repo.first_bars(sorted(starts)))
        lookback, fresh_for = self._actions_lookback, self._actions_fresh_for
        kinds = kinds_to_read(need, marks, spec.end, lookback, datetime.now(UTC), fresh_for)
        bars = fetch_commands(spec, plan, starts, self._days_per_batch, len(kinds))
        total = batch_count(len(bars) + len(kinds))
        actions = action_commands(
            spec, need, marks, lookback, whole_market, len(bars), total, kinds
        )
        return bars + actions

    async def _store_listing(
        self, spec: RunSpec, listed: list[TickerRef], chosen: set[str], requests: int
    ) -> str:
        """The rows the API sent (all of them, or those of named tickers looked up now): the
        loader, not the lister, writes raw tables."""
        key = object_key(self._prefix, spec.run_id, TICKERS_BATCH_ID)
        rows = [r.raw for r in listed if r.ticker in chosen]
        header = ObjectHeader(
            kind="tickers",
            run_id=spec.run_id,
            batch_id=TICKERS_BATCH_ID,
            source="reference_tickers",
            items=len(rows),
            api_requests=requests,
        )
        await self._store.put(key, encode_object(header, rows), "application/x-ndjson")
        return key

    async def republish(self, spec: RunSpec) -> None:
        """A redelivered request: publish again whatever is not loaded yet."""
        commands = await self._repo.unloaded_commands(spec.run_id)
        await self._publish(commands)
        log.info("run_republished", batches=len(commands))

    async def _publish(self, commands: list[FetchBatch]) -> None:
        for command in commands:
            await self._publisher.publish(
                as_published(command),
                topic=topics.TICKER_BATCHES,
                key=f"{command.run_id}/{command.batch_id}".encode(),
            )


def _run_event(run_id: str, kind: RunEventKind, status: RunStatus, **fields: object) -> RunEvent:
    return RunEvent(
        run_id=run_id, message_id=f"{run_id}/{kind.value}", kind=kind, status=status, **fields
    )
