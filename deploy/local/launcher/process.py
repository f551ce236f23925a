"""Background processes owned by the launcher, tracked by pid files in the state directory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def pid_of(pidfile: Path) -> int | None:
    """The pid in the file if that very process is still alive.

    The file holds the pid and the process's start time: a process that died without removing
    its file (SIGKILL) leaves its pid free for reuse, and without the start time `stop` would
    signal whatever process got it next (once, a test's stale replica file stopped the stack's
    Kafka)."""
    try:
        pid, *started = pidfile.read_text().split()
        recorded = int(pid), [int(x) for x in started]
    except (OSError, ValueError):
        return None
    if not is_alive(recorded[0]):
        return None
    if recorded[1] and recorded[1] != [start_time(recorded[0])]:
        return None  # the pid now belongs to another process
    return recorded[0]


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22); None when
    it cannot be read (no /proc, or the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[-1].split()[19])


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is dead for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def spawn(cmd: Sequence[str], log: Path, pidfile: Path, env: Mapping[str, str], cwd: Path) -> int:
    """Start a detached process (its own session, so it outlives us); record its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(cmd),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    started = start_time(proc.pid)
    pidfile.write_text(str(proc.pid) if started is None else f"{proc.pid} {started}")
    return proc.pid


def terminate(pidfile: Path, grace_s: float = 30.0) -> bool:
    """SIGTERM the process group, then SIGKILL after the grace period. True if one was running."""
    pid = pid_of(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if is_alive(pid):
        _signal_group(pid, signal.SIGKILL)
        while is_alive(pid):
            time.sleep(0.05)
    pidfile.unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def split_host_port(address: str) -> tuple[str, int]:
    host, _, port = address.split(",")[0].rpartition(":")
    return host, int(port)


@dataclass(frozen=True)
class Background:
    """A detached process known by its pid file: started once, found again by any later
    command, stopped with its whole process group."""

    pidfile: Path

    def pid(self) -> int | None:
        """Its pid while it runs."""
        return pid_of(self.pidfile)

    def start(self, cmd: Sequence[str], log: Path, env: Mapping[str, str], cwd: Path) -> int:
        """Start it unless it already runs; its pid either way."""
        return self.pid() or spawn(cmd, log, self.pidfile, env, cwd)

    def stop(self, grace_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after `grace_s`; true if it was running."""
        return terminate(self.pidfile, grace_s)
