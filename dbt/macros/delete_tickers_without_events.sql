{#- post-hook of int_adjustment_factors (raw: rendered when it runs): an incremental build
    writes the tickers whose events changed, and a ticker whose every event moved to another
    ticker, with no split move recorded (a dividend's), has none left to write; its ranges go.
    Its open range finds it (one per ticker). In a full build, which starts from an empty
    table, it deletes nothing. -#}
{% macro delete_tickers_without_events() -%}
    {% raw -%}
    delete from {{ this }} as factors
    where factors.ticker in (
        select open_range.ticker
        from {{ this }} as open_range
        where open_range.valid_until_date = 'infinity'
          and not exists (
              select
              from {{ ref('int_corporate_actions_validated') }} as events
              where events.ticker = open_range.ticker
          )
          and not exists (
              select
              from {{ ref('stg_polygon__split_ticker_moves') }} as moves
              where moves.from_ticker = open_range.ticker
          )
    )
    {%- endraw %}
{%- endmacro %}
