"""The native stack launcher: Kafka (KRaft), MinIO and PostgreSQL on loopback, without Docker."""
