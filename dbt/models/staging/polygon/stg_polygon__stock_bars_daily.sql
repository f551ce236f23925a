-- No CTEs (the staging pattern's `source` and `renamed`), on purpose: Postgres never flattens a
-- view whose query has a WITH, so every reader (the dividends' previous-close lookups, the
-- tests of the new bars, int's candidates) would get a subquery scan that cannot use raw's
-- index order, and a sort of each ticker's history per lookup. A plain projection is flattened.
--
-- As traded only: adjusted series are derived downstream from these and the corporate actions;
-- adjusted = true rows an older warehouse may hold are ignored. Raw's primary key (ticker,
-- trading_date, adjusted) makes (ticker, trading_date) unique here without a sort.
select

    ----------  ids
    -- to_char, not ::text, so the key does not depend on the session's DateStyle
    ticker || '|' || to_char(trading_date, 'YYYY-MM-DD') as bar_id,
    ticker,
    trading_date,

    ---------- numerics
    open as open_price,
    high as high_price,
    low as low_price,
    close as close_price,
    volume,
    vwap as vwap_price,
    transactions as transaction_count,

    ---------- booleans
    otc as is_otc,

    ---------- lineage
    source as source_endpoint,
    bar_ts_ms as bar_timestamp_ms,
    run_id,
    object_key,

    ---------- timestamps
    loaded_at

from {{ source('polygon', 'stock_bars_daily') }}
where adjusted = false
