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
    SMA-seeded EMA of `column` over the ticker's bars so far: null before bar n, the SMA of the
    first n closes at bar n, then alpha * close + (1 - alpha) * previous EMA, alpha = 2 / (n + 1).
-#}
{% macro exponential_average(column, n) -%}
    {{ var('udf_schema') }}.ema_sma_seeded({{ column }}, {{ n }}) over (
        partition by ticker
        order by bar_number
        rows between unbounded preceding and current row
    )
{%- endmacro %}
