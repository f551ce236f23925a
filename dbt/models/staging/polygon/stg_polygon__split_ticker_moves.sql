with

source as (

    select * from {{ source('polygon', 'split_ticker_moves') }}

),

renamed as (

    select

        ----------  ids
        split_id,
        from_ticker,
        to_ticker,

        ---------- timestamps
        moved_at

    from source

)

select * from renamed
