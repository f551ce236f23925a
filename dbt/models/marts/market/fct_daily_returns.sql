{{ config(materialized='view') }}

-- a projection of int_stock_bars_adjusted (incremental, indexed): a view costs nothing to
-- build and reads the table's rows and indexes directly. No CTEs: Postgres never flattens a
-- view whose query has a WITH, so a filter on the view would scan the whole table
select
    bar_id,
    ticker,
    trading_date,
    bar_number,
    previous_trading_date,
    adj_close,
    previous_adj_close,
    simple_return,
    log_return,
    tr_close,
    previous_tr_close,
    total_return,
    adj_volume,
    loaded_at,
    inputs_loaded_at

from {{ ref('int_stock_bars_adjusted') }}
