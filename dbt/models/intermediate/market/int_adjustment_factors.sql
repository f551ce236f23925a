{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='ticker',
        on_schema_change='fail',
        indexes=[{'columns': ['ticker', 'valid_until_date']}],
        post_hook=[delete_tickers_without_events(), store_layout()],
        meta={'layout': 'events-fingerprint'},
    )
}}

{#- Incremental: a build writes again only the tickers whose events changed, told by a
    fingerprint of each ticker's validated events stored on its rows. A daily build re-validates
    a few dozen tickers' events (new ones, and dividends whose previous close moved), and the
    ranges of the others stay as they are; rebuilt whole, this table was 0.6-0.9 s of every
    5-year daily build, on the path every mart waits for. A ticker left without any event or
    split move (its only events moved to another ticker, unrecorded for dividends) is deleted
    by the post-hook. -#}

with

events as (

    select * from {{ ref('int_corporate_actions_validated') }}

),

-- per event, a hash of every field the ranges are computed from, in session-independent
-- forms (the float's bits, the epoch). A split that moved to another ticker counts for the
-- ticker it left as a load of its splits, at the move: the ticker's split history changed,
-- and int and the marts find that by a newer splits_loaded_at (a lower one, the newest of the
-- splits it has left, none would look for)
event_hashes as (

    select
        ticker,
        hashtextextended(
            concat(
                action_kind, '|', event_id, '|', event_date - date '2000-01-01', '|',
                encode(float8send(price_factor), 'hex'), '|', is_valid, '|',
                extract(epoch from loaded_at)
            ),
            0
        ) as event_hash,
        case when action_kind = 'split' then loaded_at end as splits_loaded_at
    from events

    union all

    select
        from_ticker,
        hashtextextended(
            concat('split moved', '|', split_id, '|', extract(epoch from moved_at)), 0
        ),
        moved_at
    from {{ ref('stg_polygon__split_ticker_moves') }}

),

-- per ticker: the xor of its events' hashes (no order to sort by; event ids are unique, so no
-- two rows cancel), and when its splits last changed
ticker_events as (

    select
        ticker,
        bit_xor(event_hash) as events_fingerprint,
        max(splits_loaded_at) as splits_loaded_at
    from event_hashes
    group by ticker

),

-- the tickers this build writes: all of them in a full build, else those whose fingerprint
-- differs from the one stored with their ranges (or that have none yet)
ticker_actions as (

    select ticker_events.*
    from ticker_events
    {% if is_incremental() %}
    left join {{ this }} as built
        on built.ticker = ticker_events.ticker
        and built.valid_until_date = 'infinity'
    where built.events_fingerprint is distinct from ticker_events.events_fingerprint
    {% endif %}

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
    {%- if is_incremental() %}
      and ticker in (select ticker from ticker_actions)
    {%- endif %}
    group by ticker, event_date

),

-- every ticker with an event (even only rejected ones) or a split that left it gets a last,
-- open-ended range, carrying when its splits last changed (ticker_actions): that is how int
-- finds a split to rebuild for (a split moves the whole series) and the marts, which read the
-- split-adjusted series only, what to rebuild
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
    ranges.dividends_loaded_at,
    ticker_actions.events_fingerprint
from ranges
inner join ticker_actions on ranges.ticker = ticker_actions.ticker
