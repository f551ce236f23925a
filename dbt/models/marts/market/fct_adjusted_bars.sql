{{ config(materialized='view') }}

-- a projection of int_stock_bars_adjusted (incremental, indexed): a view costs nothing to
-- build and reads the table's rows and indexes directly. No CTEs: Postgres never flattens a
-- view whose query has a WITH, so a filter on the view (the tests' written rows bound) would
-- scan the whole table instead of using its indexes. The backward dividend factor is int's
-- forward growth x the product of all the ticker's dividend ratios (macro dividend_products):
-- kept here, not in int, so that a new dividend rewrites no stored row
select
    bars.bar_id,
    bars.ticker,
    bars.trading_date,
    bars.bar_number,

    ---------- as traded
    open_price,
    high_price,
    low_price,
    close_price,
    volume,

    ---------- split-adjusted (volume divided by the split factor)
    adj_open,
    adj_high,
    adj_low,
    adj_close,
    adj_volume,

    ---------- total return: as traded x split factor x dividend factor
    bars.tr_index * coalesce(dividends.ratio_product, 1) as tr_close,

    ---------- factors
    split_factor,
    bars.dividend_growth * coalesce(dividends.ratio_product, 1) as dividend_factor,

    ---------- lineage
    loaded_at,
    inputs_loaded_at

from {{ ref('int_stock_bars_adjusted') }} as bars
left join {{ dividend_products() }} as dividends on dividends.ticker = bars.ticker
