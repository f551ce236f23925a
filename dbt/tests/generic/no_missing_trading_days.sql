{#-
    Fails once per `partition_by` value (a ticker) that lacks bars on trading days between its
    own first and last bar; `trading_days_missing` says how many.

    The trading calendar is derived from the data: every date on which any series has a bar.
    No exchange calendar to maintain, and holidays never count as missing; but a day on which
    no series has a bar is not seen as a trading day, so a gap shared by every series (or in the
    only series loaded for those dates) goes unnoticed. Series are compared over the dates loaded,
    so a halted or suspended ticker is reported too: keep the severity at warn.
-#}
{% test no_missing_trading_days(model, column_name, partition_by) %}

with

bars as (
    select distinct
        {{ partition_by }} as series_key,
        {{ column_name }} as bar_date
    from {{ model }}
    where {{ column_name }} is not null
),

-- every date with at least one bar, numbered in order: the n-th trading day
trading_calendar as (
    select
        bar_date,
        row_number() over (order by bar_date) as trading_day_number
    from (select distinct bar_date from bars) as dates
),

series_span as (
    select
        bars.series_key,
        min(bars.bar_date) as first_bar_date,
        max(bars.bar_date) as last_bar_date,
        max(cal.trading_day_number) - min(cal.trading_day_number) + 1 as trading_days_spanned,
        count(*) as bars_present
    from bars
    inner join trading_calendar as cal on bars.bar_date = cal.bar_date
    group by bars.series_key
)

select
    series_key as {{ partition_by }},
    first_bar_date,
    last_bar_date,
    trading_days_spanned,
    bars_present,
    trading_days_spanned - bars_present as trading_days_missing
from series_span
where bars_present < trading_days_spanned

{% endtest %}
