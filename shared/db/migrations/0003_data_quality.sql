-- Every dbt test of a run (data tests and unit tests) with how it ended, written by the
-- transformer in the transaction that ends the run. Needs control.runs (0001).

create table if not exists control.run_test_results (
    run_id      text not null references control.runs (run_id),
    unique_id   text not null,                 -- dbt's node id, e.g. test.stocks_elt.<name>
    status      text not null,                 -- pass | fail | warn | error | skipped
    failures    integer,                       -- rows the test returned; null when it errored
    message     text,                          -- dbt's message, e.g. "Got 3 results, ..."
    primary key (run_id, unique_id)
);

-- `stocks-elt status` lists the problems of recent runs.
create index if not exists run_test_results_problems
    on control.run_test_results (run_id) where status <> 'pass';
