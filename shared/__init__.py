"""stocks-elt's shared library: message contracts, settings, logging, and the clients of Kafka,
MinIO, Postgres and the Polygon API. Importing it has no side effects."""
