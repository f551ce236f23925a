"""PostgreSQL from Debian's packages, as a private cluster in the stack's state directory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .layout import Layout
from .steps import StepFailed, run_logged

NAME = "postgres"
# The warehouse server's settings, the same in docker-compose.yml (tests/unit/deploy checks):
# the services' pools and the tests' databases need more than 100 connections; with the
# defaults (128 MB of shared buffers, 1 GB of WAL between checkpoints) a full dbt build of a
# whole-market year checkpointed every 16 s (benchmarks/RESULTS.md has the builds with both).
SERVER_SETTINGS = {"max_connections": "200", "shared_buffers": "1GB", "max_wal_size": "4GB"}


def bin_dir() -> Path | None:
    """The newest installed server's binaries."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def install(lay: Layout) -> bool:
    """apt-get install the server if no version is there. False when one was."""
    if bin_dir() is not None:
        return False
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StepFailed("install postgres", "no PostgreSQL server: apt-get install postgresql")
    log = lay.install_log(NAME)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run_logged("install postgres", ["apt-get", "update"], log, env=env)
    run_logged("install postgres", ["apt-get", "install", "-y", "postgresql"], log, env=env)
    return True


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def start(lay: Layout, admin_user: str, admin_password: str) -> None:
    pg = bin_dir()
    if pg is None:
        raise StepFailed("start postgres", "no PostgreSQL server installed")
    data, log = lay.data(NAME), lay.log(NAME)
    sock = lay.state / "run" / "pgsock"
    _own(sock)
    if not (data / "PG_VERSION").exists():
        _own(data)
        pwfile = lay.state / "run" / "pgpw"
        pwfile.write_text(admin_password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres")
        try:
            run_logged(
                "init postgres",
                _as_postgres(
                    [
                        str(pg / "initdb"),
                        "-D",
                        str(data),
                        "-U",
                        admin_user,
                        f"--pwfile={pwfile}",
                        "--auth-local=peer",
                        "--auth-host=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                log,
            )
        finally:
            pwfile.unlink(missing_ok=True)
    log.touch()
    if os.geteuid() == 0:
        shutil.chown(log, "postgres")
    opts = f"-p {lay.postgres.port} -k {sock} -c listen_addresses={lay.postgres.host} " + " ".join(
        f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()
    )
    # pg_ctl -w waits until the server accepts connections, then returns.
    run_logged(
        "start postgres",
        _as_postgres(
            [
                str(pg / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        log,
    )


def is_running(lay: Layout) -> bool:
    pg = bin_dir()
    if pg is None or not (lay.data(NAME) / "postmaster.pid").exists():
        return False
    return (
        subprocess.run(
            [str(pg / "pg_isready"), "-h", lay.postgres.host, "-p", str(lay.postgres.port)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def stop(lay: Layout) -> bool:
    pg = bin_dir()
    if pg is None or not (lay.data(NAME) / "postmaster.pid").exists():
        return False
    run_logged(
        "stop postgres",
        _as_postgres([str(pg / "pg_ctl"), "-D", str(lay.data(NAME)), "-m", "fast", "-w", "stop"]),
        lay.log(NAME),
    )
    return True
