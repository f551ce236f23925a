{#- (ticker, bar_number): an incremental build reads the few built rows it needs by bar number -#}
{{ bar_series_config(extra_indexes=[{'columns': ['ticker', 'bar_number']}]) }}

{%- set sma_short = var('sma_short_window') | int -%}
{%- set sma_medium = var('sma_medium_window') | int -%}
{%- set sma_long = var('sma_long_window') | int -%}
{%- set ema_fast = var('ema_fast_window') | int -%}
{%- set ema_slow = var('ema_slow_window') | int -%}
{%- set ema_longest = [ema_fast, ema_slow] | max %}

with

{% if is_incremental() %}

{{ series_plan_ctes(
    upstream=ref('int_stock_bars_adjusted'),
    change_column='inputs_loaded_at',
    built_change_column='inputs_loaded_at',
) }},

written as (

    {{ series_rows_to_write(ref('int_stock_bars_adjusted')) }}

),

-- an appended ticker continues from its last built row (running sum, stored EMAs) and needs,
-- for SMA n, the running sums of the bars n back from its new ones; while an EMA is still
-- seeding (fewer built bars than the longest EMA window) it needs all its built closes
lookup_bars as (

    select
        plan.ticker,
        wanted.bar_number,
        wanted.bar_number = plan.last_bar_number as is_last
    from plan
    inner join (
        select ticker, max(bar_number) as newest_bar_number from written group by ticker
    ) as newest on plan.ticker = newest.ticker
    cross join lateral (
        select plan.last_bar_number
        {%- for n in [sma_short, sma_medium, sma_long] %}
        union
        select bar_number
        from generate_series(
            greatest(plan.last_bar_number + 1 - {{ n }}, 1),
            least(newest.newest_bar_number - {{ n }}, plan.last_bar_number)
        ) as bar_number
        {%- endfor %}
        union
        select bar_number
        from generate_series(1, plan.last_bar_number) as bar_number
        where plan.last_bar_number < {{ ema_longest }}
    ) as wanted (bar_number)
    where not plan.is_rebuilt

),

bars as (

    select
        ticker, trading_date, bar_number, bar_id, adj_close, inputs_loaded_at,
        adj_close as running_sum_term,
        null::double precision as stored_running_sum,
        null::double precision as stored_ema_12,
        null::double precision as stored_ema_26,
        true as is_written
    from written

    union all

    -- the running sum restarts from the last built row's: the earlier lookups add nothing
    select
        built.ticker, built.trading_date, built.bar_number, built.bar_id, built.adj_close,
        built.inputs_loaded_at,
        case when lookup_bars.is_last then built.adj_close_running_sum else 0 end,
        built.adj_close_running_sum,
        case when lookup_bars.is_last then built.ema_12 end,
        case when lookup_bars.is_last then built.ema_26 end,
        false
    from lookup_bars
    -- lateral with limit: one index probe per bar (a join reads the ticker's whole history)
    cross join lateral (
        select *
        from {{ this }} as built
        where built.ticker = lookup_bars.ticker and built.bar_number = lookup_bars.bar_number
        limit 1
    ) as built

),

{% else %}

bars as (

    select
        ticker, trading_date, bar_number, bar_id, adj_close, inputs_loaded_at,
        adj_close as running_sum_term,
        null::double precision as stored_running_sum,
        null::double precision as stored_ema_12,
        null::double precision as stored_ema_26,
        true as is_written
    from {{ ref('int_stock_bars_adjusted') }}

),

{% endif %}

-- the EMA aggregate reads a ticker's rows from its stored EMA on (or all rows while none is
-- stored, e.g. still seeding: then the lookup holds the whole series)
summed as (

    select
        *,
        case
            when is_written
                then sum(running_sum_term) over (
                    partition by ticker
                    order by bar_number
                    rows between unbounded preceding and current row
                )
            else stored_running_sum
        end as adj_close_running_sum,
        bar_number >= coalesce(
            max(case when stored_ema_12 is not null then bar_number end)
                over (partition by ticker),
            0
        ) as feeds_ema_12,
        bar_number >= coalesce(
            max(case when stored_ema_26 is not null then bar_number end)
                over (partition by ticker),
            0
        ) as feeds_ema_26
    from bars

),

-- windows count bars (rows), not calendar days; SMA n is null until it holds n bars
moving_averages as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        adj_close,
        adj_close_running_sum,
        {{ trailing_average('adj_close_running_sum', sma_short) }} as sma_20,
        {{ trailing_average('adj_close_running_sum', sma_medium) }} as sma_50,
        {{ trailing_average('adj_close_running_sum', sma_long) }} as sma_200,
        {{ exponential_average('adj_close', ema_fast, 'stored_ema_12', 'feeds_ema_12') }} as ema_12,
        {{ exponential_average('adj_close', ema_slow, 'stored_ema_26', 'feeds_ema_26') }} as ema_26,
        inputs_loaded_at,
        is_written

    from summed
    {{ bars_back_joins('summed', ['adj_close_running_sum'], [sma_short, sma_medium, sma_long]) }}

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
where is_written
