{#-
    The CTEs that decide what an incremental build of int_stock_bars_adjusted writes, from the
    rows of `upstream` that changed since {{ this }} was built:

    candidates   upstream rows whose `change_column` is at or after the mark of {{ this }}'s
                 previous build (changed_since_own_mark: loads that committed after it began)
    new_rows     the candidates not built yet: newer than the ticker's last built row's
                 `built_change_column` (a running maximum, so the last row holds the ticker's)
    changed_dividends
                 per ticker, the first ex-date of the dividends (`events`, valid or not) loaded
                 since the mark: a valid one moves the total-return index from its ex-date on
    plan         one row per ticker to write: is_rebuilt (the whole series) when the ticker has no
                 built row, a new row at or before its last built date (a re-pulled or late bar),
                 splits loaded since its series was built (`factors`' splits_loaded_at: a split
                 moves every bar before it), a dividend changed on or before that date, or
                 factors for that date other than its last row's (an event that left the
                 history: moved to a later date or to another ticker); else
                 its new rows are appended after last_trading_date / last_bar_number, and a
                 dividend on a later day reaches them through the factors alone.

    Every lookup of {{ this }} is by index: max(change_column), and the last row per ticker,
    whose `carried` columns built_last keeps as last_<column> (the model continues from them
    without reading the row again).
-#}
{% macro series_plan_ctes(upstream, change_column, built_change_column, factors, events, carried=[]) %}

candidates as (

    select *
    from {{ upstream }}
    where {{ changed_since_own_mark(change_column) }}

),

-- a ticker's last range carries its ticker-wide loads
ticker_actions as (

    select ticker, splits_loaded_at
    from {{ factors }}
    where valid_until_date = 'infinity'

),

changed_dividends as (

    select ticker, min(event_date) as first_changed_date
    from {{ events }}
    where action_kind = 'dividend' and {{ changed_since_own_mark('loaded_at') }}
    group by ticker

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
        last_built.splits_loaded_at as last_splits_loaded_at,
        last_built.split_factor as last_split_factor,
        last_built.dividend_growth as last_dividend_growth,
        last_built.dividends_loaded_at as last_dividends_loaded_at
        {%- for column in carried %},
        last_built.{{ column }} as last_{{ column }}
        {%- endfor %}
    from candidate_tickers
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

rebuild_reasons as (

    select
        built_last.*,
        new_rows_per_ticker.first_new_date,
        built_last.last_trading_date is not null and (
            ticker_actions.splits_loaded_at is distinct from built_last.last_splits_loaded_at
            or changed_dividends.first_changed_date <= built_last.last_trading_date
            -- the last built row's factors are no longer the ones for its date: an event
            -- moved off the history or to another ticker (its new place is in neither test)
            or (
                coalesce(factors.split_factor, 1),
                coalesce(factors.dividend_growth, 1),
                factors.dividends_loaded_at
            ) is distinct from (
                built_last.last_split_factor,
                built_last.last_dividend_growth,
                built_last.last_dividends_loaded_at
            )
        ) as actions_moved_history
    from built_last
    left join new_rows_per_ticker on built_last.ticker = new_rows_per_ticker.ticker
    left join ticker_actions on built_last.ticker = ticker_actions.ticker
    left join changed_dividends on built_last.ticker = changed_dividends.ticker
    left join {{ factors }} as factors
        on factors.ticker = built_last.ticker
        and built_last.last_trading_date >= factors.valid_from_date
        and built_last.last_trading_date < factors.valid_until_date

),

plan as (

    select
        ticker,
        last_trading_date,
        coalesce(last_bar_number, 0) as last_bar_number,
        last_trading_date is null
            or first_new_date <= last_trading_date
            or coalesce(actions_moved_history, false)
            as is_rebuilt
    from rebuild_reasons
    where first_new_date is not null or coalesce(actions_moved_history, false)

)

{% endmacro %}
