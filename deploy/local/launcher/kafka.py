"""Apache Kafka as one KRaft node (broker and controller), run from Maven Central jars."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess

from aiokafka.admin import AIOKafkaAdminClient

from .layout import KAFKA_VERSION, REPO_ROOT, Layout
from .process import pid_of, spawn, split_host_port, terminate
from .steps import StepFailed, run_logged, wait_until

NAME = "kafka"


def install(lay: Layout) -> bool:
    """Copy the broker's jars into the cache. False when they were there already."""
    if (lay.kafka_lib / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        return False
    if shutil.which("java") is None or shutil.which("mvn") is None:
        raise StepFailed("install kafka", "java and mvn are needed (apt-get install maven)")
    tmp = lay.kafka_lib.with_name("lib.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    run_logged(
        "install kafka",
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(REPO_ROOT / "deploy/local/kafka-pom.xml"),
            f"-Dmaven.repo.local={lay.cache / 'm2'}",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ],
        lay.install_log(NAME),
    )
    tmp.rename(lay.kafka_lib)  # only a complete jar set counts as installed
    return True


# Broker settings docker-compose.yml gives its Kafka too (as KAFKA_* variables; a unit test
# compares them). Idle connections are kept a week, not Kafka's 10 minutes: MinIO's producer
# found its connection closed at the next run and retried 1 s for each partition it then sent
# to, one after the other (after 12 idle minutes five events reached Kafka 3.9-5.9 s after their
# objects; with the connection kept, 2.4 s).
SHARED_SETTINGS = {"connections.max.idle.ms": str(7 * 24 * 3600 * 1000)}


def _write_config(lay: Layout) -> tuple[str, str]:
    host, port = split_host_port(lay.kafka.bootstrap_servers)
    ctl = lay.stack.kafka_controller_port
    conf = lay.data(NAME).with_suffix(".conf.d")
    conf.mkdir(parents=True, exist_ok=True)
    props = f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{ctl}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{ctl}
advertised.listeners=PLAINTEXT://{host}:{port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs={lay.data(NAME)}
num.partitions={lay.kafka.partitions}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
""" + "".join(f"{name}={value}\n" for name, value in SHARED_SETTINGS.items())
    (conf / "server.properties").write_text(props)
    (conf / "log4j.properties").write_text(
        "log4j.rootLogger=INFO, stdout\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
    )
    return str(conf / "server.properties"), str(conf / "log4j.properties")


def start(lay: Layout) -> None:
    server, log4j = _write_config(lay)
    cp = f"{lay.kafka_lib}/*"
    if not (lay.data(NAME) / "meta.properties").exists():
        cluster_id = subprocess.run(
            ["java", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        run_logged(
            "format kafka storage",
            [
                "java",
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                server,
                "--ignore-formatted",
            ],
            lay.log(NAME),
        )
    spawn(
        [
            "java",
            "-Xms256m",
            "-Xmx768m",
            f"-Dlog4j.configuration=file:{log4j}",
            "-cp",
            cp,
            "kafka.Kafka",
            server,
        ],
        lay.log(NAME),
        lay.pidfile(NAME),
        os.environ,
        lay.state,
    )
    wait_until("start kafka", lambda: is_ready(lay), lambda: is_running(lay), lay.log(NAME), 120)


def is_running(lay: Layout) -> bool:
    return pid_of(lay.pidfile(NAME)) is not None


def is_ready(lay: Layout) -> bool:
    """Ready when an admin client can list topics: the broker answers metadata requests."""

    # A broker still starting refuses connections; aiokafka would log each refusal as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=lay.kafka.bootstrap_servers, request_timeout_ms=3000
        )
        try:
            await admin.start()
            await admin.list_topics()
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    return asyncio.run(probe())


def stop(lay: Layout) -> bool:
    return terminate(lay.pidfile(NAME), grace_s=30)
