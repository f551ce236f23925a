{#-
    Fails on each bar whose previous bar of the same `partition_by` value is more than
    `max_days` calendar days earlier (a suspected gap in the trading series).
    Calendar days, not exchange sessions: keep `max_days` above the longest market closure.
-#}
{% test max_days_between_bars(model, column_name, partition_by, max_days) %}

with

ordered as (
    select
        {{ partition_by }} as series_key,
        {{ column_name }} as bar_date,
        lag({{ column_name }}) over (
            partition by {{ partition_by }}
            order by {{ column_name }}
        ) as previous_bar_date
    from {{ model }}
)

select *
from ordered
where bar_date - previous_bar_date > {{ max_days }}

{% endtest %}
