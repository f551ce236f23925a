"""Generated raw rows for the dbt benchmark: as-traded bars of tickers T00001.., their splits and
dividends, written by Postgres itself (generate_series) so that millions of bars take minutes.

Ticker i (1-based) has an economic price base * exp(two slow waves + noise); tickers with
i % 100 = 7 split once a year on their 126th day of each year (2-for-1, or 1-for-10 when
i % 500 = 7) and trade as traded on the new basis; tickers with i % 10 < 4 pay a quarterly
dividend of 0.4 % of their base price.
"""

from __future__ import annotations

from typing import Any

LAST_DAY = "2024-12-31"
SPLIT_DAY = 126  # a split ticker's split day in each 252-day year
QUARTER = 63

# _BARS, _SPLITS and _DIVIDENDS each read `days` (i, day_index, trading_date) and stamp
# loaded_at with $LOADED: the history and the next day differ only in those (_insert).

# one bar per day
_BARS = f"""
insert into raw.stock_bars_daily (
    ticker, trading_date, adjusted, open, high, low, close, volume, vwap, transactions, otc,
    bar_ts_ms, source, run_id, object_key, loaded_at
)
select
    ticker, trading_date, false, open,
    greatest(open, close) * (1 + 0.01 * random()),
    least(open, close) * (1 - 0.01 * random()),
    close, 1e6 * (1 + random()), close, 1000, false,
    (extract(epoch from trading_date) * 1000)::bigint, 'grouped_daily', 'bench',
    'bench/' || trading_date, $LOADED
from (
    select
        ticker, trading_date, close * exp(0.01 * (random() - 0.5)) as open, close
    from (
        select
            'T' || lpad(i::text, 5, '0') as ticker,
            trading_date,
            (5 + (i * 7919) % 500)
            * exp(0.3 * sin(day_index / 37.0 + i) + 0.1 * sin(day_index / 5.3 + 2 * i)
                  + 0.02 * (random() - 0.5))
            -- as traded: the price factor of every split on or before this day
            * case when i % 100 = 7 and day_index >= {SPLIT_DAY}
                then power(case when i % 500 = 7 then 10.0 else 0.5 end,
                           (day_index - {SPLIT_DAY}) / 252 + 1)
                else 1 end as close
        from days
    ) as economic
) as priced
"""

_DAYS = f"""
create temporary table bench_days as
select trading_date, row_number() over (order by trading_date) as day_index
from (
    select d::date as trading_date
    from generate_series('{LAST_DAY}'::date - $1 * 400, '{LAST_DAY}'::date, '1 day') as d
    where extract(isodow from d) < 6
    order by d desc
    limit $1 * 252
) as weekdays
"""

_TICKERS = """
insert into raw.tickers (
    ticker, name, market, locale, primary_exchange, type, active, currency_name, run_id,
    object_key, loaded_at
)
select 'T' || lpad(i::text, 5, '0'), 'Ticker ' || i, 'stocks', 'us', 'XNYS', 'CS', true, 'usd',
    'bench', 'bench/tickers', $2
from generate_series(1, $1) as i
"""

_SPLITS = f"""
insert into raw.stock_splits (
    id, ticker, execution_date, split_from, split_to, run_id, object_key, loaded_at
)
select 'S-' || i || '-' || day_index, 'T' || lpad(i::text, 5, '0'), trading_date,
    case when i % 500 = 7 then 10 else 1 end, case when i % 500 = 7 then 1 else 2 end,
    'bench', 'bench/splits', $LOADED
from days
where i % 100 = 7 and day_index % 252 = {SPLIT_DAY}
"""

_DIVIDENDS = f"""
insert into raw.stock_dividends (
    id, ticker, ex_dividend_date, cash_amount, currency, frequency, dividend_type, run_id,
    object_key, loaded_at
)
select 'D-' || i || '-' || day_index, 'T' || lpad(i::text, 5, '0'), trading_date,
    0.004 * (5 + (i * 7919) % 500), 'USD', 4, 'CD', 'bench', 'bench/dividends', $LOADED
from days
where i % 10 < 4 and day_index > 1 and day_index % {QUARTER} = i % {QUARTER}
"""


async def generate_history(conn: Any, tickers: int, years: int) -> int:
    """`years` x 252 weekdays up to LAST_DAY for `tickers` tickers, loaded a day ago; the bars."""
    loaded = "now() - interval '1 day'"
    await conn.execute(_DAYS, years)
    await conn.execute(_TICKERS.replace("$2", loaded), tickers)
    days = f"(select i, day_index, trading_date from generate_series(1, {int(tickers)}) as i"
    days += " cross join bench_days) as days"
    for query in (_SPLITS, _DIVIDENDS, _BARS):
        await _insert(conn, query, days, loaded)
    await _vacuum(conn)
    return int(await conn.fetchval("select count(*) from raw.stock_bars_daily"))


async def load_next_day(conn: Any) -> tuple[int, int]:
    """One new bar for every ticker on the weekday after the newest, and the splits and
    dividends dated that day (as a day brings them: a dividend's ex-date changes its ticker's
    whole total-return history), loaded now; how many bars and events."""
    days = """(
        select tickers.i, latest.day_index + 1 as day_index, latest.next_date as trading_date
        from (select substr(ticker, 2)::int as i from raw.tickers) as tickers
        cross join (
            select count(distinct trading_date) as day_index,
                max(trading_date) + case extract(isodow from max(trading_date))
                    when 5 then 3 when 6 then 2 else 1 end as next_date
            from raw.stock_bars_daily
        ) as latest
    ) as days"""
    # the day's events first: `days` reads the newest day, which its bars would move
    events = sum([await _insert(conn, query, days, "now()") for query in (_SPLITS, _DIVIDENDS)])
    # not vacuumed: the daily build runs right after the loader, as in the pipeline
    return await _insert(conn, _BARS, days, "now()"), events


async def _insert(conn: Any, query: str, days: str, loaded: str) -> int:
    """`query` over the day rows `days`, stamped `loaded`; the rows it inserted."""
    status: str = await conn.execute(
        query.replace("from days", f"from {days}").replace("$LOADED", loaded)
    )
    return int(status.rsplit(" ", 1)[1])


async def _vacuum(conn: Any) -> None:
    """A long-lived warehouse's raw tables are vacuumed and analysed by autovacuum."""
    for table in ("stock_bars_daily", "tickers", "stock_splits", "stock_dividends"):
        await conn.execute(f"vacuum analyze raw.{table}")
