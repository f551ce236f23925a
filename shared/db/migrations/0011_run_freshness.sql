-- dbt source freshness, checked after each run's build and stored with the run: one object per
-- source, {"source", "status" (pass | warn | error | runtime error), "max_loaded_at", "age_s",
-- "message"}; null before the check ran. A stale source is also alerted (stocks.alerts, via the
-- outbox). Needs control.runs (0001).

alter table control.runs add column if not exists source_freshness jsonb;
