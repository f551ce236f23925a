-- Alerts that mean something (issue #16): each build's failing test rows, fingerprinted, so a
-- test alerts only on failures its previous build did not have and nobody acknowledged; and
-- the acknowledgements (who accepted which failures, and why). Needs control.runs (0001) and
-- control.run_test_results (0003).

-- When the transformer recorded this run's build's failures (under the dbt lock, right after
-- the build): the previous build is the run recorded last before it.
alter table control.runs add column if not exists tests_triaged_at timestamptz;
create index if not exists runs_tests_triaged_at
    on control.runs (tests_triaged_at) where tests_triaged_at is not null;

-- One row per failure of a non-passing test in a run's build: a failing row of the test (from
-- dbt's store_failures table), or the test itself when it has no rows to show (an error, a
-- unit test). `test_name` is dbt's name without its hash (stable when the test's config
-- changes); `failure_key` is what an acknowledgement names (the row's ticker, when it has one).
create table if not exists control.test_failures (
    run_id      text not null references control.runs (run_id),
    test_name   text not null,
    fingerprint text not null,                 -- md5 of the row's identity columns
    failure_key text not null,
    state       text not null check (state in ('new', 'known', 'acknowledged')),
    -- the build that found it (= runs.tests_triaged_at): a resumed run's second build leaves
    -- its first build's rows behind, and only the rows of its last build are its failures
    triaged_at  timestamptz not null,
    primary key (run_id, test_name, fingerprint)
);

-- Per test of a run: how many of its failures were new, known (in the previous build) or
-- acknowledged; null for a test that passed or was not triaged.
alter table control.run_test_results
    add column if not exists new_failures integer,
    add column if not exists known_failures integer,
    add column if not exists acknowledged_failures integer;

-- Accepted exceptions (`stocks-elt ack`): a failure of `test_name` whose key is `failure_key`
-- (or any failure of it, with '*') never alerts while the acknowledgement is not revoked.
create table if not exists control.acknowledged_failures (
    test_name       text not null,
    failure_key     text not null,
    acknowledged_by text not null check (acknowledged_by <> ''),
    reason          text not null check (reason <> ''),
    acknowledged_at timestamptz not null default now(),
    revoked_at      timestamptz,
    primary key (test_name, failure_key)
);
