{{ bar_series_config() }}

{%- set sma_short = var('sma_short_window') | int -%}
{%- set sma_medium = var('sma_medium_window') | int -%}
{%- set sma_long = var('sma_long_window') | int -%}
{%- set ema_fast = var('ema_fast_window') | int -%}
{%- set ema_slow = var('ema_slow_window') | int -%}
{%- set lookback = [sma_short, sma_medium, sma_long, ema_fast, ema_slow] | max - 1 %}

with

{% if is_incremental() %}

{{ series_plan_ctes(
    upstream=ref('int_stock_bars_adjusted'),
    change_column='inputs_loaded_at',
    built_change_column='inputs_loaded_at',
) }},

-- an appended ticker's windows need its previous (longest window - 1) closes; its EMAs continue
-- from the values stored on its last built row
bars as (

    select *, true as is_written from ({{ series_rows_to_write(ref('int_stock_bars_adjusted')) }}) as written
    union all
    select *, false from (
        {{ series_lookback_rows(ref('int_stock_bars_adjusted'), lookback) }}
    ) as lookback

),

stored_emas as (

    select
        built.ticker,
        built.bar_number,
        built.ema_12,
        built.ema_26,
        case when built.ema_12 is not null then built.bar_number end as ema_12_stored_at,
        case when built.ema_26 is not null then built.bar_number end as ema_26_stored_at
    from plan
    inner join {{ this }} as built
        on built.ticker = plan.ticker and built.trading_date = plan.last_trading_date
    where not plan.is_rebuilt

),

{% else %}

bars as (

    select *, true as is_written from {{ ref('int_stock_bars_adjusted') }}

),

stored_emas as (

    select
        null::text as ticker,
        null::bigint as bar_number,
        null::double precision as ema_12,
        null::double precision as ema_26,
        null::bigint as ema_12_stored_at,
        null::bigint as ema_26_stored_at
    where false

),

{% endif %}

-- the EMA aggregate reads a ticker's rows from its stored EMA on (or all rows while none is
-- stored, e.g. still seeding: then the lookback holds the whole series)
bars_with_stored as (

    select
        bars.*,
        stored_emas.ema_12 as stored_ema_12,
        stored_emas.ema_26 as stored_ema_26,
        bars.bar_number >= coalesce(
            max(stored_emas.ema_12_stored_at) over (partition by bars.ticker), 0
        ) as feeds_ema_12,
        bars.bar_number >= coalesce(
            max(stored_emas.ema_26_stored_at) over (partition by bars.ticker), 0
        ) as feeds_ema_26
    from bars
    left join stored_emas
        on bars.ticker = stored_emas.ticker and bars.bar_number = stored_emas.bar_number

),

summed as (

    select *, {{ running_sum('adj_close') }} as running_sum
    from bars_with_stored

),

-- windows count bars (rows), not calendar days; SMA n is null until it holds n bars
moving_averages as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        adj_close,
        {{ trailing_average('adj_close', sma_short) }} as sma_20,
        {{ trailing_average('adj_close', sma_medium) }} as sma_50,
        {{ trailing_average('adj_close', sma_long) }} as sma_200,
        {{ exponential_average('adj_close', ema_fast, 'stored_ema_12', 'feeds_ema_12') }} as ema_12,
        {{ exponential_average('adj_close', ema_slow, 'stored_ema_26', 'feeds_ema_26') }} as ema_26,
        inputs_loaded_at,
        is_written

    from summed

)

select
    bar_id,
    ticker,
    trading_date,
    bar_number,
    adj_close,
    sma_20,
    sma_50,
    sma_200,
    ema_12,
    ema_26,
    inputs_loaded_at
from moving_averages
where is_written
