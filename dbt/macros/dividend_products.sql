{#-
    Per ticker, the product of its valid dividends' ratios (ratio_product), as a subquery the
    views join: int's forward dividend_growth x ratio_product is the CRSP backward dividend
    factor, the product of the ratios of the ex-dates after the bar. Read from
    int_corporate_actions_validated, an incremental table, so the views built on it survive
    every build (a view on int_adjustment_factors, a table dbt replaces each time, would be
    dropped with it). A filter on the ticker reaches the grouped rows.
-#}
{% macro dividend_products() -%}
    (
        select ticker, {{ var('udf_schema') }}.product(price_factor) as ratio_product
        from {{ ref('int_corporate_actions_validated') }}
        where action_kind = 'dividend' and is_valid
        group by ticker
    )
{%- endmacro %}
