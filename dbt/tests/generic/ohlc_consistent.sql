{#-
    Fails on every bar whose prices contradict each other or whose volume is negative; the
    failing rows name what they break in `broken_rules` (low_le_open, low_le_close,
    open_le_high, close_le_high, low_le_high, volume_not_negative). One test, not one per rule:
    a data test is a node dbt runs and stores on its own, and the tests of staging hold back
    every model after it, so six tests cost a daily build six nodes' time for one read of the
    same rows. A null value breaks no rule (as in expression_is_true).
-#}
{% test ohlc_consistent(
    model,
    open='open_price',
    high='high_price',
    low='low_price',
    close='close_price',
    volume='volume'
) %}

{%- set rules = [
    ('low_le_open', low ~ ' <= ' ~ open),
    ('low_le_close', low ~ ' <= ' ~ close),
    ('open_le_high', open ~ ' <= ' ~ high),
    ('close_le_high', close ~ ' <= ' ~ high),
    ('low_le_high', low ~ ' <= ' ~ high),
    ('volume_not_negative', volume ~ ' >= 0'),
] %}

select *
from (
    select
        *,
        array_remove(array[
            {%- for name, rule in rules %}
            case when not ({{ rule }}) then '{{ name }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ], null) as broken_rules
    -- no alias: with a `where`, `model` is already an aliased subquery
    from {{ model }}
) as checked
where cardinality(broken_rules) > 0

{% endtest %}
