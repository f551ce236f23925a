"""How every caller of our dbt project reaches its database: dbt/profiles.yml reads the same
PG_* variables as the services, so a dbt process gets them from a PostgresSettings (the
transformer's build, `stocks-elt docs`, the dbt benchmark)."""

from __future__ import annotations

import os

from shared.settings import PostgresSettings


def dbt_environment(pg: PostgresSettings) -> dict[str, str]:
    """This process's environment, with the connection dbt's profile reads and no telemetry
    (there is no internet to send it to, and dbt would wait on it)."""
    return {
        **os.environ,
        "PG_HOST": pg.host,
        "PG_PORT": str(pg.port),
        "PG_DATABASE": pg.database,
        "PG_USER": pg.user,
        "PG_PASSWORD": pg.password.get_secret_value(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
