{#-
    A data test's `where` config, with two additions so a costly test can check only the rows
    the build wrote instead of the whole history:
    - where: written_rows  -> the rows whose inputs_loaded_at is within var('tested_rows_window')
      of the newest. The bound is read when the test runs and written into its SQL as a
      literal, so the planner compares it with the column's statistics and reads the index on
      inputs_loaded_at. As a subquery or a join with a one-row bound it is estimated at a third
      of the table: the two costly tests of int then read all of it (measured in the pipeline's
      daily run on a year of 10,000 tickers: 5.3 s and 2.6 s, 33,518 rows in the window).
    - where: written_bars  -> the same by loaded_at (the bar's own load; indexed on int): the
      rows whose bar is new, for tests of the bars' dates alone. A dividend rewrites its
      ticker's whole history in int (new inputs_loaded_at) but moves no date: measured in the
      pipeline's daily run after 5 years of 10,000 tickers, the trading-day gap test read
      those histories for 5.3 s.
    - __this__ in any other `where` stands for the tested relation, and
      __since_build_of(model)__ for the time since which rows are new to the intermediate
      model's previous build (macro incremental_since; its fallback: the model's newest
      loaded_at minus the lookback). Resolved here, when the test runs: a test's config is
      rendered at parse time, before any build.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set window_columns = {'written_rows': 'inputs_loaded_at', 'written_bars': 'loaded_at'} -%}
    {%- if where in window_columns -%}
        {%- set column = window_columns[where] -%}
        {%- set since = none -%}
        {%- if execute -%}
            {#- the newest by `order by ... limit 1`, not max(): Postgres turns max() into an
                index probe only on a plain table, and the marts' views join int to the
                dividend products (a scan of the whole index, 5 s after five years) -#}
            {%- set found = run_query(
                "select (" ~ column ~ " - interval '" ~ var('tested_rows_window')
                ~ "')::text from " ~ relation ~ " where " ~ column ~ " is not null"
                ~ " order by " ~ column ~ " desc limit 1"
            ) -%}
            {%- set since = found.columns[0].values()[0] -%}
        {%- endif -%}
        {#- no rows (or parsing): nothing to test -#}
        {%- set bound = "'" ~ since ~ "'::timestamptz" if since is not none else none -%}
        {%- set filtered -%}
            (
                select * from {{ relation }}
                where {{ column ~ " >= " ~ bound if bound is not none else "false" }}
            ) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- elif where -%}
        {%- set where = where | replace('__this__', relation | string) -%}
        {%- set resolved = namespace(where=where) -%}
        {%- for model in modules.re.findall('__since_build_of\\((\\w+)\\)__', where) -%}
            {%- set since = incremental_since(
                intermediate_relation(model),
                "select " ~ var('udf_schema') ~ ".high_watermark('intermediate." ~ model
                ~ "', 'loaded_at') - interval '" ~ var('incremental_lookback') ~ "'",
                literal=true,
            ) -%}
            {%- set resolved.where = resolved.where | replace(
                '__since_build_of(' ~ model ~ ')__', since
            ) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ resolved.where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
