"""Running the services natively, N replicas each, as background processes with pid files and
logs in the stack's state directory: what compose does for Docker users."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy.local.launcher import background
from shared.observability import MetricsSettings, replica_port
from shared.settings import PostgresAdminSettings, StackSettings

SERVICES = ("lister", "fetcher", "loader", "transformer", "scheduler")
SIMULATOR = "polygon_sim"
TRANSFORM_ROLE = "elt_transform"


def command(service: str) -> list[str]:
    """The entry point of a service: the same one the Dockerfile and compose run."""
    bindir = Path(sys.executable).parent
    if service == SIMULATOR:
        return [sys.executable, "-m", "services.polygon_sim"]
    return [str(bindir / "faststream"), "run", f"services.{service}.app:app"]


@dataclass(frozen=True)
class Replica:
    service: str
    index: int

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"


class Supervisor:
    def __init__(self, stack: StackSettings, cwd: Path) -> None:
        self._dir = stack.state_dir / "services"
        self._cwd = cwd

    def pidfile(self, r: Replica) -> Path:
        return self._dir / f"{r.name}.pid"

    def log(self, r: Replica) -> Path:
        return self._dir / "logs" / f"{r.name}.log"

    def metrics_port(self, r: Replica, extra: dict[str, str] | None = None) -> int:
        """Replicas share this host: each gets its own /health and /metrics port."""
        given = (extra or {}).get("METRICS_PORT") or os.environ.get("METRICS_PORT")
        base = int(given) if given else MetricsSettings().port
        return replica_port(base, r.service, r.index) if base else 0  # 0: turned off

    def metrics_url(self, name: str) -> str | None:
        """Where a running replica (`fetcher-2`) serves /metrics."""
        service, index = name.rsplit("-", 1)
        port = self.metrics_port(Replica(service, int(index)))
        return f"http://{MetricsSettings().host}:{port}/metrics" if port else None

    def env(self, service: str, extra: dict[str, str], index: int = 1) -> dict[str, str]:
        env = {**os.environ, **extra}
        env["METRICS_PORT"] = str(self.metrics_port(Replica(service, index), extra))
        if service == "transformer":
            # dbt and the transformer connect as the transform role, with the password bootstrap
            # gave it: what docker-compose.yml sets for the transformer container.
            env["PG_USER"] = TRANSFORM_ROLE
            env["PG_PASSWORD"] = PostgresAdminSettings().transform_password.get_secret_value()
        return env

    def start(self, replicas: list[Replica], extra_env: dict[str, str] | None = None) -> list[int]:
        (self._dir / "logs").mkdir(parents=True, exist_ok=True)
        pids = []
        for r in replicas:
            process = background(self.pidfile(r))
            pid = process.pid()
            if pid is None:
                env = self.env(r.service, extra_env or {}, r.index)
                pid = process.start(command(r.service), self.log(r), env, self._cwd)
            pids.append(pid)
        return pids

    def running(self) -> dict[str, int]:
        if not self._dir.exists():
            return {}
        found = {}
        for pidfile in sorted(self._dir.glob("*.pid")):
            pid = background(pidfile).pid()
            if pid is not None:
                found[pidfile.stem] = pid
        return found

    def stop(self, names: list[str] | None = None) -> list[str]:
        stopped = []
        for pidfile in sorted(self._dir.glob("*.pid")) if self._dir.exists() else []:
            chosen = names is None or pidfile.stem in names
            if chosen and background(pidfile).stop(grace_s=15):
                stopped.append(pidfile.stem)
        return stopped


def replicas(counts: dict[str, int]) -> list[Replica]:
    return [Replica(s, i) for s, n in counts.items() for i in range(1, n + 1)]
