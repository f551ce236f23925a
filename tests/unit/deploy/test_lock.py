"""The lock files cannot drift from pyproject.toml: every dependency it declares is pinned there
at a version it allows, nothing it dropped is still locked, the image runs the versions the
tests ran, every pin carries hashes, and setup, the image and CI install from the locks.
When one of these fails: run `scripts/lock` and commit the lock files with pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .compose_file import DOCKERFILE, REPO
from .lock_file import (
    DEV_LOCK,
    RUNTIME_LOCK,
    build_requirements,
    dev_requirements,
    direct,
    locked,
    names,
    read_lock,
    runtime_requirements,
    unsatisfied,
)

pytestmark = pytest.mark.unit


class TestEveryDeclaredDependencyIsLocked:
    def test_the_dev_lock_pins_runtime_dev_and_build_requirements(self) -> None:
        """What scripts/setup (hence CI) installs satisfies every requirement of pyproject."""
        wanted = runtime_requirements() + dev_requirements() + build_requirements()

        assert [] == unsatisfied(wanted, locked(DEV_LOCK))

    def test_the_runtime_lock_pins_runtime_and_build_requirements(self) -> None:
        """What the image installs satisfies pyproject's runtime requirements and the backend."""
        wanted = runtime_requirements() + build_requirements()

        assert [] == unsatisfied(wanted, locked(RUNTIME_LOCK))


class TestNothingUndeclaredIsLocked:
    def test_the_dev_locks_direct_dependencies_are_pyprojects(self) -> None:
        """A dependency removed from pyproject is not left behind in the lock as a direct one."""
        declared = names(runtime_requirements() + dev_requirements())

        assert declared == direct(DEV_LOCK)

    def test_the_runtime_lock_holds_no_dev_tool(self) -> None:
        """pytest, mypy and the like stay out of the image (unless a runtime package needs
        them); the runtime lock's direct dependencies are pyproject's runtime ones."""
        assert names(runtime_requirements()) == direct(RUNTIME_LOCK)


class TestTheLocksAgree:
    def test_the_image_runs_the_versions_the_tests_ran(self) -> None:
        """Every package of the runtime lock has the same version in the dev lock."""
        dev = locked(DEV_LOCK)

        differ = sorted(
            f"{name}=={version} (dev lock: {dev.get(name)})"
            for name, version in locked(RUNTIME_LOCK).items()
            if dev.get(name) != version
        )

        assert [] == differ

    @pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
    def test_every_pin_has_a_sha256(self, lock: Path) -> None:
        """pip --require-hashes refuses a pin without one; each hash is a sha256."""
        pins = read_lock(lock)
        bad = [
            p.name
            for p in pins
            if not p.hashes or not all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in p.hashes)
        ]

        assert (True, []) == (len(pins) > 10, bad)

    @pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
    def test_the_lock_names_no_local_index_or_wheel_folder(self, lock: Path) -> None:
        """Resolved against PyPI alone: no --find-links, --index-url or file path in it."""
        text = lock.read_text()

        assert [] == re.findall(r"--(?:find-links|index-url|extra-index-url)|file://", text)


class TestTheLocksAreWhatIsInstalled:
    def test_setup_installs_the_dev_lock_with_hashes(self) -> None:
        """scripts/setup (run by scripts/test, hence CI) installs the lock, then the project
        without dependencies: nothing else resolves versions."""
        setup = (REPO / "scripts" / "setup").read_text()
        installs = re.findall(r"pip install[^\n]*", setup)

        assert [
            "pip install -q --require-hashes -r requirements-dev.lock",
            "pip install -q --no-deps --no-build-isolation -e .",
        ] == installs

    def test_the_image_installs_the_runtime_lock_with_hashes(self) -> None:
        """The Dockerfile installs requirements.lock, then the project without dependencies."""
        text = re.sub(r"\\\n\s*", "", DOCKERFILE.read_text())
        installs = re.findall(r"pip install[^\n]*", text)

        assert [
            "pip install --require-hashes -r requirements.lock",
            "pip install --no-cache-dir --no-deps --no-build-isolation .",
        ] == installs
