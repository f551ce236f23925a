with

source as (

    select * from {{ source('polygon', 'tickers') }}

),

renamed as (

    select

        ----------  ids
        ticker,
        cik,
        composite_figi,
        share_class_figi,

        ---------- text
        name as ticker_name,
        type as ticker_type,
        market,
        locale,
        primary_exchange as primary_exchange_mic,
        currency_name,

        ---------- booleans
        active as is_active,

        ---------- lineage
        run_id,
        object_key,

        ---------- timestamps
        last_updated_utc as last_updated_at,
        delisted_utc as delisted_at,
        loaded_at

    from source

)

select * from renamed
