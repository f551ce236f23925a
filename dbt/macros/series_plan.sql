{#-
    The CTEs that decide what an incremental build of a per-ticker series model writes, from the
    rows of `upstream` that changed since {{ this }} was built:

    candidates   upstream rows whose `change_column` is at or after the mark of {{ this }}'s
                 previous build (changed_since_own_mark: loads that committed after it began)
    new_rows     the candidates not built yet: newer than the ticker's last built row's
                 `built_change_column` (a running maximum, so the last row holds the ticker's)
    plan         one row per ticker to write: is_rebuilt (the whole series) when the ticker has no
                 built row, a new row at or before its last built date (a re-pulled or late bar),
                 or corporate actions (`actions`) loaded since its series was built;
                 else its new rows are appended after last_trading_date / last_bar_number.

    Every lookup of {{ this }} is by index: max(change_column), and the last row per ticker,
    whose `carried` columns built_last keeps as last_<column> (the model continues from them
    without reading the row again).
-#}
{% macro series_plan_ctes(upstream, change_column, built_change_column, actions, carried=[]) %}

candidates as (

    select *
    from {{ upstream }}
    where {{ changed_since_own_mark(change_column) }}

),

ticker_actions as (

    select distinct ticker, actions_loaded_at from {{ actions }}

),

candidate_tickers as (

    select ticker from candidates
    union
    select ticker from ticker_actions

),

built_last as (

    select
        candidate_tickers.ticker,
        last_built.trading_date as last_trading_date,
        last_built.bar_number as last_bar_number,
        last_built.{{ built_change_column }} as last_change,
        last_built.actions_loaded_at as last_actions_loaded_at
        {%- for column in carried %},
        last_built.{{ column }} as last_{{ column }}
        {%- endfor %}
    from (select distinct ticker from candidate_tickers) as candidate_tickers
    left join lateral (
        select *
        from {{ this }} as built
        where built.ticker = candidate_tickers.ticker
        order by built.trading_date desc
        limit 1
    ) as last_built on true

),

new_rows as (

    select candidates.*
    from candidates
    inner join built_last on candidates.ticker = built_last.ticker
    where built_last.last_change is null
       or candidates.{{ change_column }} > built_last.last_change

),

new_rows_per_ticker as (

    select ticker, min(trading_date) as first_new_date
    from new_rows
    group by ticker

),

plan as (

    select
        built_last.ticker,
        built_last.last_trading_date,
        coalesce(built_last.last_bar_number, 0) as last_bar_number,
        built_last.last_trading_date is null
            or new_rows_per_ticker.first_new_date <= built_last.last_trading_date
            or ticker_actions.actions_loaded_at is distinct from built_last.last_actions_loaded_at
            as is_rebuilt
    from built_last
    left join new_rows_per_ticker on built_last.ticker = new_rows_per_ticker.ticker
    left join ticker_actions on built_last.ticker = ticker_actions.ticker
    where new_rows_per_ticker.ticker is not null
        or (
            built_last.last_trading_date is not null
            and ticker_actions.actions_loaded_at is distinct from built_last.last_actions_loaded_at
        )

)

{% endmacro %}
