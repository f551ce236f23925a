"""The loader's repository fake (`LoaderRepository`): the raw tables, the ticker errors, the
corporate-action watermarks and the batches' load marks, keyed and upserted as Postgres does
(including the errors Postgres raises for what it cannot store)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson

from services.lister.corporate_actions import Coverage
from services.loader.core import BAR_COLUMNS, TICKER_COLUMNS
from services.loader.corporate_actions import DIVIDEND_COLUMNS, SPLIT_COLUMNS, Rejected
from services.loader.ports import LoaderRepository
from shared.db.control import WHOLE_MARKET
from shared.messages.raw_objects import ObjectHeader, TickerError


class DuplicateKeyInObject(ValueError):
    """Postgres: ON CONFLICT DO UPDATE cannot affect a row a second time in one statement."""


@dataclass(frozen=True)
class FakeLoadedBatch:
    object_key: str
    bars_loaded: int
    tickers_failed: int
    first_loaded_by: int  # which load() call set loaded_at (coalesce keeps the first)


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


# mypy holds the fake to the port here.
_REPOSITORY: type[LoaderRepository] = FakeRawRepository
