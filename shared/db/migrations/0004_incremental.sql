-- Incremental runs: each ticker's last loaded bar, kept by the loader in the load's transaction;
-- and each batch's command, so a redelivered run request republishes exactly what was planned.

create table if not exists control.ticker_watermarks (
    ticker     text not null,
    adjusted   boolean not null,
    last_date  date not null,
    updated_at timestamptz not null default now(),
    primary key (ticker, adjusted)
);

insert into control.ticker_watermarks (ticker, adjusted, last_date)
select ticker, adjusted, max(trading_date) from raw.stock_bars_daily group by 1, 2
on conflict do nothing;

alter table control.batches add column if not exists command jsonb;
