"""A compose project as a user has it: a checkout with `.env` copied from `.env.example`, driven
by the real `docker compose` CLI against podman's Docker API."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from .images import REPO

# Kafka UI's image is on no registry or Maven repository reachable here (deploy/standins/README).
NOT_LIVE = ("kafka-ui",)


def live_services() -> list[str]:
    """Every service `docker compose up` starts, except those that cannot run here."""
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    return [n for n, s in services.items() if n not in NOT_LIVE and not s.get("profiles")]


def checkout(dest: Path) -> Path:
    """The committed tree (what a fresh clone gets), without anyone's work in progress."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ComposeError(RuntimeError):
    pass


@dataclass(frozen=True)
class Compose:
    """`docker compose ...` in `workdir`, talking to DOCKER_HOST."""

    cli: tuple[str, ...]
    workdir: Path
    env: dict[str, str]

    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 1200,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`env` is the shell's environment for this call (it overrides .env, as for users)."""
        r = subprocess.run(
            [*self.cli, *args],
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and r.returncode != 0:
            raise ComposeError(
                f"docker compose {' '.join(args)} exited {r.returncode}:\n"
                f"{r.stdout[-4000:]}\n{r.stderr[-6000:]}"
            )
        return r

    def up(self, *args: str, services: list[str] | None = None) -> None:
        wanted = live_services() if services is None else services
        self.run("up", "-d", "--wait", "--wait-timeout", "900", *args, *wanted)

    def exec(self, service: str, *cmd: str, index: int = 1) -> str:
        return self.run("exec", "-T", "--index", str(index), service, *cmd).stdout

    def oneshot(self, *cmd: str) -> str:
        """A command in a throwaway `init` container (its settings: the root of everything)."""
        return self.run("run", "--rm", "-T", "init", *cmd).stdout

    def containers(self, service: str, all_states: bool = False) -> list[str]:
        flags = ["-a"] if all_states else []
        return self.run("ps", *flags, "-q", service).stdout.split()

    def set_env(self, **values: str) -> None:
        """Set variables in the project's .env, as a user edits it."""
        dotenv = self.workdir / ".env"
        lines = [
            line for line in dotenv.read_text().splitlines() if line.split("=", 1)[0] not in values
        ]
        dotenv.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n")
