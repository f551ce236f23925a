"""The native stack launcher: Kafka (KRaft), MinIO and PostgreSQL on loopback, without Docker.

Its one public entry for other code is `background(pidfile)`: the CLI runs the services as such
background processes. Everything else is the launcher's own (`python -m deploy.local.launcher`).
"""

from pathlib import Path

from .process import Background


def background(pidfile: Path) -> Background:
    """The detached process whose pid `pidfile` records (running or not)."""
    return Background(pidfile)


__all__ = ["Background", "background"]
