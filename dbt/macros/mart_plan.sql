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
    (`upstream`) writes, and the built values it reads from the mart's tail (series_tail.sql,
    `tail` its spec) to continue a series.

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
    plan         ticker, last_bar_number (first_new - 1), is_rebuilt: the whole series is
                 written again when it starts at bar 1 (new, or rebuilt by int: a late bar, a
                 split), when fewer than `rebuild_below` bars are built (a series still
                 seeding), or when the tail is not at bar first_new - 1 on int's date before
                 first_new (no tail; the mart is out of step with int; int rewrote bars the
                 mart had built, whose state the tail no longer holds)
    written      a rebuilt ticker's whole series from upstream (by index), an appended ticker's
                 candidates; each with is_rebuilt, last_bar_number and, for an appended
                 ticker's rows, what it continues from, from its tail: stored_<column>, the
                 value of each tail column on the last built bar (on the first new bar only,
                 null on the others: a model adds it to that bar's term), and
                 tail_back_<n>_<column>,
                 each array column's value n bars back from the row for each window n in
                 `windows` (null where that bar is not built: bars_back then reads it from the
                 written rows)
-#}
{% macro mart_plan_ctes(upstream, windows, tail, rebuild_below=1) %}
{#- the fewest built bars a ticker is continued from -#}
{%- set min_built = [rebuild_below, 1] | max %}
{%- if windows | max > tail['length'] | int -%}
    {{ exceptions.raise_compiler_error(
        this ~ ": its tail keeps " ~ tail['length'] ~ " bars, its windows need " ~ windows | max) }}
{%- endif %}

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

-- where each ticker's tail ends, in one scan of the tail: joined to spans as it is (the planner
-- guesses a few hundred spans), it was probed 10,000 times by its key, 0.4 s of page reads cold
tail_ends as materialized (

    select ticker, last_bar_number, last_trading_date
    from {{ series_tail_relation() }} as tail

),

plan as (

    select
        spans.ticker,
        spans.first_new - 1 as last_bar_number,
        spans.first_new - 1 < {{ min_built }}
            or tail.last_bar_number is distinct from spans.first_new - 1
            or tail.last_trading_date is distinct from spans.previous_trading_date
            as is_rebuilt
    from spans
    left join tail_ends as tail on spans.ticker = tail.ticker

),

written as (

    select
        upstream_rows.*,
        plan.is_rebuilt,
        plan.last_bar_number
        {%- for column in tail['arrays'] %},
        null as stored_{{ column }}
        {%- for n in windows | unique %},
        null as tail_back_{{ n }}_{{ column }}
        {%- endfor %}
        {%- endfor %}
        {%- for column in tail.get('scalars', {}) %},
        null as stored_{{ column }}
        {%- endfor %}
    from plan
    cross join lateral {{ ticker_rows(upstream, 'plan.ticker') }} as upstream_rows
    where plan.is_rebuilt

    union all

    -- the tail's arrays end at its last bar: bar b is element b - last + cardinality (an
    -- index past either end gives null); the stored values go on the first new bar only
    select
        candidates.*,
        plan.is_rebuilt,
        plan.last_bar_number
        {%- for column in tail['arrays'] %},
        case
            when candidates.bar_number = plan.last_bar_number + 1
                then tail.{{ column }}[cardinality(tail.{{ column }})]
        end
        {%- for n in windows | unique %},
        tail.{{ column }}[
            candidates.bar_number - {{ n }} - tail.last_bar_number + cardinality(tail.{{ column }})
        ]
        {%- endfor %}
        {%- endfor %}
        {%- for column in tail.get('scalars', {}) %},
        case when candidates.bar_number = plan.last_bar_number + 1 then tail.{{ column }} end
        {%- endfor %}
    from plan
    inner join candidates on candidates.ticker = plan.ticker
    inner join {{ series_tail_relation() }} as tail on tail.ticker = plan.ticker
    where not plan.is_rebuilt

)

{% endmacro %}
