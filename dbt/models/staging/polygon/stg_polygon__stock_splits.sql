with

source as (

    select * from {{ source('polygon', 'stock_splits') }}

),

renamed as (

    select

        ----------  ids
        id as split_id,
        ticker,

        ---------- dates
        execution_date,

        ---------- numerics
        -- a 2-for-1 split is from 1 to 2; a 1-for-10 reverse split is from 10 to 1
        split_from,
        split_to,

        ---------- lineage
        run_id,
        object_key,

        ---------- timestamps
        loaded_at

    from source

)

select * from renamed
