{{ config(materialized='table', indexes=[{'columns': ['ticker', 'valid_until_date']}]) }}

with

events as (

    select * from {{ ref('int_corporate_actions_validated') }}

),

-- several valid events on one date act as one
valid_event_dates as (

    select
        ticker,
        event_date,
        coalesce({{ var('udf_schema') }}.product(price_factor) filter (where action_kind = 'split'), 1)
            as split_ratio,
        coalesce({{ var('udf_schema') }}.product(price_factor) filter (where action_kind = 'dividend'), 1)
            as dividend_ratio
    from events
    where is_valid
    group by ticker, event_date

),

-- every ticker with an event (even only rejected ones) gets a last, open-ended range with
-- factors 1, carrying when its events last changed: that is how a build finds what to rebuild
-- (int: any event; the marts, which read the split-adjusted series only: its splits)
ticker_actions as (

    select
        ticker,
        max(loaded_at) as actions_loaded_at,
        max(loaded_at) filter (where action_kind = 'split') as splits_loaded_at
    from events
    group by ticker

),

boundaries as (

    select ticker, event_date, split_ratio, dividend_ratio from valid_event_dates
    union all
    select ticker, 'infinity'::date, 1, 1 from ticker_actions

),

-- CRSP backward factors: a bar on day d is multiplied by the ratios of every event after d,
-- so the range [previous event date, event date) carries the product from this event on
ranges as (

    select
        ticker,
        coalesce(lag(event_date) over by_date, '-infinity'::date) as valid_from_date,
        event_date as valid_until_date,
        {{ var('udf_schema') }}.product(split_ratio) over from_the_end as split_factor,
        {{ var('udf_schema') }}.product(dividend_ratio) over from_the_end as dividend_factor
    from boundaries
    window
        by_date as (partition by ticker order by event_date),
        from_the_end as (
            partition by ticker
            order by event_date desc
            rows between unbounded preceding and current row
        )

)

select
    ranges.ticker,
    ranges.valid_from_date,
    ranges.valid_until_date,
    ranges.split_factor,
    ranges.dividend_factor,
    ticker_actions.actions_loaded_at,
    ticker_actions.splits_loaded_at
from ranges
inner join ticker_actions on ranges.ticker = ticker_actions.ticker
