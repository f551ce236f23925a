"""The pipeline run on this machine, for the e2e tests and the benchmarks alike: unique names,
the stack's settings, a Kafka tail, and the whole pipeline (simulator and services as real
processes) on a database and bucket of its own. Not shipped: it lives beside tests/ and
benchmarks/, which both import it from the repository root."""
