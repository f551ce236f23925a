"""Podman serving Docker's API for the compose tier (INFRA_NOTES §9): its packages, its settings,
`podman system service`, and the healthcheck driver that podman's systemd timers would be."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("podman", "runc", "debootstrap", "uidmap", "slirp4netns", "fuse-overlayfs")
# crun fails here ("cgroups in hybrid mode not supported") and so do podman's default ulimits
# ("setrlimit RLIMIT_NPROC: Operation not permitted"). netavark's aardvark-dns resolves service
# names on compose's network.
CONTAINERS_CONF = """[containers]
default_ulimits = []
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
"""


def install_packages() -> None:
    """apt-get install what is missing (a fresh machine has none of it)."""
    missing = [p for p in PACKAGES if not _installed(p)]
    if missing:
        _run(["apt-get", "update", "-q"])
        _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", *missing])


def _installed(package: str) -> bool:
    r = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return r.stdout.strip() == "install ok installed"


def _run(cmd: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


@dataclass(frozen=True)
class Engine:
    """Podman with its own settings and image store under `root` (the tier's cache): nothing of
    it touches /etc/containers or another user's containers."""

    root: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CONTAINERS_CONF": str(self.root / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.root / "storage.conf"),
        }

    def configure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "containers.conf").write_text(CONTAINERS_CONF)
        (self.root / "storage.conf").write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{self.root / "storage"}"\n'
            f'runroot = "/run/stocks-elt-compose/storage"\n'
        )

    def podman(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        """podman with the tier's settings; never raises (callers read the return code)."""
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def check(self, *args: str, timeout: float = 1800) -> str:
        r = self.podman(*args, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
        return r.stdout

    @contextmanager
    def serving(self, sock: Path, log: Path) -> Iterator[str]:
        """Docker's API on a unix socket, with healthchecks driven, until the block ends.
        Yields the DOCKER_HOST value."""
        sock.parent.mkdir(parents=True, exist_ok=True)
        sock.unlink(missing_ok=True)
        log.parent.mkdir(parents=True, exist_ok=True)  # a fresh machine has no cache yet
        with log.open("ab") as out:
            service = subprocess.Popen(
                ["podman", "system", "service", "--time=0", f"unix://{sock}"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        driver = HealthDriver(self)
        try:
            _wait_for(lambda: sock.exists() and self.podman("info").returncode == 0, 30, service)
            driver.start()
            yield f"unix://{sock}"
        finally:
            driver.stop()
            service.terminate()
            try:
                service.wait(30)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()


def _wait_for(ok: Callable[[], bool], timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"podman system service exited ({proc.returncode})")
        if ok():
            return
        time.sleep(0.2)
    raise TimeoutError("podman system service did not answer")


class HealthDriver(threading.Thread):
    """Runs every running container's healthcheck, as Docker's engine does (podman schedules
    them with systemd timers, and there is no systemd here): every container's check at its own
    interval, as Docker does, so start periods and retries mean what the compose file says.
    Each check runs in its own thread: a slow one (Kafka's starts a JVM) holds up no other."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="healthcheck-driver", daemon=True)
        self._engine = engine
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._every: dict[str, float] = {}
        self._busy: set[str] = set()
        self._none: set[str] = set()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(120)

    def run(self) -> None:
        while not self._halt.wait(1.0):
            for cid in self._engine.podman("ps", "-q", "--no-trunc").stdout.split():
                if self._claim(cid):
                    threading.Thread(target=self._check, args=(cid,), daemon=True).start()

    def _claim(self, cid: str) -> bool:
        if cid not in self._every:
            out = self._engine.podman(
                "inspect", "--format", "{{.Config.Healthcheck.Interval}}", cid
            ).stdout.strip()
            self._every[cid] = int(out) / 1e9 if out.isdigit() and int(out) > 0 else 30.0
        due = self._every[cid]
        with self._lock:
            if cid in self._busy or cid in self._none:
                return False
            if time.monotonic() - self._last.get(cid, 0.0) < due:
                return False
            self._busy.add(cid)
            return True

    def _check(self, cid: str) -> None:
        try:
            r = self._engine.podman("healthcheck", "run", cid, timeout=60)
            none = "no defined healthcheck" in r.stderr
        except subprocess.TimeoutExpired:
            none = False
        with self._lock:
            self._last[cid] = time.monotonic()
            if none:
                self._none.add(cid)
            self._busy.discard(cid)
