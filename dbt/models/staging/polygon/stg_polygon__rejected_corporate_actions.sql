with

source as (

    select * from {{ source('polygon', 'rejected_corporate_actions') }}

),

renamed as (

    select

        ----------  ids
        kind as action_kind,
        event_id,
        ticker,

        ---------- text
        reason as rejection_reason,

        ---------- json
        payload,

        ---------- lineage
        run_id,
        object_key,

        ---------- timestamps
        rejected_at

    from source

)

select * from renamed
