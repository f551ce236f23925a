with

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

final as (

    select
        ticker,
        ticker_name,
        ticker_type,
        market,
        locale,
        primary_exchange_mic,
        currency_name,
        cik,
        composite_figi,
        share_class_figi,
        is_active,
        delisted_at,
        last_updated_at

    from tickers

)

select * from final
