{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['ticker', 'trading_date'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['ticker', 'trading_date'], 'unique': True},
            {'columns': ['loaded_at']},
            {'columns': ['inputs_loaded_at']},
            {'columns': ['trading_date']},
        ],
        pre_hook=[big_build_settings(), "set local datestyle = 'ISO, YMD'", full_build_marker()],
        post_hook=[analyze_after_full_build(), mark_model_built(), store_layout()],
        meta={'layout': 'lineage-in-raw'},
    )
}}

{#- Incremental: new bars are appended after each ticker's last built row; a ticker whose
    splits changed, with a dividend changed on or before its last built date, or with a bar at
    or before that date (re-pulled or late), is rebuilt whole. A dividend on a new day changes
    no built row: dividends grow the total-return index forward (int_adjustment_factors). See
    docs/dbt.md "Incremental design". -#}

-- depends_on: {{ ref('int_corporate_actions_validated') }} (the incremental plan's dividends)

with

factors as (

    select * from {{ ref('int_adjustment_factors') }}

),

{% if is_incremental() %}

{{ series_plan_ctes(
    upstream=ref('stg_polygon__stock_bars_daily'),
    change_column='loaded_at',
    built_change_column='bars_loaded_at',
    factors=ref('int_adjustment_factors'),
    events=ref('int_corporate_actions_validated'),
    carried=['close_price', 'tr_index'],
) }},

-- a rebuilt ticker's whole series, an appended ticker's last built row (to continue from: its
-- date, closes and loads, kept by built_last; it is not written) and its new bars
series_input as (

    select
        bars.ticker, bars.trading_date, bars.open_price, bars.high_price, bars.low_price,
        bars.close_price, bars.volume, bars.vwap_price, bars.transaction_count, bars.is_otc,
        bars.loaded_at,
        0::bigint as bar_number_offset,
        null::double precision as built_tr_index,
        false as is_built
    from plan
    cross join lateral
        {{ ticker_rows(ref('stg_polygon__stock_bars_daily'), 'plan.ticker') }} as bars
    where plan.is_rebuilt

    union all

    select
        new_rows.ticker, new_rows.trading_date, new_rows.open_price, new_rows.high_price,
        new_rows.low_price, new_rows.close_price, new_rows.volume, new_rows.vwap_price,
        new_rows.transaction_count, new_rows.is_otc, new_rows.loaded_at,
        plan.last_bar_number - 1,
        null,
        false
    from new_rows
    inner join plan on new_rows.ticker = plan.ticker and not plan.is_rebuilt
    where new_rows.trading_date > plan.last_trading_date

    union all

    -- only its date, closes and bar loads are read (lag, running max); it is never written
    select
        plan.ticker, plan.last_trading_date,
        null as open_price, null as high_price, null as low_price,
        built_last.last_close_price as close_price,
        null as volume, null as vwap_price, null as transaction_count, null as is_otc,
        built_last.last_change as loaded_at,
        plan.last_bar_number - 1,
        built_last.last_tr_index,
        true
    from plan
    inner join built_last on built_last.ticker = plan.ticker
    where not plan.is_rebuilt

),

{% else %}

series_input as (

    -- explicit columns: the view's bar_id (to_char) is computed below more cheaply
    select
        ticker, trading_date, open_price, high_price, low_price, close_price, volume, vwap_price,
        transaction_count, is_otc, loaded_at,
        0::bigint as bar_number_offset,
        null::double precision as built_tr_index,
        false as is_built
    from {{ ref('stg_polygon__stock_bars_daily') }}

),

{% endif %}

adjusted as (

    select
        series_input.*,
        coalesce(factors.split_factor, 1) as split_factor,
        coalesce(factors.dividend_growth, 1) as dividend_growth,
        factors.splits_loaded_at,
        factors.dividends_loaded_at
    from series_input
    left join factors
        on series_input.ticker = factors.ticker
        and series_input.trading_date >= factors.valid_from_date
        and series_input.trading_date < factors.valid_until_date

),

sequenced as (

    select
        *,
        close_price * split_factor as adj_close,
        -- the built row's own index, not one recomputed from today's factors: equal unless
        -- a dividend on or before it changed, which rebuilds the ticker
        coalesce(built_tr_index, close_price * split_factor * dividend_growth) as tr_index,
        bar_number_offset + row_number() over ticker_series as bar_number,
        lag(trading_date) over ticker_series as previous_trading_date,
        lag(close_price * split_factor) over ticker_series as previous_adj_close,
        lag(coalesce(built_tr_index, close_price * split_factor * dividend_growth))
            over ticker_series as previous_tr_index,
        -- the newest load among this bar and the ones before it (the default frame: a running
        -- max in the same window pass): a re-pulled bar changes it for every later bar
        max(loaded_at) over ticker_series as bars_loaded_at
    from adjusted
    window ticker_series as (partition by ticker order by trading_date)

),

final as (

    select
        -- date::text is YYYY-MM-DD under the ISO DateStyle the pre-hook sets (3x cheaper than
        -- to_char on a full build); equal to staging's bar_id
        ticker || '|' || trading_date::text as bar_id,
        ticker,
        trading_date,
        bar_number,
        previous_trading_date,

        ---------- as traded
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        vwap_price,
        transaction_count,

        ---------- adjustment
        split_factor,
        dividend_growth,
        open_price * split_factor as adj_open,
        high_price * split_factor as adj_high,
        low_price * split_factor as adj_low,
        adj_close,
        volume / split_factor as adj_volume,
        -- the total-return index: x the product of all the ticker's dividend ratios, it is
        -- tr_close (fct_adjusted_bars); the ratio of two days' indexes is the total return
        tr_index,

        ---------- returns on the split-adjusted and the total-return series
        previous_adj_close,
        adj_close / nullif(previous_adj_close, 0) - 1 as simple_return,
        case
            when adj_close > 0 and previous_adj_close > 0
                then ln(adj_close / previous_adj_close)
        end as log_return,
        previous_tr_index,
        tr_index / nullif(previous_tr_index, 0) - 1 as total_return,

        ---------- lineage (a bar's run, object and endpoint are in raw, by its key: not
        -- carried here, where they made a third of each row that every mart pass reads)
        is_otc,
        loaded_at,
        bars_loaded_at,
        splits_loaded_at,
        dividends_loaded_at,
        greatest(
            bars_loaded_at,
            coalesce(splits_loaded_at, '-infinity'),
            coalesce(dividends_loaded_at, '-infinity')
        ) as inputs_loaded_at

    from sequenced
    where not is_built

)

select * from final
