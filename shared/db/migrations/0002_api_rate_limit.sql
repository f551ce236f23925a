-- The deployment-wide request budget of an external API, shared by every replica (GCRA).
-- One row per budget (e.g. 'polygon', one per API key). tat = "theoretical arrival time": the
-- earliest moment the next request may go; each request moves it forward by 1/rate in one
-- atomic update (shared/clients/polygon/_pg_rate_limit.py). Needs schema control (0001).

create table if not exists control.api_rate_limit (
    name        text primary key,
    tat         timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
