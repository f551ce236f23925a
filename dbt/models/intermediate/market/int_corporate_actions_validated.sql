{#- Incremental: a build re-validates only what may have changed since the last one (see
    `to_check`), so a daily run costs its new events, not one previous-close lookup per dividend
    ever paid. The index on ticker: the marts' views read a ticker's dividend product (macro
    dividend_products); without it a one-ticker query on them scanned all the events, 13 ms of
    14 after five years. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['action_kind', 'event_id'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['action_kind', 'event_id'], 'unique': True},
            {'columns': ['ticker']},
        ],
    )
}}

with

-- not materialized: read twice, it must stay a view the lookups below reach by raw's index
bars as not materialized (

    select * from {{ ref('stg_polygon__stock_bars_daily') }}

),

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

{% if is_incremental() %}

-- what may have changed since the last build: events new or changed since (their loaded_at
-- differs from the one validated; a hash anti-join, exact, no time window); dividends of a
-- ticker with bars loaded since (the bars int_stock_bars_adjusted has not seen, by raw's
-- loaded_at index) dated before their ex-date (their previous close may move); and every event
-- rejected so far (its ticker may have arrived)
new_bars as (

    select ticker, min(trading_date) as first_new_date
    from bars
    where loaded_at >= {{ incremental_since(
        intermediate_relation('int_stock_bars_adjusted'),
        "select " ~ var('udf_schema') ~ ".high_watermark("
        ~ "'intermediate.int_stock_bars_adjusted', 'loaded_at') - interval '"
        ~ var('incremental_lookback') ~ "'",
    ) }}
    group by ticker

),

-- left joins, not `not exists ... or ...` (a sublink under OR runs once per event)
splits as (

    select splits.*
    from {{ ref('stg_polygon__stock_splits') }} as splits
    left join {{ this }} as validated
        on validated.action_kind = 'split' and validated.event_id = splits.split_id
    where validated.loaded_at is distinct from splits.loaded_at
       or not validated.is_valid

),

dividends as (

    select dividends.*
    from {{ ref('stg_polygon__stock_dividends') }} as dividends
    left join {{ this }} as validated
        on validated.action_kind = 'dividend' and validated.event_id = dividends.dividend_id
    left join new_bars on new_bars.ticker = dividends.ticker
    where validated.loaded_at is distinct from dividends.loaded_at
       or not validated.is_valid
       or new_bars.first_new_date < dividends.ex_dividend_date

),

{% else %}

splits as (

    select * from {{ ref('stg_polygon__stock_splits') }}

),

dividends as (

    select * from {{ ref('stg_polygon__stock_dividends') }}

),

{% endif %}

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
-- positive and finite would poison every cumulative product, so it never passes either.
-- Materialized: the reason is read twice below, and each copy would run its lookups again
validated as materialized (

    select
        events.*,
        case
            -- the small tickers table first: the bars probe runs only for an unlisted ticker
            when not exists (select from tickers where tickers.ticker = events.ticker)
                 and not exists (select from bars where bars.ticker = events.ticker)
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
