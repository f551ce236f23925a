"""MinIO built from source with `go install` (its documented install path), with its Kafka
notification target configured through the environment and a queue dir, so that events written
while Kafka is down are delivered once it is back."""

from __future__ import annotations

import os
import shutil
import subprocess

import httpx

from shared.messages.topics import RAW_OBJECT_EVENTS

from .layout import MINIO_MODULE, MINIO_PIN, Layout
from .process import pid_of, spawn, split_host_port, terminate
from .steps import StepFailed, run_logged, wait_until

NAME = "minio"
MIN_GO = (1, 24)


def _check_go() -> None:
    go = shutil.which("go")
    if go is None:
        raise StepFailed("install minio", "Go >= 1.24 is needed to build MinIO (go install)")
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout
    parts = out.strip().removeprefix("go").split(".")
    if tuple(int(p) for p in parts[:2] if p.isdigit()) < MIN_GO:
        raise StepFailed("install minio", f"Go >= 1.24 is needed, found {out.strip()}")


def install(lay: Layout) -> bool:
    """Build the pinned MinIO server into the cache. False when it was built already."""
    if lay.minio_bin.exists():
        return False
    _check_go()
    gobin = lay.cache / "bin" / "partial"
    gobin.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CGO_ENABLED": "0",
        "GOBIN": str(gobin),
        "GOPATH": str(lay.cache / "go"),
        "GOFLAGS": "-modcacherw",
    }
    run_logged(
        "install minio",
        ["go", "install", "-trimpath", f"{MINIO_MODULE}@{MINIO_PIN}"],
        lay.install_log(NAME),
        env=env,
        timeout_s=3600,
    )
    (gobin / "minio").rename(lay.minio_bin)
    return True


def server_env(lay: Layout) -> dict[str, str]:
    """MinIO's environment: root credentials and the Kafka notification target."""
    tid = lay.minio.notify_target_id
    queue = lay.data(NAME).with_name(lay.stack.minio_queue_dir)
    queue.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "MINIO_ROOT_USER": lay.minio.access_key,
        "MINIO_ROOT_PASSWORD": lay.minio.secret_key.get_secret_value(),
        f"MINIO_NOTIFY_KAFKA_ENABLE_{tid}": "on",
        f"MINIO_NOTIFY_KAFKA_BROKERS_{tid}": lay.kafka.bootstrap_servers,
        f"MINIO_NOTIFY_KAFKA_TOPIC_{tid}": RAW_OBJECT_EVENTS,
        f"MINIO_NOTIFY_KAFKA_QUEUE_DIR_{tid}": str(queue),
        "MINIO_BROWSER": "on",
        "MINIO_UPDATE": "off",
    }


def start(lay: Layout) -> None:
    host, port = split_host_port(lay.minio.endpoint)
    spawn(
        [
            str(lay.minio_bin),
            "server",
            str(lay.data(NAME)),
            "--address",
            f"{host}:{port}",
            "--console-address",
            f"{host}:{lay.stack.minio_console_port}",
        ],
        lay.log(NAME),
        lay.pidfile(NAME),
        server_env(lay),
        lay.state,
    )
    wait_until("start minio", lambda: is_ready(lay), lambda: is_running(lay), lay.log(NAME), 60)


def is_running(lay: Layout) -> bool:
    return pid_of(lay.pidfile(NAME)) is not None


def is_ready(lay: Layout) -> bool:
    scheme = "https" if lay.minio.secure else "http"
    try:
        r = httpx.get(f"{scheme}://{lay.minio.endpoint}/minio/health/live", timeout=2)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def stop(lay: Layout) -> bool:
    return terminate(lay.pidfile(NAME), grace_s=30)
