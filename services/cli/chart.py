"""`stocks-elt chart TICKER`: a ticker's close, moving averages and volatility from the marts,
as a PNG (-o) or drawn in the terminal."""

from __future__ import annotations

import asyncio
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from shared.clients.db import connect

from .chart_series import ChartRow
from .chart_text import terminal_chart
from .reader import reader_settings

_ROWS_SQL = """
select m.trading_date, m.adj_close, m.sma_20, m.sma_50, m.sma_200, m.ema_12, m.ema_26,
       v.annualized_volatility_20d
from marts.fct_moving_averages m
left join marts.fct_rolling_volatility v using (ticker, trading_date)
where m.ticker = $1
  and ($2::date is null or m.trading_date >= $2)
  and ($3::date is null or m.trading_date <= $3)
order by m.trading_date
"""


async def read_rows(
    conn: asyncpg.Connection, ticker: str, start: date | None, end: date | None
) -> list[ChartRow]:
    """The ticker's bars from start to end (both optional, inclusive), oldest first."""
    return [ChartRow(*r) for r in await conn.fetch(_ROWS_SQL, ticker, start, end)]


async def _fetch(ticker: str, start: date | None, end: date | None) -> list[ChartRow]:
    conn = await connect(reader_settings())
    try:
        return await read_rows(conn, ticker, start, end)
    finally:
        await conn.close()


def chart(
    ticker: Annotated[str, typer.Argument(help="Case-sensitive, as Polygon spells it")],
    from_: Annotated[date | None, typer.Option("--from", formats=["%Y-%m-%d"])] = None,
    to: Annotated[date | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write a PNG")] = None,
) -> None:
    """The split-adjusted close with SMA 20/50/200 and EMA 12/26, and the 20-day volatility
    below: a PNG with -o, else drawn in the terminal."""
    rows = asyncio.run(_fetch(ticker, from_, to))
    if not rows:
        typer.echo(f"no bars of {ticker} in the marts for that range", err=True)
        raise typer.Exit(1)
    title = f"{ticker} split-adjusted close, {rows[0].trading_date} to {rows[-1].trading_date}"
    if output is not None:
        # imported here: matplotlib takes a second to import, which every other command skips
        from .chart_png import draw_png

        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(draw_png(rows, title))
        typer.echo(f"wrote {output} ({len(rows)} bars)")
        return
    size = shutil.get_terminal_size((100, 30))
    typer.echo(terminal_chart(rows, title, size.columns, size.lines - 2, sys.stdout.isatty()))
