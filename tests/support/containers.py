"""The same three servers from testcontainers, for machines with a Docker engine
(STOCKS_ELT_TESTCONTAINERS=1). They end in the same `Stack` of settings as the native path.

MinIO reaches Kafka inside a Docker network by the alias `kafka` (the broker's in-network
listener); the tests reach both through their mapped ports. Not exercised on our Docker-less CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.messages.topics import RAW_OBJECT_EVENTS
from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings
from testbed.stack import Stack

KAFKA_IMAGE = "apache/kafka:3.9.1"
MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"  # as in docker-compose.yml
POSTGRES_IMAGE = "postgres:15.14-bookworm"
SECRET = "containers-only"


@contextmanager
def container_stack() -> Iterator[Stack]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.minio import MinioContainer
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.core.network import Network

    with Network() as net:
        kafka = (
            KafkaContainer(KAFKA_IMAGE).with_kraft().with_network(net).with_network_aliases("kafka")
        )
        minio = (
            MinioContainer(MINIO_IMAGE, access_key="minioadmin", secret_key=SECRET)
            .with_network(net)
            .with_env("MINIO_NOTIFY_KAFKA_ENABLE_PRIMARY", "on")
            .with_env("MINIO_NOTIFY_KAFKA_BROKERS_PRIMARY", "kafka:9092")
            .with_env("MINIO_NOTIFY_KAFKA_TOPIC_PRIMARY", RAW_OBJECT_EVENTS)
            .with_env("MINIO_NOTIFY_KAFKA_QUEUE_DIR_PRIMARY", "/data/.events-queue")
        )
        postgres = PostgresContainer(
            POSTGRES_IMAGE, username="postgres", password=SECRET, dbname="postgres"
        )
        with kafka, minio, postgres:
            yield Stack(
                kafka=KafkaSettings(bootstrap_servers=kafka.get_bootstrap_server()),
                minio=MinioSettings(
                    endpoint=f"{minio.get_container_host_ip()}:{minio.get_exposed_port(9000)}",
                    access_key="minioadmin",
                    secret_key=SECRET,
                ),
                postgres=PostgresSettings(
                    host=postgres.get_container_host_ip(),
                    port=int(postgres.get_exposed_port(5432)),
                    password=SECRET,
                ),
                admin=PostgresAdminSettings(
                    user="postgres",
                    password=SECRET,
                    ingest_password=SECRET,
                    transform_password=SECRET,
                    reader_password=SECRET,
                ),
            )
