"""Compose's MinIO: the registry image pinned by digest, and a build fallback from the one source
pin (deploy/versions.env) that the native stack builds too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from deploy.local.launcher import layout

from .compose_file import REPO, documented, service

pytestmark = pytest.mark.unit
BIN = Path(sys.executable).parent
VERSIONS = REPO / "deploy" / "versions.env"
OVERRIDE = REPO / "deploy" / "minio" / "compose.build.yml"
MINIO_DOCKERFILE = REPO / "deploy" / "minio" / "Dockerfile"


def _versions() -> dict[str, str]:
    lines = VERSIONS.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _override() -> dict[str, object]:
    minio: dict[str, object] = yaml.safe_load(OVERRIDE.read_text())["services"]["minio"]
    return minio


class TestThePulledImage:
    def test_it_is_pinned_by_digest(self) -> None:
        """A tag can be moved; the digest of the image's index cannot."""
        image = service("minio")["image"]

        assert re.fullmatch(r"quay\.io/minio/minio:RELEASE\.[0-9T-]+Z@sha256:[0-9a-f]{64}", image)


class TestTheBuildFallback:
    def test_one_file_names_the_source_pin_and_the_launcher_reads_it(self) -> None:
        """deploy/versions.env holds the pin; the launcher's constants come from it, and the
        launcher's code does not repeat it."""
        pin = _versions()["MINIO_PIN"]
        source = (REPO / "deploy" / "local" / "launcher" / "layout.py").read_text()

        assert (pin, _versions()["MINIO_MODULE"], False) == (
            layout.MINIO_PIN,
            layout.MINIO_MODULE,
            pin in source,
        )

    def test_the_dockerfile_go_installs_the_pin_from_that_file(self) -> None:
        """The image builds `MINIO_MODULE@MINIO_PIN` as sourced from versions.env, the file
        being all of its build context."""
        text = MINIO_DOCKERFILE.read_text()
        ignore = (MINIO_DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
        context = [line for line in ignore if line and not line.startswith("#")]

        assert (True, True, True, ["*", "!versions.env"]) == (
            "COPY versions.env /versions.env" in text,
            "source /versions.env" in text,
            'go install -trimpath "${MINIO_MODULE}@${MINIO_PIN}"' in text,
            context,
        )

    def test_the_override_builds_that_dockerfile_under_a_local_tag(self) -> None:
        """`docker compose build minio` with the override: the context is deploy/ (paths are
        relative to the first compose file), and the tag has no digest (a build cannot be
        tagged with one)."""
        override = _override()

        assert ({"context": "deploy", "dockerfile": "minio/Dockerfile"}, False) == (
            override["build"],
            "@" in str(override["image"]),
        )

    def test_env_example_shows_how_to_switch_to_it(self) -> None:
        """COMPOSE_FILE in .env.example names the base file and the override, both existing."""
        line = next(
            line
            for line in (REPO / ".env.example").read_text().splitlines()
            if line.startswith("# COMPOSE_FILE=")
        )
        files = line.split("=", 1)[1].split(":")

        assert (True, ["docker-compose.yml", "deploy/minio/compose.build.yml"]) == (
            "COMPOSE_FILE" in documented(),
            [f for f in files if (REPO / f).is_file()],
        )

    def test_the_dockerfile_is_hadolint_clean(self) -> None:
        """hadolint (offline) reports nothing on deploy/minio/Dockerfile."""
        result = subprocess.run(
            [str(BIN / "hadolint"), str(MINIO_DOCKERFILE)], capture_output=True, text=True
        )

        assert (0, "") == (result.returncode, result.stdout + result.stderr)

    def test_the_override_is_valid_compose(self) -> None:
        """check-jsonschema's vendored Compose Specification accepts it (offline)."""
        result = subprocess.run(
            [
                str(BIN / "check-jsonschema"),
                "--builtin-schema",
                "vendor.compose-spec",
                str(OVERRIDE),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert 0 == result.returncode, result.stdout + result.stderr
