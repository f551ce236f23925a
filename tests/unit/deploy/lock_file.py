"""Reading the lock files scripts/lock writes (uv's requirements format with hashes) and the
dependencies pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .compose_file import REPO

PYPROJECT = REPO / "pyproject.toml"
RUNTIME_LOCK = REPO / "requirements.lock"
DEV_LOCK = REPO / "requirements-dev.lock"
# How uv names the project in a `# via` annotation: the packages pyproject asks for directly.
PROJECT = "stocks-elt (pyproject.toml)"

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?"
)


@dataclass
class Pin:
    """One `name==version ; marker` entry, its hashes and what it is there for."""

    name: str
    version: str
    marker: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    def applies(self) -> bool:
        """Whether the entry is for this interpreter (a universal lock forks on markers)."""
        return not self.marker or Marker(self.marker).evaluate()


def read_lock(path: Path) -> list[Pin]:
    pins: list[Pin] = []
    in_via = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if (m := _PIN.match(raw)) is not None:
            pins.append(
                Pin(canonicalize_name(m["name"]), m["version"], (m["marker"] or "").strip())
            )
            in_via = False
        elif line.startswith("--hash=") and pins:
            pins[-1].hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif line.startswith("# via") and pins:
            rest = line.removeprefix("# via").strip()
            pins[-1].via.extend([rest] if rest else [])
            in_via = not rest
        elif in_via and line.startswith("#   "):
            pins[-1].via.append(line.removeprefix("#").strip())
    return pins


def locked(path: Path) -> dict[str, str]:
    """Version by canonical name, for this interpreter."""
    return {pin.name: pin.version for pin in read_lock(path) if pin.applies()}


def direct(path: Path) -> set[str]:
    """The packages the lock says pyproject.toml asked for."""
    return {pin.name for pin in read_lock(path) if PROJECT in pin.via}


def _pyproject() -> dict[str, object]:
    return tomllib.loads(PYPROJECT.read_text())


def runtime_requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    return [Requirement(r) for r in project["dependencies"]]


def dev_requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    return [Requirement(r) for r in project["optional-dependencies"]["dev"]]


def build_requirements() -> list[Requirement]:
    build = _pyproject()["build-system"]
    assert isinstance(build, dict)
    return [Requirement(r) for r in build["requires"]]


def names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def unsatisfied(requirements: list[Requirement], lock: dict[str, str]) -> list[str]:
    """The requirements the lock does not pin, or pins at a version outside their specifier."""
    return sorted(
        str(r)
        for r in requirements
        if (version := lock.get(canonicalize_name(r.name))) is None
        or not r.specifier.contains(version, prereleases=True)
    )
