-- Control schema (runs, batches, their completion set, per-ticker errors) and the raw schema that
-- only the loader writes. dbt owns every other schema.

create schema if not exists control;
create schema if not exists raw;

create table if not exists control.runs (
    run_id              text primary key,
    request             jsonb not null,
    -- listing -> running -> transforming -> succeeded | succeeded_with_errors | failed
    status              text not null default 'listing'
        check (status in ('listing', 'running', 'transforming', 'succeeded',
                          'succeeded_with_errors', 'failed')),
    total_batches       integer check (total_batches >= 0),  -- known once the lister is done
    tickers_total       integer,
    plan                text,                                -- per_ticker | grouped_daily
    plan_reason         text,
    api_requests        bigint not null default 0,           -- the lister's own requests
    requested_at        timestamptz not null default now(),
    listed_at           timestamptz,
    transform_started_at timestamptz,
    finished_at         timestamptz,
    reason              text,                                -- why it failed, or what went wrong
    dbt_result          jsonb,                               -- models built, tests passed/failed
    -- A transformer running dbt renews this; a stale one means it died and the run is resumed.
    transform_heartbeat timestamptz,
    updated_at          timestamptz not null default now()
);

-- One row per batch the lister published; the fetch and load columns fill in as it moves.
create table if not exists control.batches (
    run_id          text not null references control.runs (run_id),
    batch_id        text not null,
    tickers         text[] not null,
    object_key      text,
    fetched_at      timestamptz,
    loaded_at       timestamptz,
    api_requests    integer,           -- set, not added to: a re-fetch does not double it
    bars_loaded     integer,
    tickers_failed  integer,
    primary key (run_id, batch_id)
);

-- The completion counter is this set: a duplicate batch-loaded event inserts nothing.
create table if not exists control.completed_batches (
    run_id       text not null references control.runs (run_id),
    batch_id     text not null,
    completed_at timestamptz not null default now(),
    primary key (run_id, batch_id)
);

create table if not exists control.ticker_errors (
    run_id     text not null references control.runs (run_id),
    batch_id   text not null,
    ticker     text not null,
    kind       text not null,     -- e.g. malformed_response, not_entitled, gave_up
    reason     text not null,
    recorded_at timestamptz not null default now(),
    primary key (run_id, ticker)
);

-- Daily bars exactly as the API gave them. Identity: (ticker, trading_date, adjusted).
create table if not exists raw.stock_bars_daily (
    ticker        text not null,              -- case-sensitive, as received (BRK.A, KIMpL)
    trading_date  date not null,              -- from t, in America/New_York
    adjusted      boolean not null,
    open          double precision not null,
    high          double precision not null,
    low           double precision not null,
    close         double precision not null,
    volume        double precision not null,  -- may be fractional
    vwap          double precision,
    transactions  bigint,
    otc           boolean not null default false,
    bar_ts_ms     bigint not null,            -- t as sent: midnight (range) or 16:00 (grouped) NY
    source        text not null,              -- aggs_range | grouped_daily
    run_id        text not null,
    object_key    text not null,
    loaded_at     timestamptz not null default now(),
    primary key (ticker, trading_date, adjusted)
);

-- The ticker reference list as the tickers endpoint gave it, latest answer per ticker.
create table if not exists raw.tickers (
    ticker            text primary key,
    name              text,
    market            text,
    locale            text,
    primary_exchange  text,
    type              text,
    active            boolean,
    currency_name     text,
    cik               text,
    composite_figi    text,
    share_class_figi  text,
    last_updated_utc  timestamptz,
    delisted_utc      timestamptz,
    run_id            text not null,
    object_key        text not null,
    loaded_at         timestamptz not null default now()
);
