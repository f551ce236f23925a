-- A split the vendor sends again under another ticker (a correction) is upserted by its id: its
-- row then names the new ticker, and nothing in raw says that the old ticker lost a split. dbt
-- finds a ticker whose split-adjusted series must be built again by the newest load of its
-- splits, and for the old ticker that would go down, which no incremental build looks for: its
-- marts kept the split. So each move is recorded here, with the load time of the row that made
-- it, and dbt counts it as a load of the old ticker's splits (int_adjustment_factors). Rows are
-- raw history like the splits themselves: a full refresh reads the same moves.
-- Needs raw.stock_splits (0005).

create table if not exists raw.split_ticker_moves (
    split_id     text not null,
    from_ticker  text not null,
    to_ticker    text not null,
    moved_at     timestamptz not null,  -- the split's loaded_at after the move
    primary key (split_id, from_ticker, moved_at)
);
create index if not exists split_ticker_moves_from_ticker on raw.split_ticker_moves (from_ticker);

-- runs as the role that updates the split (the loader's: insert on the table, nothing more)
create or replace function raw.record_split_ticker_move()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    insert into raw.split_ticker_moves (split_id, from_ticker, to_ticker, moved_at)
    values (old.id, old.ticker, new.ticker, new.loaded_at)
    on conflict do nothing;
    return null;
end
$$;

drop trigger if exists split_ticker_moved on raw.stock_splits;
create trigger split_ticker_moved
    after update of ticker on raw.stock_splits
    for each row
    when (old.ticker is distinct from new.ticker)
    execute function raw.record_split_ticker_move();
