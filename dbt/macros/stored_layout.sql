{#-
    A model whose stored columns change meaning between project versions (int_stock_bars_adjusted
    went from backward dividend factors to a forward total-return index) sets meta.layout. The
    table carries `layout <name>` as its comment (post-hook store_layout); a table without that
    comment, built by an earlier version, is rebuilt in full once, on the next build, instead of
    failing on its schema (on_schema_change='fail') or mixing the two meanings. Every other model
    keeps dbt's own rule.
-#}
{% macro should_full_refresh() %}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is none -%}
        {%- set configured = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- set layout = (config.get('meta') or {}).get('layout') -%}
    {%- if configured or layout is none or not execute -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- set found = run_query(
        "select obj_description(c.oid, 'pg_class') from pg_class as c"
        ~ " where c.oid = to_regclass($$" ~ this ~ "$$) and c.relkind = 'r'"
    ) -%}
    {#- no table yet: a first build, full by dbt's own rule -#}
    {%- if found.rows | length == 0 -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- set stored = found.columns[0].values()[0] -%}
    {%- if stored != 'layout ' ~ layout -%}
        {{ log(this ~ " was stored as " ~ (stored or "an earlier layout") ~ ", not layout "
               ~ layout ~ ": rebuilt in full", info=true) }}
        {{ return(true) }}
    {%- endif -%}
    {{ return(configured) }}
{% endmacro %}

{#- post-hook (raw: rendered when it runs) -#}
{% macro store_layout() -%}
    {% raw %}comment on table {{ this }} is 'layout {{ config.get("meta")["layout"] }}'{% endraw %}
{%- endmacro %}
