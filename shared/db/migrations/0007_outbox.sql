-- The transactional outbox: every event that follows a state change (a run finished or failed,
-- its alerts) is written here in the transaction that makes the change, and relayed to Kafka
-- afterwards, at least once. A crash between the commit and the publish loses nothing: the
-- relay publishes what it finds unpublished. Consumers are idempotent by message_id.
-- Needs schema control (0001).

create table if not exists control.outbox (
    id            bigserial primary key,            -- publish order
    message_id    text not null unique,              -- the event's own deterministic id
    topic         text not null,
    key           text not null,
    payload       jsonb not null,
    created_at    timestamptz not null default now(),
    published_at  timestamptz
);

create index if not exists outbox_pending on control.outbox (id) where published_at is null;

-- A run's completion counts only the batches its lister registered: a stray object or a forged
-- batch-loaded event adds to the set but never to the count.
alter table control.batches add column if not exists listed boolean not null default false;
update control.batches b set listed = true
where b.command is not null or b.batch_id = 'tickers';
