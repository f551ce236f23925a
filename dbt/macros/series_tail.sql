{#-
    A per-bar mart's tail: one row per ticker with what an incremental build continues its
    series from, so that build reads one small table in one scan instead of probing the mart.

    On a warehouse of years, the mart's rows a daily build needs (the last bar, the bars n back
    of each window) are scattered over the whole table, a page each: a 5-year daily build
    probed 36,340 rows at 0.127 ms each for the moving averages alone (auto_explain), against
    0.016 ms at one year, where the table still fits in memory. The tail's size does not grow
    with the years kept: `length` values per ticker.

    spec (a model's config meta.series_tail):
      length   how many of the last bars the arrays keep: the longest window n (bar b reads
               the totals of bar b - n, so the next bars need the last n)
      arrays   {column: type}: mart columns kept for the last `length` bars, oldest first
      scalars  {column: type}: mart columns kept for the last bar only (the EMAs)
    with last_bar_number and last_trading_date, the ticker's last built bar. A ticker whose
    tail row is missing or out of step with int (its last bar is not the one before the new
    ones, or not on int's date for it) is rebuilt whole, and its tail with it; the arrays
    themselves are trusted as written.

    It is written in the model's transaction: by the series_tail incremental strategy after an
    incremental build (from the rows it wrote), by a post-hook after a full build (from the
    mart), so the two commit together. Its table sits beside the build marks (intermediate),
    named after the mart: <mart>_tail.
-#}
{% macro series_tail_relation() -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=build_marks_schema(),
        identifier=this.identifier ~ '_tail',
    )) }}
{%- endmacro %}

{#- The model's spec; while dbt parses (it renders hooks to find their refs, before the
    model's config is whole) an empty one -#}
{% macro series_tail_spec() -%}
    {%- if not execute -%}
        {{ return({'length': 1, 'arrays': {}, 'scalars': {}}) }}
    {%- endif -%}
    {{ return((config.get('meta') or {}).get('series_tail')) }}
{%- endmacro %}

{#- pre-hook: the table, empty, where it is missing (a first build, or a tail dropped by hand:
    every ticker is then rebuilt once) (raw: rendered when the hook runs) -#}
{% macro create_series_tail_hook() -%}
    {% raw %}{{ create_series_tail() }}{% endraw %}
{%- endmacro %}

{% macro create_series_tail() -%}
    {%- set spec = series_tail_spec() -%}
    create table if not exists {{ series_tail_relation() }} (
        ticker text primary key,
        last_bar_number integer,
        last_trading_date date
        {%- for column, type in spec['arrays'].items() %},
        {{ column }} {{ type }}[]
        {%- endfor %}
        {%- for column, type in spec.get('scalars', {}).items() %},
        {{ column }} {{ type }}
        {%- endfor %}
    )
    -- every build that appends a day writes a new version of every row: half of each page
    -- free takes it (a HOT update, no index entry) and the next read prunes the old one, so
    -- the table keeps its size between vacuums instead of growing a copy a build
    with (fillfactor = 50)
{%- endmacro %}

{#- The tail's columns, in the order create_series_tail gives them -#}
{% macro series_tail_columns(spec) -%}
    {{ return(['ticker', 'last_bar_number', 'last_trading_date'] + (spec['arrays'] | list)
              + (spec.get('scalars', {}) | list)) }}
{%- endmacro %}

{#- The last `length` elements of array expression `values` -#}
{% macro last_elements(values, length) -%}
    ({{ values }})[greatest(cardinality({{ values }}) - {{ length - 1 }}, 1):]
{%- endmacro %}

{#- The tail rows of the series in `rows` (one ticker's bars, each whole from bar 1, or
    continuing the stored tail from its bar last_bar_number + 1): the stored arrays extended
    by the new bars and cut to `length`. A ticker whose rows do neither gets a tail of nulls,
    which the next build takes as out of step (a rebuild) rather than continue from it. -#}
{% macro series_tail_rows(rows, spec) -%}
    {%- set length = spec['length'] | int %}
    select
        new.ticker,
        case when new.continues then new.last_bar_number end,
        case when new.continues then new.last_trading_date end
        {%- for column in spec['arrays'] %},
        case
            when new.first_bar_number = 1
                then {{ last_elements('new.' ~ column, length) }}
            when new.continues
                then {{ last_elements('new.stored_' ~ column ~ ' || new.' ~ column, length) }}
        end
        {%- endfor %}
        {%- for column in spec.get('scalars', {}) %},
        case when new.continues then new.{{ column }} end
        {%- endfor %}
    from (
        select
            written.*,
            {%- for column in spec['arrays'] %}
            stored.{{ column }} as stored_{{ column }},
            {%- endfor %}
            written.first_bar_number = 1
                or written.first_bar_number = stored.last_bar_number + 1 as continues
        from (
            select
                ticker,
                min(bar_number) as first_bar_number,
                max(bar_number) as last_bar_number,
                -- dates rise with bar numbers
                max(trading_date) as last_trading_date
                {%- for column in spec['arrays'] %},
                array_agg({{ column }} order by bar_number) as {{ column }}
                {%- endfor %}
                {%- for column in spec.get('scalars', {}) %},
                (array_agg({{ column }} order by bar_number desc))[1] as {{ column }}
                {%- endfor %}
            from {{ rows }}
            group by ticker
        ) as written
        left join {{ series_tail_relation() }} as stored on stored.ticker = written.ticker
    ) as new
{%- endmacro %}

{#- Incremental strategy of a mart with a tail: dbt's delete+insert, then the tail of every
    ticker the build wrote, from the rows it wrote (the temp relation) -#}
{% macro get_incremental_series_tail_sql(arg_dict) %}
    {%- set spec = series_tail_spec() -%}
    {%- set columns = series_tail_columns(spec) -%}
    {{ get_incremental_delete_insert_sql(arg_dict) }};
    insert into {{ series_tail_relation() }} ({{ columns | join(', ') }})
    {{ series_tail_rows(arg_dict['temp_relation'], spec) }}
    on conflict (ticker) do update set
        {%- for column in columns[1:] %}
        {{ column }} = excluded.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
{% endmacro %}

{#- post-hook: after a full build, the tail again from the mart (raw: rendered when the hook
    runs) -#}
{% macro refill_series_tail_after_full_build() -%}
    {% raw %}{{ refill_series_tail() }}{% endraw %}
{%- endmacro %}

{#- A full build numbers each ticker's bars from 1, so its tail is its last `length` rows, read
    by the (ticker, trading_date) index: one probe a ticker for the last bar, one backward range
    of `length` rows for the arrays, whatever the years kept. Aggregating every row of the mart
    instead (series_tail_rows: three sorts of each ticker's 253 rows) took 1.75-2.0 s for a
    whole-market year's moving averages; this takes 0.86 s. The tickers come from the same
    index, one probe each (a recursive skip scan): `select distinct` would read every row. -#}
{% macro refill_series_tail() -%}
    {%- set spec = series_tail_spec() -%}
    {%- set scalars = spec.get('scalars', {}) | list -%}
    do $tail$ begin
        if current_setting('stocks_elt.full_build', true) = 'on' then
            truncate {{ series_tail_relation() }};
            insert into {{ series_tail_relation() }} ({{ series_tail_columns(spec) | join(', ') }})
            with recursive tickers as (
                select min(ticker) as ticker from {{ this }}
                union all
                select (
                    select min(mart.ticker) from {{ this }} as mart
                    where mart.ticker > tickers.ticker
                )
                from tickers
                where tickers.ticker is not null
            )
            select
                tickers.ticker,
                last_bar.bar_number,
                last_bar.trading_date
                {%- for column in spec['arrays'] %},
                recent.{{ column }}
                {%- endfor %}
                {%- for column in scalars %},
                last_bar.{{ column }}
                {%- endfor %}
            from tickers
            cross join lateral (
                select bar_number, trading_date{% for column in scalars %}, {{ column }}{% endfor %}
                from {{ this }} as mart
                where mart.ticker = tickers.ticker
                order by mart.trading_date desc
                limit 1
            ) as last_bar
            cross join lateral (
                select
                    {%- for column in spec['arrays'] %}
                    array_agg({{ column }} order by trading_date)
                        as {{ column }}{{ ',' if not loop.last }}
                    {%- endfor %}
                from (
                    select trading_date{% for column in spec['arrays'] %}, {{ column }}{% endfor %}
                    from {{ this }} as mart
                    where mart.ticker = tickers.ticker
                    order by mart.trading_date desc
                    limit {{ spec['length'] | int }}
                ) as bars
            ) as recent;
        end if;
    end $tail$
{%- endmacro %}
