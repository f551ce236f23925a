"""In-memory fakes of the ports the pipeline services use: the same method signatures as the real
adapters, and state kept the way the real tables key it, so a replay shows up as no change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.lister.core import RunSpec
from services.lister.corporate_actions import Coverage, Watermarks
from services.loader.core import BAR_COLUMNS, TICKER_COLUMNS
from services.loader.corporate_actions import DIVIDEND_COLUMNS, SPLIT_COLUMNS, Rejected
from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.dbt_runner import OnProgress
from services.transformer.repository import OutboxMessage, PendingMessage
from shared.clients.broker import RetryPolicy
from shared.clients.polygon import CorporateActionKind, DailyBar, PolygonError, TickerRef
from shared.clients.storage import ObjectNotFound
from shared.db.control import WHOLE_MARKET
from shared.db.outbox import OutboxMessage as ListerOutboxMessage
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch, RunStatus
from shared.messages.raw_objects import ObjectHeader, TickerError


async def _yield_to_others() -> None:
    """A scheduling point where the real adapter awaits the network (no time passes)."""
    await asyncio.sleep(0)


# --- object store ------------------------------------------------------------------------------


class FakeObjectStore:
    """`ObjectStore` over a dict: a put overwrites, as a re-fetch does in MinIO."""

    def __init__(self, fail_puts_with: Exception | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.puts: list[str] = []
        self._fail_puts_with = fail_puts_with

    async def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> None:
        await _yield_to_others()
        if self._fail_puts_with is not None:
            raise self._fail_puts_with
        self.objects[key] = data
        self.content_types[key] = content_type
        self.puts.append(key)

    async def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    async def lines(self, key: str) -> AsyncIterator[bytes]:
        if key not in self.objects:
            raise ObjectNotFound(key)  # as the MinIO adapter does on NoSuchKey
        for line in self.objects[key].split(b"\n"):
            if line.strip():
                yield line


# --- Polygon -----------------------------------------------------------------------------------


class FakePolygonClient:
    """The Polygon client's calls the services make, over canned tickers, bars and errors."""

    def __init__(
        self,
        tickers: Iterable[TickerRef] = (),
        bars: Mapping[str, list[DailyBar]] | None = None,
        errors: Mapping[str, PolygonError] | None = None,
        listing_error: PolygonError | None = None,
        day_errors: Mapping[date, PolygonError] | None = None,
        events: Mapping[str, list[dict[str, Any]]] | None = None,
        events_error: PolygonError | None = None,
        events_page_size: int = 1000,
    ) -> None:
        self.tickers = list(tickers)
        self.bars = dict(bars or {})
        self.errors = dict(errors or {})
        self.listing_error = listing_error
        self.day_errors = dict(day_errors or {})
        self.events = {kind: list(items) for kind, items in (events or {}).items()}
        self.events_error = events_error
        self.events_page_size = events_page_size
        self.bar_calls: list[tuple[str, date, date, bool]] = []
        self.grouped_calls: list[tuple[date, bool, bool]] = []
        self.action_calls: list[tuple[str, date, date, str | None]] = []
        self._requests = 0

    @property
    def requests_made(self) -> int:
        return self._requests

    async def list_tickers(
        self,
        *,
        market: str | None = "stocks",
        active: bool | None = True,
        ticker_type: str | None = None,
        as_of: date | None = None,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[TickerRef]:
        # Polygon's `active=false` lists only the delisted names; None lists both.
        chosen = [r for r in self.tickers if active is None or (r.active is not False) == active]
        chosen = [r for r in chosen if ticker is None or r.ticker == ticker]
        pages = [chosen[i : i + limit] for i in range(0, len(chosen), limit)] or [[]]
        for page in pages:
            self._requests += 1
            await _yield_to_others()
            if self.listing_error is not None:
                raise self.listing_error
            for ref in page:
                yield ref

    async def daily_bars(
        self, ticker: str, start: date, end: date, *, adjusted: bool = True, limit: int = 50000
    ) -> list[DailyBar]:
        self._requests += 1  # counted when sent, like the real transport
        self.bar_calls.append((ticker, start, end, adjusted))
        await _yield_to_others()
        if ticker in self.errors:
            raise self.errors[ticker]
        return [b for b in self.bars.get(ticker, []) if start <= b.trading_date <= end]

    async def grouped_daily(
        self, day: date, *, adjusted: bool = True, include_otc: bool = False
    ) -> list[DailyBar]:
        self._requests += 1
        self.grouped_calls.append((day, adjusted, include_otc))
        await _yield_to_others()
        if day in self.day_errors:
            raise self.day_errors[day]
        return [b for bars in self.bars.values() for b in bars if b.trading_date == day]

    async def corporate_actions(
        self,
        kind: CorporateActionKind,
        start: date,
        end: date,
        *,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of the canned events of `kind` in [start, end] (by their ISO date string; an
        event without a readable date is always sent, odd values are the loader's to judge), of
        `ticker` or the whole market, as sent. `events_error` is raised at the first request."""
        self.action_calls.append((kind, start, end, ticker))
        on = _EVENT_DATES[kind]
        chosen = [
            e
            for e in self.events.get(kind, [])
            if (ticker is None or e.get("ticker") == ticker) and _within(e.get(on), start, end)
        ]
        size = min(limit, self.events_page_size)
        pages = [chosen[i : i + size] for i in range(0, len(chosen), size)] or [[]]
        for page in pages:
            self._requests += 1
            await _yield_to_others()
            if self.events_error is not None:
                raise self.events_error
            yield page


_EVENT_DATES = {"splits": "execution_date", "dividends": "ex_dividend_date"}


def _within(value: Any, start: date, end: date) -> bool:
    """An ISO date string within [start, end]; anything else is kept, as the filter cannot
    read it (the simulator and Polygon never send such events, hostile tests do)."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return True
    return start <= day <= end


# --- fetcher: control.batches -----------------------------------------------------------------


class FakeBatchRepository:
    """`FetcherRepository` over dicts keyed like control.batches (run_id, batch_id): a batch is
    wanted while `wanted` (the lister registered it, its run is running) and it is not fetched;
    `mark_fetched` sets its key and request count, as the UPDATE does."""

    def __init__(
        self, wanted: bool = True, registered: Iterable[FetchBatch] = (), refetch: bool = False
    ) -> None:
        self.wanted = wanted
        self.refetch = refetch  # True: a fetched batch stays wanted (its object was lost)
        self.registered = {(c.run_id, c.batch_id): c for c in registered}
        self.fetched: dict[tuple[str, str], tuple[str, int]] = {}
        self.marks = 0  # mark_fetched calls

    async def wants(self, run_id: str, batch_id: str) -> bool:
        await _yield_to_others()
        return self.wanted and (self.refetch or (run_id, batch_id) not in self.fetched)

    async def with_tickers(self, batch: FetchBatch) -> FetchBatch:
        if not batch.tickers_held:
            return batch
        return self.registered[(batch.run_id, batch.batch_id)]

    async def mark_fetched(self, run_id: str, batch_id: str, key: str, api_requests: int) -> None:
        await _yield_to_others()
        self.fetched[(run_id, batch_id)] = (key, api_requests)
        self.marks += 1


# --- lister: control.runs and control.batches ---------------------------------------------------


@dataclass
class FakeRun:
    request: dict[str, object]
    status: RunStatus = RunStatus.LISTING
    total_batches: int | None = None
    tickers_total: int | None = None
    api_requests: int = 0
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
        self.outbox: list[ListerOutboxMessage] = []  # control.outbox, in publish order
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
            run.status, run.total_batches = RunStatus.RUNNING, len(commands) + 1
            run.tickers_total, run.api_requests = tickers_total, api_requests
            run.plan, run.plan_reason = plan.kind, plan.reason

    async def fail(self, run_id: str, reason: str, events: list[ListerOutboxMessage]) -> None:
        run = self.runs[run_id]
        if run.status == RunStatus.LISTING:
            run.status, run.reason = RunStatus.FAILED, reason
            self.outbox.extend(e for e in events if e not in self.outbox)

    async def stored_refs(self, tickers: list[str]) -> dict[str, TickerRef]:
        return {t: self.refs[t] for t in tickers if t in self.refs}

    async def record_ticker_errors(self, run_id: str, errors: list[tuple[str, str, str]]) -> None:
        for ticker, kind, reason in errors:
            self.ticker_errors.setdefault((run_id, ticker), (kind, reason))

    async def reject(
        self, run_id: str, request: dict[str, Any], reason: str, events: list[ListerOutboxMessage]
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


# --- loader: the raw tables ---------------------------------------------------------------------


class DuplicateKeyInObject(ValueError):
    """Postgres: ON CONFLICT DO UPDATE cannot affect a row a second time in one statement."""


@dataclass(frozen=True)
class FakeLoadedBatch:
    object_key: str
    bars_loaded: int
    tickers_failed: int
    first_loaded_by: int  # which load() call set loaded_at (coalesce keeps the first)


# Handlers retry transient failures in place; in the unit tier without waiting.
INSTANT_RETRIES = RetryPolicy(attempts=3, first_wait_s=0.0)

_BAR_VALUES = ("open", "high", "low", "close", "volume", "vwap", "transactions", "otc")


def _grown(old: Coverage | None, new: Coverage) -> Coverage:
    """A coverage grows only where the new read touches it (a gap keeps the old one)."""
    if old is None:
        return new
    if new.first > old.last + timedelta(days=1) or new.last + timedelta(days=1) < old.first:
        return old
    return Coverage(min(old.first, new.first), max(old.last, new.last))


class FakeRawRepository:
    """`RawRepository` over dicts keyed like the tables: bars by (ticker, trading_date, adjusted),
    tickers by ticker, errors by (run_id, ticker), batches by (run_id, batch_id)."""

    def __init__(
        self, runs: Iterable[str] = (), named: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.runs = set(runs)
        # control.runs' request tickers, by run
        self.named = {run: frozenset(t) for run, t in (named or {}).items()}
        self.bars: dict[tuple[str, date, bool], dict[str, Any]] = {}
        self.tickers: dict[str, dict[str, Any]] = {}
        self.ticker_errors: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.batches: dict[tuple[str, str], FakeLoadedBatch] = {}
        self.loads: list[tuple[str, str, str, str]] = []
        self.rows_written = 0  # rows an upsert inserted or changed
        self.splits: dict[str, dict[str, Any]] = {}
        self.dividends: dict[str, dict[str, Any]] = {}
        # raw.rejected_corporate_actions by (kind, event_id, object_key): (ticker, reason, payload)
        self.rejected: dict[tuple[str, str, str], tuple[str | None, str, Any]] = {}
        # control.corporate_action_watermarks by (kind, ticker): (fetched_from, fetched_through)
        self.action_marks: dict[tuple[str, str], Coverage] = {}

    async def run_exists(self, run_id: str) -> bool:
        return run_id in self.runs

    async def named_tickers(self, run_id: str) -> frozenset[str]:
        return self.named.get(run_id, frozenset())

    async def load_actions(
        self,
        head: ObjectHeader,
        key: str,
        rows: list[tuple[Any, ...]],
        rejected: list[Rejected],
    ) -> None:
        self.loads.append((head.kind, head.run_id, head.batch_id, key))
        table, columns = (
            (self.splits, SPLIT_COLUMNS)
            if head.kind == "splits"
            else (self.dividends, DIVIDEND_COLUMNS)
        )
        incoming = [(*row, head.run_id, key) for row in rows]
        self._upsert(table, (*columns, "run_id", "object_key"), incoming, _id_key, columns[1:], key)
        kind = head.kind.removesuffix("s")
        for r in rejected:
            payload = _as_jsonb(r.payload)
            self.rejected.setdefault((kind, r.event_id, key), (r.ticker, r.reason, payload))
        if head.error is None and head.from_ is not None and head.to is not None:
            new = Coverage(head.from_, head.to)
            for ticker in head.tickers if head.tickers is not None else [WHOLE_MARKET]:
                old = self.action_marks.get((head.kind, ticker))
                self.action_marks[(head.kind, ticker)] = _grown(old, new)
        errors = [(f"*{head.kind}", head.error)] if head.error is not None else []
        self._finish_batch(head.run_id, head.batch_id, key, 0, errors)

    async def load(
        self,
        kind: str,
        run_id: str,
        batch_id: str,
        key: str,
        chunks: AsyncIterable[list[tuple[Any, ...]]],
        errors: list[tuple[str, TickerError]],
    ) -> int:
        incoming = [row async for chunk in chunks for row in chunk]  # as COPY drains them
        self.loads.append((kind, run_id, batch_id, key))
        if kind == "daily_bars":
            self._upsert(self.bars, BAR_COLUMNS, incoming, _bar_key, _BAR_VALUES, key)
        else:
            self._upsert(
                self.tickers, TICKER_COLUMNS, incoming, _ticker_key, TICKER_COLUMNS[1:13], key
            )
        self._finish_batch(run_id, batch_id, key, len(incoming), errors)
        return len(incoming)

    def _finish_batch(
        self, run_id: str, batch_id: str, key: str, rows: int, errors: list[tuple[str, TickerError]]
    ) -> None:
        """The batch's ticker errors, and the batch marked loaded (the first loaded_at kept)."""
        for ticker, error in errors:
            prior = self.ticker_errors.get((run_id, ticker))
            first_batch = prior[0] if prior else batch_id
            self.ticker_errors[(run_id, ticker)] = (first_batch, error.kind, error.reason)
        prior_batch = self.batches.get((run_id, batch_id))
        self.batches[(run_id, batch_id)] = FakeLoadedBatch(
            key,
            rows,
            len(errors),
            prior_batch.first_loaded_by if prior_batch else len(self.loads),
        )

    def _upsert(
        self,
        table: dict[Any, dict[str, Any]],
        columns: tuple[str, ...],
        incoming: list[tuple[Any, ...]],
        key_of: Callable[[dict[str, Any]], Hashable],
        compared: Sequence[str],
        object_key: str,
    ) -> None:
        """Insert, or rewrite only rows whose values changed (`is distinct from`)."""
        rows = [dict(zip(columns, r, strict=True)) for r in incoming]
        keys = [key_of(r) for r in rows]
        if len(set(keys)) != len(keys):
            raise DuplicateKeyInObject(f"{object_key}: a key appears twice")
        for k, row in zip(keys, rows, strict=True):
            old = table.get(k)
            if old is None or any(old[c] != row[c] for c in compared):
                table[k] = row
                self.rows_written += 1


def _bar_key(row: dict[str, Any]) -> tuple[str, date, bool]:
    return row["ticker"], row["trading_date"], row["adjusted"]


def _ticker_key(row: dict[str, Any]) -> str:
    return str(row["ticker"])


def _id_key(row: dict[str, Any]) -> str:
    return str(row["id"])


class JsonbRejected(ValueError):
    """Postgres: the text is not JSON, or holds \\u0000, which jsonb cannot store."""


def _as_jsonb(payload: str) -> Any:
    """What `$n::jsonb` makes of the text, or the error Postgres raises."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise JsonbRejected(f"invalid input syntax for type json: {exc}") from exc
    if _has_nul(value):
        raise JsonbRejected("unsupported Unicode escape sequence: \\u0000")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


# --- transformer: control.runs and the completion set -------------------------------------------


class ForeignKeyViolation(LookupError):
    """Postgres: the row references a run that control.runs does not hold."""


@dataclass
class ControlRun:
    status: RunStatus = RunStatus.RUNNING
    total_batches: int | None = None
    tickers_total: int = 0
    tickers_failed: int = 0
    bars: int = 0
    reason: str | None = None
    dbt_result: dict[str, Any] | None = None
    heartbeats: int = 0
    test_results: dict[str, DataTestResult] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)  # batches the lister registered


class FakeControlRepository:
    """`ControlRepository` over dicts: the completion SET per run, and a claim that only one
    caller wins (no await between the check and the change, as one UPDATE is atomic)."""

    def __init__(self, claim_barrier: asyncio.Barrier | None = None) -> None:
        self.runs: dict[str, ControlRun] = {}
        self._claim_barrier = claim_barrier  # makes racing replicas all reach the check
        self.completed: dict[str, set[str]] = {}
        self.claims: list[str] = []
        self.stale: set[str] = set()  # runs whose heartbeat the test declares old
        self.stalled: set[str] = set()  # runs the test declares without progress
        self.quiet: set[str] = set()  # runs the test declares quiet (for the reconciler)
        self.lock_log: list[str] = []  # the dbt lock taken and released, in order
        self.outbox: list[tuple[OutboxMessage, bool]] = []  # (message, published), in id order

    def add_run(self, run_id: str, batches: Iterable[str] = (), **fields: Any) -> ControlRun:
        """A run as the lister leaves it (status running with its total and its registered
        batches, unless given)."""
        self.runs[run_id] = ControlRun(**fields, listed=set(batches))
        return self.runs[run_id]

    def _done(self, run_id: str) -> int:
        return len(self.completed.get(run_id, set()) & self.runs[run_id].listed)

    async def complete_batch(self, run_id: str, batch_id: str) -> tuple[int, int | None]:
        await _yield_to_others()
        run = self.runs.get(run_id)
        if run is None:
            raise ForeignKeyViolation(f"completed_batches.run_id {run_id!r} is not in control.runs")
        self.completed.setdefault(run_id, set()).add(batch_id)
        return self._done(run_id), run.total_batches

    async def claim(self, run_id: str) -> bool:
        await _yield_to_others()
        if self._claim_barrier is not None:
            await self._claim_barrier.wait()
        run = self.runs.get(run_id)
        complete = (
            run is not None
            and run.total_batches is not None
            and self._done(run_id) >= run.total_batches
        )
        if run is None or run.status != RunStatus.RUNNING or not complete:
            return False
        run.status = RunStatus.TRANSFORMING
        self.claims.append(run_id)
        return True

    async def run_exists(self, run_id: str) -> bool:
        return run_id in self.runs

    async def claim_complete(self) -> list[str]:
        claimed = []
        for run_id in sorted(self.runs):
            run = self.runs[run_id]
            if (
                run.status == RunStatus.RUNNING
                and run.total_batches is not None
                and self._done(run_id) >= run.total_batches
            ):
                run.status = RunStatus.TRANSFORMING
                self.claims.append(run_id)
                claimed.append(run_id)
        return claimed

    async def take_over_stale(self, stale_after_s: float) -> list[str]:
        taken = sorted(r for r in self.stale if self.runs[r].status == RunStatus.TRANSFORMING)
        self.stale -= set(taken)
        return taken

    async def heartbeat(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.runs[run_id].heartbeats += 1

    async def fail_stalled(
        self, stall_after_s: float, events: Callable[[str, str], list[OutboxMessage]]
    ) -> list[tuple[str, str]]:
        failed = []
        for run_id in sorted(self.stalled):
            run = self.runs[run_id]
            if run.status in (RunStatus.LISTING, RunStatus.RUNNING):
                run.status = RunStatus.FAILED
                run.reason = "stalled: batches never loaded"
                failed.append((run_id, run.reason))
                self._to_outbox(events(run_id, run.reason))
        self.stalled.clear()
        return failed

    async def unloaded(self, quiet_for_s: float) -> dict[str, set[str]]:
        return {
            r: self.runs[r].listed - self.completed.get(r, set())
            for r in sorted(self.quiet)
            if self.runs[r].status == RunStatus.RUNNING
        }

    def _to_outbox(self, events: list[OutboxMessage]) -> None:
        for m in events:
            if all(o.message_id != m.message_id for o, _ in self.outbox):
                self.outbox.append((m, False))

    async def outbox_pending(self, limit: int = 500) -> list[PendingMessage]:
        return [
            PendingMessage(i, m.topic, m.key, m.payload)
            for i, (m, published) in enumerate(self.outbox)
            if not published
        ][:limit]

    async def outbox_published(self, ids: list[int]) -> None:
        for i in ids:
            self.outbox[i] = (self.outbox[i][0], True)

    async def summary(self, run_id: str) -> dict[str, Any]:
        run = self.runs.get(run_id)
        if run is None:
            return {}
        return {
            "total_batches": run.total_batches,
            "tickers_total": run.tickers_total,
            "failed": run.tickers_failed,
            "bars": run.bars,
        }

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None,
        dbt: DbtOutcome,
        events: list[OutboxMessage],
    ) -> None:
        self._to_outbox(events)
        run = self.runs[run_id]
        run.status, run.reason, run.dbt_result = status, reason, dbt.as_json()
        run.test_results.update((t.unique_id, t) for t in dbt.tests)

    @contextlib.asynccontextmanager
    async def dbt_lock(self) -> AsyncIterator[None]:
        self.lock_log.append("locked")
        try:
            yield
        finally:
            self.lock_log.append("unlocked")


class FakeDbtRunner:
    """`DbtRunner` that counts builds and answers with a canned outcome."""

    def __init__(self, outcome: DbtOutcome | None = None) -> None:
        self.outcome = outcome or DbtOutcome(ok=True, models_built=5, tests_passed=20)
        self.builds: list[str] = []
        self.closed = 0

    async def build(self, run_id: str, on_progress: OnProgress | None = None) -> DbtOutcome:
        self.builds.append(run_id)
        await _yield_to_others()  # a real build takes a while: let another replica interleave
        return self.outcome

    async def close(self) -> None:
        self.closed += 1


# --- Kafka: a throwaway consumer ----------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """One message as a consumer of the topic would see it."""

    body: bytes
    key: bytes | None
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return orjson.loads(self.body)


class TopicRecorder:
    """Subscribes to `topic` on the broker under test (before `TestKafkaBroker` starts) and
    records every message published there, bytes and headers as sent."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self.messages: list[Delivered] = []

        @broker.subscriber(topic)
        async def record(message: KafkaMessage) -> None:
            raw = message.raw_message
            key = raw.key if not isinstance(raw, tuple) else None
            self.messages.append(Delivered(message.body, key, dict(message.headers)))

    def bodies(self) -> list[Any]:
        return [m.json() for m in self.messages]
