-- API requests by outcome, for the run report: {"200": 41, "429": 2, "error": 1}, an HTTP status
-- as a string or "error" when no answer came (timeout, dropped connection). Every page and retry
-- counts, so a row's counts add up to its api_requests. The fetcher sets a batch's with
-- mark_fetched (set, not added, like api_requests); the lister sets the run's for its own
-- requests (listing, reference data). Null on rows written before this migration.
-- Needs control.runs and control.batches (0001); the roles that write them already may.

alter table control.batches add column if not exists api_statuses jsonb;
alter table control.runs add column if not exists api_statuses jsonb;
