{#- Fails on every row where the boolean SQL `expression` is false (rows where it is null pass). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ column_name ~ ' ' if column_name is not none else '' }}{{ expression }})

{% endtest %}
