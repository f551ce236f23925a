-- What a user sees (issue #16): a run request the lister refused is a run too, with status
-- 'rejected' and the reason, so `stocks-elt status` shows it and `run --wait` ends on it; and
-- dbt's progress while the transformer builds, so `--wait` shows nodes done out of total.
-- Unknown tickers need no new table: control.ticker_errors takes them with kind 'not_found'
-- (no such ticker) or 'no_data' (no bars in the range). Needs control.runs (0001).

alter table control.runs drop constraint if exists runs_status_check;
alter table control.runs add constraint runs_status_check
    check (status in ('listing', 'running', 'transforming', 'succeeded',
                      'succeeded_with_errors', 'failed', 'rejected'));

-- {"done": <nodes finished>, "total": <nodes selected>}, renewed by the transformer as dbt logs
-- each node's end; null before dbt starts.
alter table control.runs add column if not exists dbt_progress jsonb;
