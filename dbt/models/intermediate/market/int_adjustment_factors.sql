{{ config(materialized='table', indexes=[{'columns': ['ticker', 'valid_until_date']}]) }}

with

events as (

    select * from {{ ref('int_corporate_actions_validated') }}

),

-- several valid events on one date act as one; a date with rejected events only is a range
-- boundary too (ratios 1), so that its dividends' load stamps the bars from it on
event_dates as (

    select
        ticker,
        event_date,
        coalesce(
            {{ var('udf_schema') }}.product(price_factor)
                filter (where is_valid and action_kind = 'split'),
            1
        ) as split_ratio,
        coalesce(
            {{ var('udf_schema') }}.product(price_factor)
                filter (where is_valid and action_kind = 'dividend'),
            1
        ) as dividend_ratio,
        max(loaded_at) filter (where action_kind = 'dividend') as dividends_loaded_at
    from events
    where event_date is not null
    group by ticker, event_date

),

-- every ticker with an event (even only rejected ones) gets a last, open-ended range, carrying
-- when its splits last changed: that is how int finds a split to rebuild for (a split moves the
-- whole series) and the marts, which read the split-adjusted series only, what to rebuild
ticker_actions as (

    select
        ticker,
        max(loaded_at) filter (where action_kind = 'split') as splits_loaded_at
    from events
    group by ticker

),

boundaries as (

    select ticker, event_date, split_ratio, dividend_ratio, dividends_loaded_at
    from event_dates
    union all
    select ticker, 'infinity'::date, 1, 1, null from ticker_actions

),

-- The range [previous event date, event date). Splits are CRSP backward factors: a bar on day d
-- is multiplied by the ratios of every split after d (a new split moves the whole history).
-- Dividends grow forward: dividend_growth is the product of 1 / ratio over the dividends on or
-- before the range's first day, so a new ex-date changes no bar before it, and a daily build
-- writes its new bars only. The backward dividend factor is dividend_growth x the product of all
-- the ticker's ratios (the marts' views apply it: macro dividend_products). dividends_loaded_at
-- is the newest load of the dividends on or before the range's first day, valid or not: like
-- the growth, what a bar's values come from, so equal in an incremental build and a full one.
ranges as (

    select
        ticker,
        coalesce(lag(event_date) over by_date, '-infinity'::date) as valid_from_date,
        event_date as valid_until_date,
        {{ var('udf_schema') }}.product(split_ratio) over from_the_end as split_factor,
        coalesce(
            {{ var('udf_schema') }}.product(1 / dividend_ratio) over before_this_date, 1
        ) as dividend_growth,
        max(dividends_loaded_at) over before_this_date as dividends_loaded_at
    from boundaries
    window
        by_date as (partition by ticker order by event_date),
        from_the_end as (
            partition by ticker
            order by event_date desc
            rows between unbounded preceding and current row
        ),
        before_this_date as (
            partition by ticker
            order by event_date
            rows between unbounded preceding and 1 preceding
        )

)

select
    ranges.ticker,
    ranges.valid_from_date,
    ranges.valid_until_date,
    ranges.split_factor,
    ranges.dividend_growth,
    ticker_actions.splits_loaded_at,
    ranges.dividends_loaded_at
from ranges
inner join ticker_actions on ranges.ticker = ticker_actions.ticker
