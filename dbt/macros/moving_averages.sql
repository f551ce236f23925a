{#-
    Mean of the current and n - 1 previous values of the ticker; null until n bars exist.
    Computed from `running_sum` (the sum of the value from the ticker's bar 1, stored on every
    mart row): (running_sum[b] - running_sum[b - n]) / n. Postgres has no inverse transition for
    float avg, so a sliding `rows n - 1 preceding` frame would re-add all n values on every row;
    and the stored sum lets an incremental build read one row n bars back instead of n - 1 rows.
    running_sum[b - n] is found by bar number (`bars_back`), so the rows before the written ones
    may be sparse: only the bars n back. A missing one gives null, never a wrong mean. Rounding:
    the sums' error is ~1e-16 of the running total, far below 1e-9 of the mean. `order_by` must
    order a ticker's rows as bar_number does (the model's one sort order for all its windows).
-#}
{% macro trailing_average(running_sum, n, order_by='bar_number') -%}
    case
        when bar_number = {{ n }} then {{ running_sum }} / {{ n }}
        when bar_number > {{ n }}
            then (
                {{ running_sum }}
                - {{ bars_back(running_sum, n, order_by) }}
            ) / {{ n }}
    end
{%- endmacro %}

{#-
    SMA-seeded EMA n of `column` (alpha = 2 / (n + 1), beta = 1 - alpha): null before bar n, the
    SMA of the first n closes at bar n, then alpha * close + beta * previous EMA. Unrolled, EMA[b]
    = beta^(b - n) * SMA[n] + sum over n < k <= b of alpha * beta^(b - k) * close[k]: a running
    sum of terms scaled by beta^-k, times beta^b. Window sums, not a per-row interpreted step.

    The scale grows by 1 / beta a bar, so a term is scaled from the start of its chunk of
    `ema_chunk_bars()` bars (at most e^600: far inside the float range), and a chunk's EMA adds
    the previous chunk's sum, weighted beta^chunk. Older chunks weigh beta^(2 chunk) < e^-40
    (checked at compile time): below the last bit of a double, so the result equals the
    recursion to rounding. An incremental build continues from the EMA stored on the ticker's
    last built row: that row's term is its EMA, at scale 1.

    ema_term: the row's term (null for rows the EMA does not read: ema_chunk < 0);
    exponential_average: the EMA from `summed`, the running sum of the terms within the chunk,
    and the previous chunk's (lag over `order_by`, the model's order of a ticker's rows).
-#}
{% macro ema_term(column, n, stored) -%}
    case
        when ema_chunk < 0 then null
        when {{ stored }} is not null then {{ stored }}
        when bar_number <= {{ n }}
            then {{ column }} / {{ n }} * power({{ ema_growth(n) }}, {{ n - 1 }})
        else 2::double precision / {{ n + 1 }} * {{ column }}
            * power({{ ema_growth(n) }}, ema_offset)
    end
{%- endmacro %}

{% macro exponential_average(summed, n, order_by) -%}
    case
        when bar_number >= {{ n }} and ema_chunk >= 0
            then power({{ ema_growth(n) }}, -ema_offset) * (
                {{ summed }}
                + case
                    when ema_chunk > 0
                        then power({{ ema_growth(n) }}, -{{ ema_chunk_bars() }})
                            * lag({{ summed }}, (ema_offset + 1)::int) over (
                                partition by ticker order by {{ order_by }}
                            )
                    else 0
                end
            )
    end
{%- endmacro %}

{#- 1 / beta = (n + 1) / (n - 1), a double (a numeric's power keeps decimal places, not
    significant digits) and a constant; exact for n = 3 (powers of 2) -#}
{% macro ema_growth(n) -%}
    ({{ n + 1 }}::double precision / {{ n - 1 }})
{%- endmacro %}

{#- ln(1 / beta) = 2 artanh(1 / n), by its series (Jinja has no logarithm) -#}
{% macro ema_log_growth(n) -%}
    {%- set ns = namespace(total=0.0) -%}
    {%- for i in range(40) -%}
        {%- set ns.total = ns.total + 2.0 / ((2 * i + 1) * (n ** (2 * i + 1))) -%}
    {%- endfor -%}
    {{ return(ns.total) }}
{%- endmacro %}

{#- Bars per EMA chunk: the most for which the fastest EMA's scale stays below e^600 (or var
    ema_chunk_bars). Compile error unless the slowest EMA forgets an older chunk below e^-40 and
    a chunk holds the seed (the first n bars). -#}
{% macro ema_chunk_bars() -%}
    {%- set windows = [var('ema_fast_window') | int, var('ema_slow_window') | int] -%}
    {%- set fastest = ema_log_growth(windows | min) -%}
    {%- set slowest = ema_log_growth(windows | max) -%}
    {%- set bars = var('ema_chunk_bars', (600 / fastest) | int) | int -%}
    {%- if bars * fastest > 600 or bars * slowest < 40 or bars < windows | max -%}
        {{ exceptions.raise_compiler_error(
            "ema_chunk_bars " ~ bars ~ " does not suit EMA windows " ~ windows
            ~ ": needs chunk x ln(1/beta) <= 600 for the fastest, >= 40 for the slowest") }}
    {%- endif -%}
    {{ return(bars) }}
{%- endmacro %}

{#- The value of `column` on the ticker's bar n bars before this one. A full build reads every
    row from bar 1, so it is lag(n). An incremental build reads sparse rows (the written ones and
    the few built rows they need), so it joins the row by bar number (`bars_back_joins`; a RANGE
    frame of exactly that bar cost ~0.1 ms a row); a row that was not read gives null. -#}
{% macro bars_back(column, n, order_by='bar_number') -%}
    {%- if is_incremental() -%}
        back_{{ n }}_{{ column }}
    {%- else -%}
        lag({{ column }}, {{ n }}) over (partition by ticker order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}

{#- The joins `bars_back` reads in an incremental build: for each n, the `columns` of the row of
    relation `cte` n bars back, as back_<n>_<column> (nothing in a full build). -#}
{% macro bars_back_joins(cte, columns, ns) -%}
    {%- if is_incremental() -%}
        {%- for n in ns | unique %}
    left join (
        select
            ticker as back_{{ n }}_ticker,
            bar_number + {{ n }} as back_{{ n }}_bar_number
            {%- for column in columns %},
            {{ column }} as back_{{ n }}_{{ column }}
            {%- endfor %}
        from {{ cte }}
    ) as back_{{ n }}
        on back_{{ n }}.back_{{ n }}_ticker = {{ cte }}.ticker
        and back_{{ n }}.back_{{ n }}_bar_number = {{ cte }}.bar_number
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- A running total of `term` from the ticker's first row read, on the written rows only (an
    incremental build starts the term of its lookups at the stored total of the last built row
    and at 0 before it, so the total continues). -#}
{% macro running_total(term) -%}
    case
        when is_written
            then sum({{ term }}) over (
                partition by ticker
                order by bar_number
                rows between unbounded preceding and current row
            )
    end
{%- endmacro %}
