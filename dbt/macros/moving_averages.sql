{#- Mean of `column` over the current and n - 1 previous bars of the ticker; null until n bars exist. -#}
{% macro trailing_average(column, n) -%}
    case
        when bar_number >= {{ n }}
            then avg({{ column }}) over (
                partition by ticker
                order by bar_number
                rows between {{ n - 1 }} preceding and current row
            )
    end
{%- endmacro %}

{#-
    SMA-seeded EMA of `column`: null before bar n, the SMA of the first n closes at bar n, then
    alpha * close + (1 - alpha) * previous EMA, alpha = 2 / (n + 1). `stored` is the EMA already
    built for a row (null elsewhere): the recursion continues from it. `fed` limits the rows the
    aggregate reads: an incremental build feeds only the stored row and the new bars.
-#}
{% macro exponential_average(column, n, stored, fed) -%}
    {{ var('udf_schema') }}.ema_sma_seeded({{ column }}, {{ n }}, bar_number, {{ stored }})
        filter (where {{ fed }})
        over (
            partition by ticker
            order by bar_number
            rows between unbounded preceding and current row
        )
{%- endmacro %}
