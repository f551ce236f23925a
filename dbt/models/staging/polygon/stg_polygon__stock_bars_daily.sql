with

source as (

    select * from {{ source('polygon', 'stock_bars_daily') }}

),

renamed as (

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
        adjusted as is_split_adjusted,
        otc as is_otc,

        ---------- lineage
        source as source_endpoint,
        bar_ts_ms as bar_timestamp_ms,
        run_id,
        object_key,

        ---------- timestamps
        loaded_at

    from source

),

-- raw keeps an adjusted and an unadjusted bar per day when both were fetched;
-- keep one per (ticker, trading_date): the split-adjusted bar when there is one
one_bar_per_day as (

    select distinct on (ticker, trading_date) *
    from renamed
    order by ticker, trading_date, is_split_adjusted desc

)

select * from one_bar_per_day
