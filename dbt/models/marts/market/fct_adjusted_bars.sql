{{ bar_series_config() }}

with

{% if is_incremental() %}

{{ series_plan_ctes(
    upstream=ref('int_stock_bars_adjusted'),
    change_column='inputs_loaded_at',
    built_change_column='inputs_loaded_at',
) }},

bars as (

    {{ series_rows_to_write(ref('int_stock_bars_adjusted')) }}

),

{% else %}

bars as (

    select * from {{ ref('int_stock_bars_adjusted') }}

),

{% endif %}

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
