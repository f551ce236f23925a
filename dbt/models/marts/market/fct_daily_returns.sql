{{ config(materialized='view') }}

-- a projection of int_stock_bars_adjusted (incremental, indexed): a view costs nothing to
-- build and reads the table's rows and indexes directly. No CTEs: Postgres never flattens a
-- view whose query has a WITH, so a filter on the view would scan the whole table. The
-- total-return close is int's index x the ticker's dividend product, as in fct_adjusted_bars
select
    bars.bar_id,
    bars.ticker,
    bars.trading_date,
    bars.bar_number,
    previous_trading_date,
    adj_close,
    previous_adj_close,
    simple_return,
    log_return,
    bars.tr_index * coalesce(dividends.ratio_product, 1) as tr_close,
    bars.previous_tr_index * coalesce(dividends.ratio_product, 1) as previous_tr_close,
    total_return,
    adj_volume,
    loaded_at,
    inputs_loaded_at

from {{ ref('int_stock_bars_adjusted') }} as bars
left join {{ dividend_products() }} as dividends on dividends.ticker = bars.ticker
