{{ config(materialized='view') }}

-- a projection of int_stock_bars_adjusted (incremental, indexed): a view costs nothing to
-- build and reads the table's rows and indexes directly
with

bars as (

    select * from {{ ref('int_stock_bars_adjusted') }}

),

final as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,

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
        tr_close,

        ---------- factors
        split_factor,
        dividend_factor,

        ---------- lineage
        loaded_at,
        inputs_loaded_at

    from bars

)

select * from final
