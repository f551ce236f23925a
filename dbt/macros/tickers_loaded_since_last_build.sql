{#-
    Incremental marts rebuild whole tickers: this subquery lists the tickers of `upstream` with a
    row loaded since the newest row already in {{ this }} (minus var('incremental_lookback'), so a
    load that committed late is not missed). Recomputing a ticker's full series keeps every window
    (lags, moving averages, EMA recursion, volatility) equal to a full refresh.
-#}
{% macro tickers_loaded_since_last_build(upstream) %}
    select distinct ticker
    from {{ upstream }}
    where loaded_at > (
        select coalesce(max(loaded_at), '-infinity'::timestamptz)
        from {{ this }}
    ) - interval '{{ var("incremental_lookback") }}'
{% endmacro %}
