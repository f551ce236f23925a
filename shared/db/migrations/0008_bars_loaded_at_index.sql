-- dbt finds the bars loaded since its last build by loaded_at (and scopes its costly tests to
-- them): without this index every incremental build scans all of raw.
-- Needs raw.stock_bars_daily (0001).

create index if not exists stock_bars_daily_loaded_at on raw.stock_bars_daily (loaded_at);
