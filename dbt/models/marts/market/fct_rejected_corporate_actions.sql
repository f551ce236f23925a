with

loader_rejects as (

    select * from {{ ref('stg_polygon__rejected_corporate_actions') }}

),

events as (

    select * from {{ ref('int_corporate_actions_validated') }}

),

-- every rejected event: what the loader could not store, and what dbt keeps out of the factors
rejected as (

    select
        action_kind,
        event_id,
        ticker,
        rejection_reason,
        'loader' as rejected_by,
        object_key,
        rejected_at as recorded_at
    from loader_rejects

    union all

    select
        action_kind,
        event_id,
        ticker,
        rejection_reason,
        'dbt' as rejected_by,
        object_key,
        loaded_at as recorded_at
    from events
    where not is_valid

)

select
    action_kind || '|' || event_id || '|' || rejected_by || '|' || object_key as rejection_id,
    *
from rejected
