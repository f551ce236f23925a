{#-
    Views (staging, and the marts that project int_stock_bars_adjusted) are created again only
    when their SQL changed: dbt's view materialization re-creates every view on every build
    (create, two renames, drop: catalog locks and a commit each), 7 of a daily build's nodes,
    for a definition that changes only with a new project version. The created view carries the
    md5 of its compiled SQL as its comment; an existing view with the same comment is left as it
    is. A full refresh, a missing view (a table replaced by a full refresh drops the views on it)
    or a changed SQL goes through dbt's own view materialization.
-#}
{%- materialization view, adapter='postgres' -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set signature = 'stocks_elt sql md5 ' ~ local_md5(sql) -%}
    {%- if not should_full_refresh() and view_signature(target_relation) == signature -%}
        {#- dbt expects a main statement of every model -#}
        {%- call statement('main') -%}
            select 'unchanged' as view_status
        {%- endcall -%}
        {{ adapter.commit() }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {%- set built = materialization_view_default() -%}
    {#- after dbt's own commit: a transaction of its own -#}
    {%- call statement('view_signature') -%}
        comment on view {{ target_relation }} is '{{ signature }}'
    {%- endcall -%}
    {{ adapter.commit() }}
    {{ return(built) }}
{%- endmaterialization -%}

{#- The comment of the view `relation`, or none when no such view exists -#}
{% macro view_signature(relation) -%}
    {%- set found = run_query(
        "select obj_description(c.oid, 'pg_class') from pg_class as c"
        ~ " where c.oid = to_regclass($$" ~ relation ~ "$$) and c.relkind = 'v'"
    ) -%}
    {{ return(found.columns[0].values()[0] if found.rows | length > 0 else none) }}
{%- endmacro %}
