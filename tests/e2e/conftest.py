"""The e2e tier: every service a real process (2 fetchers, 2 loaders), the simulator, dbt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from services.polygon_sim.market import Market
from shared.bootstrap import bootstrap_database, bootstrap_storage, bootstrap_topics
from shared.clients.storage import minio_client
from shared.messages import topics
from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings
from tests.support.kafka_tail import commit_groups_to_end
from tests.support.names import unique, unique_db

from .pipeline import Pipeline, free_port, make_supervisor

SEED, UNIVERSE = 7, 40
HISTORY = (date(2023, 1, 3), date(2024, 12, 31))
GROUPS = {"lister": topics.RUN_REQUESTS, "fetcher": topics.TICKER_BATCHES,
          "loader": topics.RAW_OBJECT_EVENTS, "transformer": topics.BATCH_LOADED}


def malformed_ticker() -> str:
    """A listed, never-delisted ordinary ticker the simulator will always answer badly."""
    market = Market(SEED, UNIVERSE, *HISTORY)
    plain = [x.ticker for x in market.tickers() if not x.delisted and x.ticker.isalpha()
             and x.ticker.isupper()]
    return plain[len(plain) // 2]


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    kafka, minio = KafkaSettings(), MinioSettings()  # type: ignore[call-arg]
    admin = PostgresAdminSettings()  # type: ignore[call-arg]
    pg = PostgresSettings().model_copy(update={"database": unique_db("stocks_e2e")})  # type: ignore[call-arg]
    bucket = minio.model_copy(update={"bucket": unique("e2e")})

    async def prepare() -> None:
        await bootstrap_topics(kafka)
        await bootstrap_storage(bucket)
        await bootstrap_database(pg, admin)
        await commit_groups_to_end(kafka.bootstrap_servers, GROUPS)

    asyncio.run(prepare())
    sim_port = free_port()
    state: Path = tmp_path_factory.mktemp("e2e-state")
    env = {
        "PG_DATABASE": pg.database, "MINIO_BUCKET": bucket.bucket,
        "POLYGON_BASE_URL": f"http://127.0.0.1:{sim_port}", "POLYGON_API_KEY": "demo-key",
        "POLYGON_RATE_LIMIT_PER_S": "500", "POLYGON_MAX_RETRY_S": "60",
        "TRANSFORMER_SWEEP_INTERVAL_S": "3", "FETCHER_CONCURRENCY": "8",
    }
    p = Pipeline(pg, admin.password.get_secret_value(), kafka.bootstrap_servers,
                 f"http://127.0.0.1:{sim_port}", make_supervisor(state), env)
    p.start_simulator({
        "SIM_PORT": str(sim_port), "SIM_SEED": str(SEED), "SIM_UNIVERSE_SIZE": str(UNIVERSE),
        "SIM_HISTORY_START": HISTORY[0].isoformat(), "SIM_HISTORY_END": HISTORY[1].isoformat(),
        "SIM_MALFORMED_TICKERS": f'["{malformed_ticker()}"]',
        "SIM_LATENCY_MEAN_MS": "5", "SIM_ERROR_5XX_SHARE": "0.05",
    })
    p.start({"lister": 1, "fetcher": 2, "loader": 2, "transformer": 1})
    try:
        yield p
    finally:
        p.stop()
        asyncio.run(_drop(pg, admin))
        client = minio_client(bucket)
        for obj in client.list_objects(bucket.bucket, recursive=True):
            client.remove_object(bucket.bucket, obj.object_name)
        client.remove_bucket(bucket.bucket)


async def _drop(pg: PostgresSettings, admin: PostgresAdminSettings) -> None:
    conn = await asyncpg.connect(host=pg.host, port=pg.port, user=admin.user,
                                 password=admin.password.get_secret_value(), database="postgres")
    try:
        await conn.execute(f'drop database if exists "{pg.database}" with (force)')
    finally:
        await conn.close()
