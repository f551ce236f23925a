"""The settings of one running stack (native or containers), handed to tests and benchmarks."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from shared.clients.db import connect
from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings


@dataclass(frozen=True)
class Stack:
    kafka: KafkaSettings
    minio: MinioSettings
    postgres: PostgresSettings
    admin: PostgresAdminSettings

    def check_reachable(self) -> None:
        """Fail fast, with the command to run, when a service is not listening."""
        targets = {
            "kafka": self.kafka.bootstrap_servers.split(",")[0],
            "minio": self.minio.endpoint,
            "postgres": f"{self.postgres.host}:{self.postgres.port}",
        }
        for name, address in targets.items():
            host, _, port = address.rpartition(":")
            try:
                socket.create_connection((host, int(port)), timeout=2).close()
            except OSError as exc:
                raise RuntimeError(
                    f"{name} is not reachable at {address}: run `deploy/local/stack up` "
                    "(or scripts/test, which does it)"
                ) from exc


async def drop_database(pg: PostgresSettings, admin: PostgresAdminSettings) -> None:
    """Drop a test database, closing its connections first."""
    conn = await connect(pg, admin, database="postgres")
    try:
        await conn.execute(f'drop database if exists "{pg.database}" with (force)')
    finally:
        await conn.close()
