-- Corporate actions (splits, cash dividends) as the API sent them, the events the loader could not
-- store, and how far each kind has been fetched. Raw bars are as traded from here on
-- (adjusted = false); adjusted series are derived by dbt from the bars and these events.
-- Needs schemas raw and control (0001).

-- Keyed by Polygon's id: a re-read event upserts, and loaded_at moves only when a value changed
-- (a vendor correction), which is how dbt finds the tickers whose adjusted series must be rebuilt.
create table if not exists raw.stock_splits (
    id              text primary key,
    ticker          text not null,
    execution_date  date not null,             -- first day traded on the new basis
    split_from      double precision not null, -- 2-for-1: from 1, to 2; 1-for-10: from 10, to 1
    split_to        double precision not null,
    run_id          text not null,
    object_key      text not null,
    loaded_at       timestamptz not null default now()
);
create index if not exists stock_splits_ticker on raw.stock_splits (ticker, execution_date);

create table if not exists raw.stock_dividends (
    id                text primary key,
    ticker            text not null,
    ex_dividend_date  date not null,
    cash_amount       double precision not null, -- per share as paid then: pairs with as-traded prices
    currency          text,
    declaration_date  date,
    record_date       date,
    pay_date          date,
    frequency         integer,                   -- 0 one-time, 1, 2, 4, 12 a year
    dividend_type     text,                      -- CD regular, SC special, LT/ST capital gains
    run_id            text not null,
    object_key        text not null,
    loaded_at         timestamptz not null default now()
);
create index if not exists stock_dividends_ticker on raw.stock_dividends (ticker, ex_dividend_date);

-- Events the loader could not store as valid rows (wrong types, a ratio or amount out of range,
-- one id with two different values in one answer), with why and the event exactly as sent.
create table if not exists raw.rejected_corporate_actions (
    kind         text not null check (kind in ('split', 'dividend')),
    event_id     text not null,              -- Polygon's id, or '<line N>' when it has none
    ticker       text,
    reason       text not null,
    payload      jsonb not null,
    run_id       text not null,
    object_key   text not null,
    rejected_at  timestamptz not null default now(),
    primary key (kind, event_id, object_key)
);

-- Each kind is re-read from fetched_through minus a safety window, since events are announced
-- late and corrected. ticker '*' is the whole market (a run of every listed ticker).
create table if not exists control.corporate_action_watermarks (
    kind             text not null check (kind in ('splits', 'dividends')),
    ticker           text not null,
    fetched_through  date not null,
    updated_at       timestamptz not null default now(),
    primary key (kind, ticker)
);
