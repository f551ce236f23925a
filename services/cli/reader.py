"""The read-only connection of the commands that only look (chart, report, docs): as
`elt_reader`, which reads the control tables and what dbt builds and can change nothing."""

from __future__ import annotations

from shared.settings import PostgresAdminSettings, PostgresSettings

READER_ROLE = "elt_reader"


def reader_settings() -> PostgresSettings:
    """PG_* with the reader role and its password (PG_ADMIN_READER_PASSWORD, which bootstrap
    gave the role)."""
    password = PostgresAdminSettings().reader_password
    return PostgresSettings().model_copy(update={"user": READER_ROLE, "password": password})
