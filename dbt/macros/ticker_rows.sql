{#- The rows of `relation` for the ticker `ticker` (an outer column), as a lateral subquery:
    one index range scan of the relation per outer row, for the few tickers a build rewrites
    whole. As a plain join the planner guessed their number from a CTE, far too high, and hashed
    every row of the relation: for int, all of raw, 3.2 s of a 4.2 s daily build on 10,000
    tickers, a year each (1,010 guessed for 64); for the moving averages, all of int, 1.43 s of
    their 1.63 s query in a daily run after a year (4,846 guessed for 70). `offset 0` keeps the
    subquery from being pulled up into that join again. -#}
{% macro ticker_rows(relation, ticker) -%}
    (
        select *
        from {{ relation }} as ticker_rows
        where ticker_rows.ticker = {{ ticker }}
        offset 0
    )
{%- endmacro %}
