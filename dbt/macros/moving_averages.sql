{#-
    Mean of `column` over the current and n - 1 previous bars of the ticker; null until n bars
    exist. Computed as a difference of running sums (`running_sum`, see below): Postgres has no
    inverse transition for float avg, so a sliding `rows n - 1 preceding` frame re-adds all n
    values on every row (200x the work for SMA 200); the running sum is one pass.
    Rounding: the sums' error is ~1e-16 of the running total, far below 1e-9 of the mean.
-#}
{% macro trailing_average(column, n) -%}
    case
        when bar_number >= {{ n }}
            then (
                running_sum
                - coalesce(lag(running_sum, {{ n }}) over (partition by ticker order by bar_number), 0)
            ) / {{ n }}
    end
{%- endmacro %}

{#- The running sum of `column` the trailing averages difference; the stream must start at the
    ticker's first bar or hold at least the longest window before the first row kept. -#}
{% macro running_sum(column) -%}
    sum({{ column }}) over (partition by ticker order by bar_number)
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
