{#-
    price_series: int_stock_bars_adjusted (`series`) as the marts read it, the split-adjusted
    series only, its inputs_loaded_at the newest load of what those values come from: the bar,
    the ticker's earlier bars (bars_loaded_at) and its splits (splits_loaded_at). A dividend
    moves no adjusted close or log return, so no mart row: the marts never rebuild a ticker for
    one (measured: the simulated market's next day held 105 dividends on 10,000 tickers, and the
    daily build rewrote a year of each one's moving averages and volatility).

    `any_inputs_loaded_at` is int's own inputs_loaded_at (dividends included): never below the
    marts' one, and indexed, so a build finds its candidates through it.
-#}
{% macro price_series_cte(series) %}

price_series as not materialized (

    select
        ticker, trading_date, bar_number, bar_id, previous_trading_date, adj_close, log_return,
        inputs_loaded_at as any_inputs_loaded_at,
        greatest(bars_loaded_at, coalesce(splits_loaded_at, '-infinity')) as inputs_loaded_at
    from {{ series }}

)

{% endmacro %}

{#-
    The CTEs that decide what an incremental build of a per-bar mart of price_series
    (`upstream`) writes, and the built rows it reads to continue a series.

    price_series's inputs_loaded_at never decreases along a ticker's series: it is the running
    maximum of its bars' loads, or its splits' one load, which stamps every bar of the ticker.
    So the rows whose values may have changed since the mart's previous build (inputs_loaded_at
    at or after the mark) are always a tail of each series, from bar `first_new` on, and the
    bars before it are the ones the mart built. No lookup of the mart's last row is needed to
    know where a ticker stands: int's bar numbers say it.

    candidates   upstream rows loaded at or after the mark of {{ this }} (changed_since_own_mark;
                 found through any_inputs_loaded_at, int's index)
    spans        one row per ticker: first_new, its first candidate bar, and the date int has
                 before it (previous_trading_date; previous dates rise with the bar number)
    wanted       bar numbers of built rows to read: first_new - 1 (the last built row, where the
                 running totals continue) and, for each window n in `windows`, the bars n back
                 from the candidates that are not candidates themselves
    built_rows   those rows of {{ this }}, one index probe each (ticker, bar_number)
    plan         ticker, last_bar_number (first_new - 1), is_rebuilt: the whole series is
                 written again when it starts at bar 1 (new, or rebuilt by int: a late bar, a
                 split), when fewer than `rebuild_below` bars are built (a series still
                 seeding), or when the mart is out of step with int (its row first_new - 1 is
                 missing or on another date)
    written      a rebuilt ticker's whole series from upstream (by index), an appended ticker's
                 candidates; each with is_rebuilt and last_bar_number
    lookups      the built rows an appended ticker continues from, with is_last (its row
                 first_new - 1, which holds the running totals) and last_bar_number
-#}
{% macro mart_plan_ctes(upstream, windows, rebuild_below=1) %}
{#- the fewest built bars a ticker is continued from -#}
{%- set min_built = [rebuild_below, 1] | max %}

candidates as (

    select *
    from {{ upstream }}
    where {{ changed_since_own_mark('inputs_loaded_at', via='any_inputs_loaded_at') }}

),

spans as (

    select
        ticker,
        min(bar_number) as first_new,
        min(previous_trading_date) as previous_trading_date
    from candidates
    group by ticker

),

wanted as (

    select ticker, first_new - 1 as bar_number
    from spans
    where first_new - 1 >= {{ min_built }}

    union

    select candidates.ticker, candidates.bar_number - windows.n
    from candidates
    inner join spans on candidates.ticker = spans.ticker
    cross join (values
        {%- for n in windows | unique %} ({{ n }}){{ ',' if not loop.last }}{% endfor %}
    ) as windows (n)
    where spans.first_new - 1 >= {{ min_built }}
      and candidates.bar_number - windows.n between 1 and spans.first_new - 1

),

built_rows as (

    select built.*
    from wanted
    -- lateral with limit: one index probe per bar (a join reads the ticker's whole history)
    cross join lateral (
        select *
        from {{ this }} as built
        where built.ticker = wanted.ticker and built.bar_number = wanted.bar_number
        limit 1
    ) as built

),

plan as (

    select
        spans.ticker,
        spans.first_new - 1 as last_bar_number,
        spans.first_new - 1 < {{ min_built }}
            or last_built.trading_date is distinct from spans.previous_trading_date
            as is_rebuilt
    from spans
    left join built_rows as last_built
        on spans.ticker = last_built.ticker and last_built.bar_number = spans.first_new - 1

),

written as (

    select upstream_rows.*, plan.is_rebuilt, plan.last_bar_number
    from plan
    inner join {{ upstream }} as upstream_rows on upstream_rows.ticker = plan.ticker
    where plan.is_rebuilt

    union all

    select candidates.*, plan.is_rebuilt, plan.last_bar_number
    from plan
    inner join candidates on candidates.ticker = plan.ticker
    where not plan.is_rebuilt

),

lookups as (

    select
        built.*,
        built.bar_number = plan.last_bar_number as is_last,
        plan.last_bar_number
    from built_rows as built
    inner join plan on built.ticker = plan.ticker and not plan.is_rebuilt

)

{% endmacro %}
