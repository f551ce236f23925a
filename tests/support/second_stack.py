"""A second native stack (Kafka, MinIO, Postgres) on free ports with a state directory of its
own, for tests that stop and restart its parts: the shared stack is never touched.

It is started the way a user would start a second stack: `deploy/local/stack up` and
`stocks-elt bootstrap` with other KAFKA_, MINIO_, PG_ and STACK_ values in the environment.
Its state (data, logs, the services' logs) is deleted afterwards unless
STOCKS_ELT_KEEP_SECOND_STACK=1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from deploy.local.launcher import kafka, minio, postgres
from deploy.local.launcher.layout import Layout
from shared.settings import (
    KafkaSettings,
    MinioSettings,
    PostgresAdminSettings,
    PostgresSettings,
    StackSettings,
)

REPO = Path(__file__).resolve().parents[2]
Part = Literal["kafka", "minio", "postgres"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SecondStack:
    """Handles on the running second stack. `env` points services, the CLI and the launcher
    at it; `restarts` records every restart as (part, seconds it was down)."""

    env: dict[str, str]
    layout: Layout
    restarts: list[tuple[str, float]] = field(default_factory=list)

    @property
    def kafka(self) -> str:
        return self.layout.kafka.bootstrap_servers

    @property
    def postgres(self) -> PostgresSettings:
        return self.layout.postgres

    @property
    def minio(self) -> MinioSettings:
        return self.layout.minio

    @property
    def state_dir(self) -> Path:
        return self.layout.state

    def stop(self, part: Part) -> None:
        """Stop one part as the launcher does (SIGTERM, or pg_ctl's fast shutdown)."""
        stopped = {"kafka": kafka.stop, "minio": minio.stop, "postgres": postgres.stop}[part]
        assert stopped(self.layout), f"{part} was not running"

    def start(self, part: Part) -> None:
        """Start one stopped part; returns once it answers. Blocking: from async code, call
        it in a thread (the Kafka probe runs its own event loop)."""
        admin = PostgresAdminSettings()
        starters: dict[Part, Callable[[], None]] = {
            "kafka": lambda: kafka.start(self.layout),
            "minio": lambda: minio.start(self.layout),
            "postgres": lambda: postgres.start(
                self.layout, admin.user, admin.password.get_secret_value()
            ),
        }
        starters[part]()

    def restart(
        self, part: Part, down_for_s: float = 0.0, while_down: Callable[[], None] | None = None
    ) -> float:
        """Stop a part, keep it down at least `down_for_s` (running `while_down` meanwhile),
        start it again; the seconds it was down."""
        began = time.monotonic()
        self.stop(part)
        if while_down is not None:
            while_down()
        time.sleep(max(0.0, down_for_s - (time.monotonic() - began)))
        self.start(part)
        took = time.monotonic() - began
        self.restarts.append((part, round(took, 1)))
        return took

    def minio_queue(self) -> Path:
        """Where MinIO keeps the Kafka notifications it has not delivered yet (one file each)."""
        return self.layout.data(minio.NAME).with_name(self.layout.stack.minio_queue_dir)


def _run(cmd: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            cmd,
            env={**os.environ, **env},
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=600,
        )
    if done.returncode != 0:
        last = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{' '.join(cmd)} failed:\n" + "\n".join(last))


def _layout(env: dict[str, str]) -> Layout:
    """The launcher's layout for `env`, built from the same settings it reads."""
    return Layout(
        StackSettings(
            state_dir=Path(env["STACK_STATE_DIR"]),
            kafka_controller_port=int(env["STACK_KAFKA_CONTROLLER_PORT"]),
            minio_console_port=int(env["STACK_MINIO_CONSOLE_PORT"]),
        ),
        KafkaSettings(
            bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
            partitions=int(env["KAFKA_PARTITIONS"]),
        ),
        MinioSettings(endpoint=env["MINIO_ENDPOINT"]),
        PostgresSettings(port=int(env["PG_PORT"]), host="127.0.0.1"),
    )


@contextmanager
def second_stack(partitions: int = 12) -> Iterator[SecondStack]:
    """Install (cached), start and bootstrap a second stack; stop it and delete its state after."""
    # Postgres runs as its own user when we are root: the state dir must be reachable by it,
    # which pytest's private tmp dirs are not.
    state = Path(tempfile.mkdtemp(prefix="stocks-elt-second-", dir="/var/tmp"))
    state.chmod(0o755)
    env = {
        "STACK_STATE_DIR": str(state),
        "STACK_KAFKA_CONTROLLER_PORT": str(free_port()),
        "STACK_MINIO_CONSOLE_PORT": str(free_port()),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "KAFKA_PARTITIONS": str(partitions),
        "MINIO_ENDPOINT": f"127.0.0.1:{free_port()}",
        "PG_HOST": "127.0.0.1",
        "PG_PORT": str(free_port()),
    }
    log = state / "launcher.log"
    stack = SecondStack(env, _layout(env))
    try:
        _run([sys.executable, "-m", "deploy.local.launcher", "up"], env, log)
        _run([str(Path(sys.executable).parent / "stocks-elt"), "bootstrap"], env, log)
        yield stack
    finally:
        subprocess.run(
            [sys.executable, "-m", "deploy.local.launcher", "down"],
            env={**os.environ, **env},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=300,
        )
        if os.environ.get("STOCKS_ELT_KEEP_SECOND_STACK") != "1":
            shutil.rmtree(state, ignore_errors=True)
