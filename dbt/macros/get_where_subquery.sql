{#-
    A data test's `where` config, with two additions so a costly test can check only the rows
    the build wrote instead of the whole history:
    - where: written_rows  -> the rows whose inputs_loaded_at is within var('tested_rows_window')
      of the newest. Written as a join with the one-row bound, so the planner uses the index
      on inputs_loaded_at (a `col >= (subquery)` filter is estimated at a third of the table
      and read by a full scan).
    - __this__ in any other `where` stands for the tested relation.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'written_rows' -%}
        {%- set filtered -%}
            (
                select tested.*
                from (
                    select max(inputs_loaded_at) - interval '{{ var("tested_rows_window") }}' as since
                    from {{ relation }}
                ) as bound
                inner join {{ relation }} as tested on tested.inputs_loaded_at >= bound.since
            ) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- elif where -%}
        {%- set where = where | replace('__this__', relation | string) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
