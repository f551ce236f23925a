{{ config(materialized='table') }}

with

splits as (

    select * from {{ ref('stg_polygon__stock_splits') }}

),

dividends as (

    select * from {{ ref('stg_polygon__stock_dividends') }}

),

-- not materialized: read twice, it must stay a view the lookups below reach by raw's index
bars as not materialized (

    select * from {{ ref('stg_polygon__stock_bars_daily') }}

),

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

-- a cash amount is per share as paid then, so it is priced against the as-traded close of the
-- ticker's last trading day before the ex-date (an index probe per dividend)
dividends_priced as (

    select
        dividends.*,
        previous_bar.close_price as previous_close_price
    from dividends
    left join lateral (
        select bars.close_price
        from bars
        where bars.ticker = dividends.ticker
          and bars.trading_date < dividends.ex_dividend_date
        order by bars.trading_date desc
        limit 1
    ) as previous_bar on true

),

-- price_factor multiplies as-traded prices before the event's date onto the basis after it
events as (

    select
        'split' as action_kind,
        split_id as event_id,
        ticker,
        execution_date as event_date,
        split_from / split_to as price_factor,
        split_from,
        split_to,
        null::double precision as cash_amount,
        null::double precision as previous_close_price,
        run_id,
        object_key,
        loaded_at
    from splits

    union all

    select
        'dividend' as action_kind,
        dividend_id as event_id,
        ticker,
        ex_dividend_date as event_date,
        1 - cash_amount / previous_close_price as price_factor,
        null as split_from,
        null as split_to,
        cash_amount,
        previous_close_price,
        run_id,
        object_key,
        loaded_at
    from dividends_priced

),

-- the relational rules are dbt's (the loader checks each event alone); a factor that is not
-- positive and finite would poison every cumulative product, so it never passes either
validated as (

    select
        events.*,
        case
            when not exists (select from bars where bars.ticker = events.ticker)
                 and not exists (select from tickers where tickers.ticker = events.ticker)
                then 'unknown ticker'
            when action_kind = 'dividend' and previous_close_price is null
                then 'no previous close'
            when action_kind = 'dividend' and cash_amount >= previous_close_price
                then 'cash amount not below the previous close'
            when action_kind = 'dividend' and cash_amount < 0
                then 'negative cash amount'
            when price_factor is null
                 or price_factor <= 0
                 or price_factor in ('NaN', 'Infinity')
                then 'factor not positive and finite'
        end as rejection_reason
    from events

)

select
    *,
    rejection_reason is null as is_valid
from validated
