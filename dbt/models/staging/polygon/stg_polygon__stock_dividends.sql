with

source as (

    select * from {{ source('polygon', 'stock_dividends') }}

),

renamed as (

    select

        ----------  ids
        id as dividend_id,
        ticker,

        ---------- dates
        ex_dividend_date,
        declaration_date,
        record_date,
        pay_date,

        ---------- numerics
        -- per share as paid then (never split-adjusted): pairs with as-traded prices
        cash_amount,
        currency as currency_code,
        frequency as payments_per_year,

        ---------- text
        dividend_type,

        ---------- lineage
        run_id,
        object_key,

        ---------- timestamps
        loaded_at

    from source

)

select * from renamed
