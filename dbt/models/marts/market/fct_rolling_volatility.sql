{{ bar_series_config() }}

{%- set window_size = var('volatility_window') | int %}

with

{% if is_incremental() %}

{{ series_plan_ctes(
    upstream=ref('int_stock_bars_adjusted'),
    change_column='inputs_loaded_at',
    built_change_column='inputs_loaded_at',
) }},

-- the window needs only the previous n - 1 returns of an appended ticker
bars as (

    select *, true as is_written from ({{ series_rows_to_write(ref('int_stock_bars_adjusted')) }}) as written
    union all
    select *, false from (
        {{ series_lookback_rows(ref('int_stock_bars_adjusted'), window_size - 1) }}
    ) as lookback

),

{% else %}

bars as (

    select *, true as is_written from {{ ref('int_stock_bars_adjusted') }}

),

{% endif %}

-- sample standard deviation of the last n log returns, scaled by sqrt(trading days per year);
-- null until n returns exist (the first bar of a ticker has no return)
volatility_computed as (

    select
        *,
        count(log_return) over trailing_returns as return_count,
        stddev_samp(log_return) over trailing_returns as log_return_stddev
    from bars
    window trailing_returns as (
        partition by ticker
        order by bar_number
        rows between {{ window_size - 1 }} preceding and current row
    )

),

final as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        log_return,
        case
            when return_count = {{ window_size }}
                then log_return_stddev * sqrt({{ var('trading_days_per_year') }}::double precision)
        end as annualized_volatility_20d,
        inputs_loaded_at

    from volatility_computed
    where is_written

)

select * from final
