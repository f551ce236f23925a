{%- set window_size = var('volatility_window') | int %}

{#- the tail: the running totals of the last bars the window looks back to -#}
{%- set tail = {
    'length': window_size,
    'arrays': {
        'log_return_running_count': 'bigint',
        'log_return_running_sum': 'double precision',
        'log_return_running_sum_of_squares': 'double precision',
    },
} %}
{{ bar_series_config(tail=tail) }}

with

{{ price_series_cte(ref('int_stock_bars_adjusted')) }},

{% if is_incremental() %}

-- an appended ticker continues the running totals from its last built row and needs the
-- totals of the bars n back from its new ones, from its tail: not n - 1 returns
{{ mart_plan_ctes(upstream='price_series', windows=[window_size], tail=tail) }},

-- an appended ticker's first new bar adds the totals of its last built bar (its tail's) to its
-- own terms, so the running totals continue
bars as (

    select
        *,
        -- int, as the full build's term: sum(int) is bigint, sum(bigint) numeric
        ((log_return is not null)::int + coalesce(stored_log_return_running_count, 0))::int
            as count_term,
        coalesce(log_return, 0) + coalesce(stored_log_return_running_sum, 0) as sum_term,
        coalesce(log_return * log_return, 0)
            + coalesce(stored_log_return_running_sum_of_squares, 0) as squares_term
    from written

),

{% else %}

bars as (

    select
        ticker, trading_date, bar_number, bar_id, log_return, inputs_loaded_at,
        (log_return is not null)::int as count_term,
        coalesce(log_return, 0) as sum_term,
        coalesce(log_return * log_return, 0) as squares_term
    from price_series

),

{% endif %}

-- running totals of the log returns from the ticker's bar 1: count, sum and sum of squares.
-- Every window orders a ticker's rows by trading_date, the order of bar_number and of int's
-- (ticker, trading_date) index, which a full build reads: no sort (by bar_number the planner
-- sorted 2.5 M rows a year of the whole market: 5.0-5.2 -> 4.5-4.6 s, EXPLAIN ANALYZE)
{%- set order = 'trading_date' %}
totals as (

    select
        *,
        {{ running_total('count_term', order) }} as log_return_running_count,
        {{ running_total('sum_term', order) }} as log_return_running_sum,
        {{ running_total('squares_term', order) }} as log_return_running_sum_of_squares
    from bars

),

-- the last n bars' returns: totals differenced with the bar n back (0 before bar 1)
windowed as (

    select
        *,
        log_return_running_count - case
            when bar_number > {{ window_size }}
                then {{ bars_back('log_return_running_count', window_size, order) }}
            else 0
        end as return_count,
        log_return_running_sum - case
            when bar_number > {{ window_size }}
                then {{ bars_back('log_return_running_sum', window_size, order) }}
            else 0
        end as window_sum,
        log_return_running_sum_of_squares - case
            when bar_number > {{ window_size }}
                then {{ bars_back('log_return_running_sum_of_squares', window_size, order) }}
            else 0
        end as window_sum_of_squares
    from totals

),

-- sample standard deviation of the last n log returns, scaled by sqrt(trading days per year);
-- null until n returns exist (the first bar of a ticker has no return). From the window's sum
-- and sum of squares: (sum of squares - sum^2 / n) / (n - 1), floored at 0 (rounding of a flat
-- window); the totals' rounding (~1e-16 of the running total) stays far below 1e-9 of it for
-- returns of everyday size
final as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        log_return,
        case
            when return_count = {{ window_size }}
                then sqrt(
                    greatest(
                        window_sum_of_squares - window_sum * window_sum / {{ window_size }},
                        0
                    ) / {{ window_size - 1 }}
                ) * sqrt({{ var('trading_days_per_year') }}::double precision)
        end as annualized_volatility_20d,
        log_return_running_count,
        log_return_running_sum,
        log_return_running_sum_of_squares,
        inputs_loaded_at

    from windowed

)

select * from final
