{#-
    Where an incremental model starts reading: the upstream rows loaded since its previous
    successful build began, not a fixed lookback from its newest row (which, after a bulk
    backfill loaded within the lookback, re-read the whole backfill on the next daily build).

    - record_build_start (on-run-start): the build's mark, before any model reads: when it began,
      or the start of the oldest transaction open in the database then if earlier (a loader
      stamps loaded_at at its transaction's start and commits later; migration 0014's
      control.oldest_open_transaction). Never earlier than var('incremental_lookback') before the
      build: an idle session left open for days would otherwise make every build re-read days
      (a load is assumed to commit within the lookback, as before). Without the function (a
      database not migrated yet) the mark is the build's start minus the lookback.
    - mark_model_built (post-hook, in the model's transaction, so it commits with its rows): the
      model was built up to this build's mark; `previous_since` keeps what this build read from.
    - incremental_since(model, fallback): the model's mark, as a one-value subquery: the planner
      then guesses a third of the table, as it did for the old bound, and plans hash joins. As a
      literal (`literal=true`) it sees a bound past its statistics, estimates one row, and plans
      nested loops over the candidates that take minutes on 10,000 tickers (measured); a plain
      filter (a data test's `where`) wants the literal, which reads the index. The `fallback`
      expression (the old bound: newest row minus the lookback) while the model has no mark
      (built before marks existed).

    An upstream model's rows keep their raw loaded_at (inputs_loaded_at), so a mart reading
    int_stock_bars_adjusted by it is bounded by the mart's own mark: every row int wrote since
    the mart's previous build comes from raw rows loaded at or after that build's mark.
-#}
{% macro build_marks_schema() -%}
    intermediate
{%- endmacro %}

{% macro record_build_start() %}
    {%- set schema = build_marks_schema() -%}
    {%- set lookback = "interval '" ~ var('incremental_lookback') ~ "'" -%}
    {#- concurrent builds would race to create the tables -#}
    select pg_advisory_xact_lock(hashtext('stocks_elt.build_marks'));
    create table if not exists {{ schema }}.dbt_builds (
        invocation_id text primary key,
        visible_since timestamptz not null,
        started_at timestamptz not null default now()
    );
    create table if not exists {{ schema }}.dbt_model_marks (
        model text primary key,
        visible_since timestamptz not null,
        previous_since timestamptz not null
    );
    delete from {{ schema }}.dbt_builds where started_at < now() - interval '30 days';
    do $$
    declare
        oldest timestamptz;
    begin
        if to_regprocedure('control.oldest_open_transaction()') is not null
           and has_function_privilege('control.oldest_open_transaction()', 'execute') then
            oldest := least(now(), coalesce(control.oldest_open_transaction(), 'infinity'));
        end if;
        insert into {{ schema }}.dbt_builds (invocation_id, visible_since)
        values (
            '{{ invocation_id }}',
            greatest(coalesce(oldest, '-infinity'), now() - {{ lookback }})
        )
        on conflict (invocation_id) do nothing;
    end $$;
{% endmacro %}

{#- raw: rendered when the hook runs (this, invocation_id), not when config() is parsed -#}
{% macro mark_model_built() -%}
    {%- set schema = build_marks_schema() -%}
    insert into {{ schema }}.dbt_model_marks (model, visible_since, previous_since)
    select
        {% raw %}'{{ this }}'{% endraw %},
        visible_since,
        coalesce(
            (select visible_since from {{ schema }}.dbt_model_marks
             where model = {% raw %}'{{ this }}'{% endraw %}
               and current_setting('stocks_elt.full_build', true) is distinct from 'on'),
            '-infinity'
        )
    from {{ schema }}.dbt_builds
    where invocation_id = {% raw %}'{{ invocation_id }}'{% endraw %}
    on conflict (model) do update
        set visible_since = excluded.visible_since, previous_since = excluded.previous_since
{%- endmacro %}

{#- The filter of an incremental model's candidates: `column` at or after {{ this }}'s mark;
    without a mark yet, its newest `column` less the lookback (the old bound). `via`: an
    indexed column never below `column`, filtered on the same bound so the rows are found
    through its index (the mark is read once). -#}
{% macro changed_since_own_mark(column, via=none) -%}
    {%- set since = incremental_since(
        this,
        "(select coalesce(max(" ~ column ~ "), '-infinity'::timestamptz) from "
        ~ this ~ ") - interval '" ~ var('incremental_lookback') ~ "'",
    ) -%}
    {%- if via is not none %}{{ via }} >= {{ since }} and {% endif -%}
    {{ column }} >= {{ since }}
{%- endmacro %}

{% macro incremental_since(model, fallback, literal=false) -%}
    {%- set since = model_mark(model, 'visible_since') -%}
    {%- if since is not none and literal -%}
        '{{ since }}'::timestamptz
    {%- elif since is not none -%}
        (select '{{ since }}'::timestamptz)
    {%- else -%}
        ({{ fallback }})
    {%- endif -%}
{%- endmacro %}

{#- The relation name of an intermediate model, as its own {{ this }} reads (for its mark,
    where a ref would make a cycle or is not at hand) -#}
{% macro intermediate_relation(name) -%}
    {{ return(api.Relation.create(database=target.database, schema='intermediate', identifier=name)) }}
{%- endmacro %}

{#- A column of the model's mark (as text), or none: no mark, or not executing (parse) -#}
{% macro model_mark(model, column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set table = build_marks_schema() ~ ".dbt_model_marks" -%}
    {%- set exists = run_query("select to_regclass('" ~ table ~ "') is not null") -%}
    {%- if not exists.columns[0].values()[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select " ~ column ~ "::text from " ~ table ~ " where model = $$" ~ model ~ "$$"
    ) -%}
    {{ return(found.columns[0].values()[0] if found.rows | length > 0 else none) }}
{%- endmacro %}
