"""Reading the e2e pipeline's warehouse, and putting it side by side with the simulator's truth.

Bars are compared by New York trading date, not by `t`: grouped daily stamps a bar at 16:00
where the range endpoint stamps it at midnight."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from testbed.pipeline import Pipeline

NEW_YORK = ZoneInfo("America/New_York")
Bars = dict[str, list[tuple[Any, ...]]]

_RAW = """select ticker, trading_date, open, high, low, close, volume, vwap, transactions,
                 bar_ts_ms, source, run_id, loaded_at
          from raw.stock_bars_daily where not adjusted and trading_date between $1 and $2
          order by ticker, trading_date"""


async def run_tickers(p: Pipeline, run_id: str) -> list[str]:
    """Every ticker a run's bar batches named."""
    conn = await p.connect()
    try:
        rows = await conn.fetch(
            "select unnest(tickers) as t from control.batches where run_id = $1"
            " and command->>'actions' is null order by 1",
            run_id,
        )
        return [r["t"] for r in rows]
    finally:
        await conn.close()


async def raw_bars(p: Pipeline, start: date, end: date) -> list[Any]:
    conn = await p.connect()
    try:
        return list(await conn.fetch(_RAW, start, end))
    finally:
        await conn.close()


def as_truth(rows: list[Any]) -> Bars:
    out: Bars = {}
    for r in rows:
        out.setdefault(r["ticker"], []).append(
            (
                r["trading_date"],
                r["open"],
                r["high"],
                r["low"],
                r["close"],
                r["volume"],
                r["vwap"],
                r["transactions"],
            )
        )
    return out


def truth_tuples(truth: dict[str, list[dict[str, Any]]]) -> Bars:
    return {
        t: [
            (
                datetime.fromtimestamp(b["t"] / 1000, NEW_YORK).date(),
                b["o"],
                b["h"],
                b["l"],
                b["c"],
                b["v"],
                b.get("vw"),
                b.get("n"),
            )
            for b in bars
        ]
        for t, bars in truth.items()
        if bars
    }


async def sim_requests(p: Pipeline) -> dict[str, int]:
    """The simulator's answered requests per endpoint kind (tickers, range, grouped, splits,
    dividends): what the pipeline asked for, less the retries its injected 5xx faults caused."""
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{p.sim_url}/_sim/stats")
    return dict(r.json()["answered"])
