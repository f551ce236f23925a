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

-- the rules are tested on every row, their names built for the failing rows only (an array a
-- row, then array_remove: a whole-market year's 2.5 M adjusted bars took 0.86 s with them
-- built on every row, 0.46 s so). A rule that is null is not false, so `and` over the rules
-- is false exactly when one of them is.
select
    *,
    array_remove(array[
        {%- for name, rule in rules %}
        case when not ({{ rule }}) then '{{ name }}' end{{ ',' if not loop.last }}
        {%- endfor %}
    ], null) as broken_rules
-- no alias: with a `where`, `model` is already an aliased subquery
from {{ model }}
where not coalesce(
    {%- for name, rule in rules %}
    ({{ rule }}){{ ' and' if not loop.last }}
    {%- endfor %},
    true
)

{% endtest %}
