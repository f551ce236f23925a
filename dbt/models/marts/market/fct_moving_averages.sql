{%- set sma_short = var('sma_short_window') | int -%}
{%- set sma_medium = var('sma_medium_window') | int -%}
{%- set sma_long = var('sma_long_window') | int -%}
{%- set ema_fast = var('ema_fast_window') | int -%}
{%- set ema_slow = var('ema_slow_window') | int -%}
{%- set ema_longest = [ema_fast, ema_slow] | max -%}

{#- the tail: the running sums of the last bars the SMAs look back to, the last bar's EMAs -#}
{%- set tail = {
    'length': [sma_short, sma_medium, sma_long] | max,
    'arrays': {'adj_close_running_sum': 'double precision'},
    'scalars': {'ema_12': 'double precision', 'ema_26': 'double precision'},
} %}
{{ bar_series_config(tail=tail) }}

with

{{ price_series_cte(ref('int_stock_bars_adjusted')) }},

{% if is_incremental() %}

-- an appended ticker continues from its last built row (running sum, stored EMAs) and needs,
-- for SMA n, the running sums of the bars n back from its new ones; a ticker with fewer built
-- bars than the longest EMA (still seeding) is written again whole
{{ mart_plan_ctes(
    upstream='price_series',
    windows=[sma_short, sma_medium, sma_long],
    tail=tail,
    rebuild_below=ema_longest,
) }},

-- an appended ticker continues from its last built bar (ema_base, its bar number): its first
-- new bar adds that bar's running sum and EMAs (its tail's) to its own terms; a rebuilt
-- ticker's start again from bar 1
bars as (

    select
        *,
        adj_close + coalesce(stored_adj_close_running_sum, 0) as running_sum_term,
        case when is_rebuilt then 1 else last_bar_number end as ema_base
    from written

),

{% else %}

bars as (

    select
        ticker, trading_date, bar_number, bar_id, adj_close, inputs_loaded_at,
        adj_close as running_sum_term,
        null::double precision as stored_ema_12,
        null::double precision as stored_ema_26,
        1 as ema_base
    from price_series

),

{% endif %}

-- the EMAs' chunks and their terms
chunked as (

    select
        *,
        (bar_number - ema_base) / {{ ema_chunk_bars() }} as ema_chunk,
        (bar_number - ema_base) % {{ ema_chunk_bars() }} as ema_offset
    from bars

),

-- every window of this model orders a ticker's rows by (ema_chunk, bar_number), the order of
-- bar_number: one sort serves them all
summed as (

    select
        *,
        sum(running_sum_term) over (
            partition by ticker
            order by ema_chunk, bar_number
            rows between unbounded preceding and current row
        ) as adj_close_running_sum,
        sum({{ ema_term('adj_close', ema_fast, 'stored_ema_12') }}) over ema_chunk_so_far
            as ema_12_sum,
        sum({{ ema_term('adj_close', ema_slow, 'stored_ema_26') }}) over ema_chunk_so_far
            as ema_26_sum
    from chunked
    window ema_chunk_so_far as (
        partition by ticker, ema_chunk
        order by bar_number
        rows between unbounded preceding and current row
    )

),

-- windows count bars (rows), not calendar days; SMA n is null until it holds n bars
{%- set order = 'ema_chunk, bar_number' %}
moving_averages as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        adj_close,
        adj_close_running_sum,
        {{ trailing_average('adj_close_running_sum', sma_short, order) }} as sma_20,
        {{ trailing_average('adj_close_running_sum', sma_medium, order) }} as sma_50,
        {{ trailing_average('adj_close_running_sum', sma_long, order) }} as sma_200,
        {{ exponential_average('ema_12_sum', ema_fast, order) }} as ema_12,
        {{ exponential_average('ema_26_sum', ema_slow, order) }} as ema_26,
        inputs_loaded_at

    from summed

)

select
    bar_id,
    ticker,
    trading_date,
    bar_number,
    adj_close,
    adj_close_running_sum,
    sma_20,
    sma_50,
    sma_200,
    ema_12,
    ema_26,
    inputs_loaded_at
from moving_averages
