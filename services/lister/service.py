"""What the lister does for one run request, over its ports (ports.py): register the run, list
the tickers, store the listing, plan and register the batches, publish them; or, for a request
seen before, publish again what is not loaded yet. A run whose listing fails is failed, with
its event in the outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import structlog

from shared.clients.polygon import PolygonError, TickerRef
from shared.db.control import TICKERS_BATCH_ID, RunStatus, batch_count
from shared.db.outbox import OutboxMessage
from shared.fetch_plan import FetchPlan, plan_fetch
from shared.market_calendar import nyse_sessions
from shared.messages import FetchBatch, RunEvent, RunEventKind, topics
from shared.messages.raw_objects import ObjectHeader, encode_object, object_key

from .core import (
    RunSpec,
    drop_delisted_before_start,
    fetch_commands,
    select_tickers,
    ticker_starts,
)
from .corporate_actions import KINDS, action_commands, bars_from
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
    ) -> None:
        self._api, self._store, self._repo, self._publisher = api, store, repo, publisher
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

    async def _listing(self) -> list[TickerRef]:
        listed = [r async for r in self._api.list_tickers(active=True)]
        if self._include_delisted:
            listed += [r async for r in self._api.list_tickers(active=False)]
        return listed

    async def list_and_publish(self, spec: RunSpec) -> None:
        started, requests_before = time.monotonic(), self._api.requests_made
        try:
            listed = await self._listing()
        except PolygonError as exc:
            reason = f"listing tickers failed: {exc}"
            failed = _run_event(spec.run_id, RunEventKind.FINISHED, RunStatus.FAILED, detail=reason)
            # Through the outbox: a crash after the commit cannot lose the event.
            events = [OutboxMessage.of(failed, topics.RUN_EVENTS)]
            await self._repo.fail(spec.run_id, reason, events)
            log.error("run_listing_failed", error=str(exc))
            return
        tickers = select_tickers(listed, spec, spec.start or self._history_start)
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
        key = await self._store_listing(spec, listed, set(tickers), requests)
        await self._repo.register_batches(
            spec.run_id, commands, len(tickers), requests, (TICKERS_BATCH_ID, key), plan
        )
        await self._publish(commands)
        event = _run_event(
            spec.run_id,
            RunEventKind.LISTED,
            RunStatus.RUNNING,
            total_batches=batch_count(len(commands)),
            tickers=len(tickers),
            plan=plan.kind,
            detail=plan.reason,
        )
        await self._publisher.publish(event, topic=topics.RUN_EVENTS, key=spec.run_id.encode())
        log.info(
            "run_listed",
            tickers=len(tickers),
            batches=batch_count(len(commands)),
            plan=plan.kind,
            plan_reason=plan.reason,
            api_requests=requests,
            duration_s=round(time.monotonic() - started, 3),
        )

    async def _commands(
        self, spec: RunSpec, plan: FetchPlan, starts: dict[str, date], whole_market: bool
    ) -> list[FetchBatch]:
        """The bar batches of the plan, then one batch per kind of corporate action."""
        kinds = len(KINDS) if starts else 0
        bars = fetch_commands(spec, plan, starts, self._days_per_batch, kinds)
        total = batch_count(len(bars) + kinds)
        marks = await self._repo.action_watermarks()
        need = bars_from(starts, await self._repo.first_bars(sorted(starts)))
        actions = action_commands(
            spec, need, marks, self._actions_lookback, whole_market, len(bars), total
        )
        return bars + actions

    async def _store_listing(
        self, spec: RunSpec, listed: list[TickerRef], chosen: set[str], requests: int
    ) -> str:
        """The listing as the API sent it: the loader, not the lister, writes raw tables."""
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
                command,
                topic=topics.TICKER_BATCHES,
                key=f"{command.run_id}/{command.batch_id}".encode(),
            )


def _run_event(run_id: str, kind: RunEventKind, status: RunStatus, **fields: object) -> RunEvent:
    return RunEvent(
        run_id=run_id, message_id=f"{run_id}/{kind.value}", kind=kind, status=status, **fields
    )
