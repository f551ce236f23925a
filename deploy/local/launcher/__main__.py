"""`deploy/local/stack install|up|down|status`: the native stack on loopback.

Ports and credentials come from the same settings the services read (KAFKA_, MINIO_, PG_,
PG_ADMIN_, STACK_ variables or `.env`), so a second stack only needs other values there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from shared.settings import (
    KafkaSettings,
    MinioSettings,
    PostgresAdminSettings,
    PostgresSettings,
    StackSettings,
)

from . import kafka, minio, postgres
from .layout import Layout
from .process import port_is_free, split_host_port
from .steps import StepFailed


def _say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)  # noqa: T201 - a command-line tool talks on stdout


def _layout() -> Layout:
    lay = Layout(StackSettings(), KafkaSettings(), MinioSettings(), PostgresSettings())
    lay.make_dirs()
    return lay


def install(lay: Layout) -> None:
    start = time.monotonic()
    for name, step in (
        ("postgres", postgres.install),
        ("kafka", kafka.install),
        ("minio", minio.install),
    ):
        t0 = time.monotonic()
        did = step(lay)
        _say(f"{name}: {'installed' if did else 'cached'} in {time.monotonic() - t0:.1f} s")
    _say(f"install done in {time.monotonic() - start:.1f} s (cache: {lay.cache})")


def _check_ports(lay: Layout, running: dict[str, bool]) -> None:
    wanted = {
        "kafka": [
            split_host_port(lay.kafka.bootstrap_servers),
            (split_host_port(lay.kafka.bootstrap_servers)[0], lay.stack.kafka_controller_port),
        ],
        "minio": [
            split_host_port(lay.minio.endpoint),
            (split_host_port(lay.minio.endpoint)[0], lay.stack.minio_console_port),
        ],
        "postgres": [(lay.postgres.host, lay.postgres.port)],
    }
    for name, addrs in wanted.items():
        if running[name]:
            continue
        for host, port in addrs:
            if not port_is_free(host, port):
                raise StepFailed(f"start {name}", f"port {host}:{port} is taken by another program")


def up(lay: Layout) -> None:
    install(lay)
    admin = PostgresAdminSettings()
    running = {
        "postgres": postgres.is_running(lay),
        "kafka": kafka.is_running(lay),
        "minio": minio.is_running(lay),
    }
    _check_ports(lay, running)
    starters: list[tuple[str, Callable[[], None], Callable[[], bool]]] = [
        (
            "postgres",
            lambda: postgres.start(lay, admin.user, admin.password.get_secret_value()),
            lambda: postgres.stop(lay),
        ),
        ("kafka", lambda: kafka.start(lay), lambda: kafka.stop(lay)),
        ("minio", lambda: minio.start(lay), lambda: minio.stop(lay)),
    ]
    started: list[Callable[[], bool]] = []
    t_all = time.monotonic()
    try:
        for name, start, stop in starters:
            if running[name]:
                _say(f"{name}: already running")
                continue
            t0 = time.monotonic()
            start()
            started.append(stop)
            _say(f"{name}: ready in {time.monotonic() - t0:.1f} s")
    except BaseException:
        # Leave nothing half-running: stop what this call started.
        for stop in reversed(started):
            stop()
        raise
    _say(f"stack up in {time.monotonic() - t_all:.1f} s")
    status(lay)


def down(lay: Layout) -> None:
    for name, stop in (("minio", minio.stop), ("kafka", kafka.stop), ("postgres", postgres.stop)):
        _say(f"{name}: {'stopped' if stop(lay) else 'was not running'}")


def status(lay: Layout) -> int:
    rows = [
        (
            "kafka",
            kafka.is_running(lay) and kafka.is_ready(lay),
            f"bootstrap {lay.kafka.bootstrap_servers}",
        ),
        (
            "minio",
            minio.is_running(lay) and minio.is_ready(lay),
            f"S3 http://{lay.minio.endpoint}  console "
            f"http://{split_host_port(lay.minio.endpoint)[0]}:{lay.stack.minio_console_port}",
        ),
        (
            "postgres",
            postgres.is_running(lay),
            f"postgresql://{lay.postgres.host}:{lay.postgres.port}/{lay.postgres.database}",
        ),
    ]
    for name, ok, where in rows:
        _say(f"{name:9} {'up  ' if ok else 'down'}  {where}")
    _say(f"logs: {lay.state / 'logs'}")
    return 0 if all(ok for _, ok, _ in rows) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack", description=__doc__)
    parser.add_argument("command", choices=["install", "up", "down", "status"])
    args = parser.parse_args(argv)
    lay = _layout()
    try:
        if args.command == "install":
            install(lay)
        elif args.command == "up":
            up(lay)
        elif args.command == "down":
            down(lay)
        else:
            return status(lay)
    except StepFailed as exc:
        _say(f"ERROR: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
