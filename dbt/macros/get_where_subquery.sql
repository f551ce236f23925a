{#-
    A data test's `where` config may say __this__ for the tested relation, so a costly test can
    check only the rows the build wrote, e.g.
    where: "inputs_loaded_at >= (select max(inputs_loaded_at) from __this__) - interval '1 hour'"
    (an index lookup). Otherwise as dbt's default.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__this__', relation | string) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
