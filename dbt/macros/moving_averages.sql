{#-
    Mean of the current and n - 1 previous values of the ticker; null until n bars exist.
    Computed from `running_sum` (the sum of the value from the ticker's bar 1, stored on every
    mart row): (running_sum[b] - running_sum[b - n]) / n. Postgres has no inverse transition for
    float avg, so a sliding `rows n - 1 preceding` frame would re-add all n values on every row;
    and the stored sum lets an incremental build read one row n bars back instead of n - 1 rows.
    running_sum[b - n] is found by bar number (`bars_back`), so the rows before the written ones
    may be sparse: only the bars n back. A missing one gives null, never a wrong mean. Rounding: the sums' error is ~1e-16 of the running total, far below 1e-9 of
    the mean.
-#}
{% macro trailing_average(running_sum, n) -%}
    case
        when bar_number = {{ n }} then {{ running_sum }} / {{ n }}
        when bar_number > {{ n }}
            then (
                {{ running_sum }}
                - {{ bars_back(running_sum, n) }}
            ) / {{ n }}
    end
{%- endmacro %}

{#-
    SMA-seeded EMA of `column`: null before bar n, the SMA of the first n closes at bar n, then
    alpha * close + (1 - alpha) * previous EMA, alpha = 2 / (n + 1). `stored` is the EMA already
    built for a row (null elsewhere): the recursion continues from it. `fed` limits the rows the
    aggregate reads: an incremental build feeds only the stored row and the new bars.
-#}
{% macro exponential_average(column, n, stored, fed) -%}
    (
        {{ var('udf_schema') }}.ema_sma_seeded({{ column }}, {{ n }}, bar_number, {{ stored }})
            filter (where {{ fed }})
            over (
                partition by ticker
                order by bar_number
                rows between unbounded preceding and current row
            )
    )[3]
{%- endmacro %}

{#- The value of `column` on the ticker's bar n bars before this one. A full build reads every
    row from bar 1, so it is lag(n). An incremental build reads sparse rows (the written ones and
    the few built rows they need), so it joins the row by bar number (`bars_back_joins`; a RANGE
    frame of exactly that bar cost ~0.1 ms a row); a row that was not read gives null. -#}
{% macro bars_back(column, n) -%}
    {%- if is_incremental() -%}
        back_{{ n }}_{{ column }}
    {%- else -%}
        lag({{ column }}, {{ n }}) over (partition by ticker order by bar_number)
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
