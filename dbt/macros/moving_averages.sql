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

{#- One EMA step, SMA-seeded: null before bar n, `seed` (SMA of n bars) at bar n, then recursive. -#}
{% macro ema_step(close, seed, previous_ema, n) -%}
    case
        when bar.bar_number = {{ n }} then {{ seed }}
        when bar.bar_number > {{ n }}
            then (2.0 / ({{ n }} + 1))::double precision * {{ close }}
                + (1 - (2.0 / ({{ n }} + 1))::double precision) * {{ previous_ema }}
    end
{%- endmacro %}
