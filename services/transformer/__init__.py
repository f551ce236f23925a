"""The transformer: the run's completion set, and `dbt build` exactly once when it is complete."""
