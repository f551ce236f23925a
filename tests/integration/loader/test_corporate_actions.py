"""The loader's corporate-action writes against real Postgres, as the ingest role: upserts by id
that move loaded_at only on a correction, the rejected ledger, forward-only watermarks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg
import orjson
import pytest

from services.loader.corporate_actions import event_rows
from services.loader.repository import RawRepository
from shared.db.control import SPLITS_BATCH_ID
from shared.messages.raw_objects import ObjectHeader, TickerError

pytestmark = pytest.mark.integration

SPLIT = {
    "id": "S1",
    "ticker": "AAA",
    "execution_date": "2024-06-10",
    "split_from": 1,
    "split_to": 2,
}
DIVIDEND = {"id": "D1", "ticker": "AAA", "ex_dividend_date": "2024-05-02", "cash_amount": 0.5}


@pytest.fixture
def db(ingest_pool: asyncpg.Pool) -> tuple[None, asyncpg.Pool]:
    return None, ingest_pool


def _head(
    kind: str, start: date, to: date, tickers: list[str] | None, error: TickerError | None = None
) -> ObjectHeader:
    return ObjectHeader(
        kind=kind,
        run_id="r1",
        batch_id=kind,
        source="reference_splits" if kind == "splits" else "reference_dividends",
        items=0,
        from_=start,
        to=to,
        tickers=tickers,
        error=error,
    )


async def _load(pool: asyncpg.Pool, kind: str, events: Sequence[object], **head: object) -> None:
    rows, rejected = event_rows(kind, [orjson.dumps(e) for e in events])
    start = head.pop("start", date(2024, 6, 1))
    to = head.pop("to", date(2024, 6, 30))
    tickers = head.pop("tickers", None)
    await RawRepository(pool).load_actions(
        _head(kind, start, to, tickers, **head),  # type: ignore[arg-type]
        f"raw/polygon/r1/{kind}.jsonl",
        rows,
        rejected,
    )


class TestUpsertById:
    async def test_a_re_read_event_keeps_its_loaded_at(self, db: tuple[None, asyncpg.Pool]) -> None:
        """Reading the same split again changes nothing, so no ticker is rebuilt for it."""
        _, pool = db
        await _load(pool, "splits", [SPLIT])
        before = await pool.fetchval("select loaded_at from raw.stock_splits where id = 'S1'")

        await _load(pool, "splits", [SPLIT])

        after = await pool.fetchval("select loaded_at from raw.stock_splits where id = 'S1'")
        assert before == after

    async def test_a_corrected_event_is_updated_and_marked_new(
        self, db: tuple[None, asyncpg.Pool]
    ) -> None:
        """A vendor correction (the split a day later) replaces the row and moves loaded_at."""
        _, pool = db
        await _load(pool, "splits", [SPLIT])
        before = await pool.fetchrow("select * from raw.stock_splits where id = 'S1'")

        await _load(pool, "splits", [{**SPLIT, "execution_date": "2024-06-11"}])

        after = await pool.fetchrow("select * from raw.stock_splits where id = 'S1'")
        assert before is not None and after is not None
        assert (date(2024, 6, 11), True) == (
            after["execution_date"],
            after["loaded_at"] > before["loaded_at"],
        )

    async def test_dividends_keep_every_field(self, db: tuple[None, asyncpg.Pool]) -> None:
        """A dividend's optional fields are stored when sent and null when not."""
        _, pool = db
        full = {**DIVIDEND, "id": "D2", "currency": "USD", "frequency": 4, "dividend_type": "CD",
                "pay_date": "2024-05-20"}  # fmt: skip

        await _load(pool, "dividends", [DIVIDEND, full])

        rows = await pool.fetch(
            "select id, cash_amount, currency, frequency, pay_date from raw.stock_dividends"
            " order by id"
        )
        expected = [
            ("D1", 0.5, None, None, None),
            ("D2", 0.5, "USD", 4, date(2024, 5, 20)),
        ]
        assert expected == [tuple(r) for r in rows]


class TestRejected:
    async def test_bad_events_go_to_the_ledger_with_their_reason_and_payload(
        self, db: tuple[None, asyncpg.Pool]
    ) -> None:
        """A zero ratio, a NUL in a ticker and conflicting copies: ledgered, none stored."""
        _, pool = db
        events = [
            {**SPLIT, "id": "S0", "split_from": 0},
            {**SPLIT, "id": "SN", "ticker": "A\x00B"},
            {**SPLIT, "id": "SC"},
            {**SPLIT, "id": "SC", "split_to": 3},
            SPLIT,
        ]

        await _load(pool, "splits", events)

        stored = await pool.fetch("select id from raw.stock_splits order by id")
        ledger = await pool.fetch(
            "select kind, event_id, ticker, reason, payload->>'id' as sent"
            " from raw.rejected_corporate_actions order by event_id"
        )
        assert ["S1"] == [r["id"] for r in stored]
        assert [("split", "S0", "AAA", "S0"), ("split", "SC#0", "AAA", "SC"),
                ("split", "SC#1", "AAA", "SC"), ("split", "SN", None, "SN")] == [
            (r["kind"], r["event_id"], r["ticker"], r["sent"]) for r in ledger
        ]  # fmt: skip
        assert "split_from" in ledger[0]["reason"]


class TestWatermarks:
    async def test_coverages_grow_where_they_touch_and_never_shrink(
        self, db: tuple[None, asyncpg.Pool]
    ) -> None:
        """A whole-market object covers '*', a ticker object its tickers; an earlier read that
        touches extends the start, a re-read inside changes nothing, and a read past a gap
        keeps the old coverage (the next run reads again from its end)."""
        _, pool = db
        june, july = (date(2024, 6, 1), date(2024, 6, 30)), (date(2024, 6, 1), date(2024, 7, 31))
        await _load(pool, "dividends", [], start=june[0], to=june[1])
        await _load(pool, "dividends", [], start=july[0], to=july[1], tickers=["AAA", "BBB"])
        await _load(pool, "dividends", [], start=date(2024, 5, 1), to=date(2024, 5, 31),
                    tickers=["AAA"])  # fmt: skip
        await _load(pool, "dividends", [], start=date(2024, 6, 5), to=date(2024, 6, 9),
                    tickers=["AAA"])  # fmt: skip
        await _load(pool, "dividends", [], start=date(2024, 9, 1), to=date(2024, 9, 30),
                    tickers=["BBB"])  # fmt: skip

        rows = await pool.fetch(
            "select ticker, fetched_from, fetched_through from control.corporate_action_watermarks"
            " where kind = 'dividends' order by ticker"
        )
        expected = [
            ("*", *june),
            ("AAA", date(2024, 5, 1), july[1]),
            ("BBB", *july),
        ]
        assert expected == [tuple(r) for r in rows]

    async def test_a_failed_fetch_is_a_ticker_error_and_moves_no_watermark(
        self, db: tuple[None, asyncpg.Pool]
    ) -> None:
        """The run names `*splits`, and the next run reads the same range again."""
        _, pool = db
        error = TickerError(kind="gave_up", reason="503 for 60 s")

        await _load(pool, "splits", [], error=error)

        errors = await pool.fetch("select ticker, kind from control.ticker_errors")
        marks = await pool.fetchval("select count(*) from control.corporate_action_watermarks")
        loaded = await pool.fetchval(
            "select loaded_at is not null from control.batches where batch_id = $1",
            SPLITS_BATCH_ID,
        )
        assert ([("*splits", "gave_up")], 0, True) == ([tuple(r) for r in errors], marks, loaded)
