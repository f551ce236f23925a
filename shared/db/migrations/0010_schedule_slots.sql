-- The scheduler's slots: one row per schedule slot, keyed by the slot's deterministic run id,
-- holding the slot's run request until it is published. A replica starts a slot only if its
-- insert made the row (insert ... on conflict do nothing): two replicas, a restart or a
-- re-publish never start a slot twice. The row is the slot's own outbox: a crash between the
-- insert and the publish loses nothing, since every check publishes the rows still unpublished
-- (row-locked, so two replicas never send one together). Needs schema control (0001).

create table if not exists control.schedule_slots (
    run_id        text primary key,
    slot_at       timestamptz not null,      -- when the slot fired, by the schedule
    cron          text not null,             -- the schedule that made it, as configured
    request       jsonb not null,            -- the run request, as published
    claimed_by    text not null,             -- the replica (host:pid) that started it
    claimed_at    timestamptz not null default now(),
    published_at  timestamptz                -- null until the request is on Kafka
);

create index if not exists schedule_slots_slot_at on control.schedule_slots (slot_at);
create index if not exists schedule_slots_unpublished on control.schedule_slots (slot_at)
    where published_at is null;
