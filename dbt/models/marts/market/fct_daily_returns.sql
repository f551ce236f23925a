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

-- returns are computed once, in int_stock_bars_adjusted, from the previous available bar
final as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        previous_trading_date,
        adj_close,
        previous_adj_close,
        simple_return,
        log_return,
        tr_close,
        previous_tr_close,
        total_return,
        adj_volume,
        loaded_at,
        inputs_loaded_at

    from bars

)

select * from final
