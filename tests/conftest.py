"""Test tiers: `unit` needs nothing; `integration` and `e2e` need the real services, found through
the same settings the services read (the environment, or `.env`)."""
