"""The chart, the settings classes and the existing Secrets agree: each container gets every
setting its service needs, only settings it reads, every secret from a Secret named in values,
and its settings object builds from exactly that environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps
from pydantic import SecretStr

from tests.unit.deploy.test_compose_settings import COMPOSED, READS, reads

from .chart import CHART, SERVICES, Manifest, environment, pod_specs

pytestmark = pytest.mark.unit

# The chart's bootstrap Job is compose's `init` service.
COMPOSE_NAME = {"bootstrap": "init"}
CONTAINERS = (*SERVICES, "bootstrap")


def pods(manifests: list[Manifest]) -> dict[str, Manifest]:
    return {c: pod for c, pod in pod_specs(manifests) if c in CONTAINERS}


def secret_names() -> set[str]:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    return {s["name"] for s in values["secrets"].values()}


class TestEnvironment:
    @pytest.mark.parametrize("component", CONTAINERS)
    def test_each_required_setting_is_set(self, rendered: list[Manifest], component: str) -> None:
        """A field without default would stop the service at startup."""
        env = environment(pods(rendered)[component])
        svc = COMPOSE_NAME.get(component, component)
        missing = sorted(
            name
            for name, (cls, field) in reads(svc).items()
            if cls.model_fields[field].is_required() and name not in env
        )

        assert [] == missing

    @pytest.mark.parametrize("component", CONTAINERS)
    def test_each_variable_is_a_setting_the_service_reads(
        self, rendered: list[Manifest], component: str
    ) -> None:
        """No typo, and nothing meant for another service (PG_ADMIN_* only for bootstrap)."""
        env = environment(pods(rendered)[component])

        assert [] == sorted(set(env) - set(reads(COMPOSE_NAME.get(component, component))))

    @pytest.mark.parametrize("component", CONTAINERS)
    def test_the_settings_build_from_the_pod_environment(
        self,
        rendered: list[Manifest],
        component: str,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        """The service's own settings object builds from the container's environment alone
        (values typed as the code wants them), with a stand-in for each Secret's value."""
        svc = COMPOSE_NAME.get(component, component)
        prefixes = {str(c.model_config.get("env_prefix")) for cs in READS.values() for c in cs}
        for var in [v for v in os.environ if v.startswith(tuple(prefixes))]:
            monkeypatch.delenv(var)
        for env in environment(pods(rendered)[component]).values():
            monkeypatch.setenv(env.name, "from-a-secret" if env.secret else env.value or "")
        monkeypatch.chdir(tmp_path)  # no .env: only the pod's environment counts

        built = COMPOSED[svc]()

        assert READS[svc] == [type(part) for part in vars(built).values()]


class TestSecrets:
    @pytest.mark.parametrize("component", CONTAINERS)
    def test_secrets_come_from_existing_secrets(
        self, rendered: list[Manifest], component: str
    ) -> None:
        """Every secret setting is a secretKeyRef into a Secret named in values, never a value."""
        env = environment(pods(rendered)[component])
        svc = COMPOSE_NAME.get(component, component)
        secret = {
            name
            for name, (cls, field) in reads(svc).items()
            if cls.model_fields[field].annotation is SecretStr
        }
        loose = sorted(name for name in secret & env.keys() if env[name].secret is None)
        refs = {var.secret[0] for var in env.values() if var.secret is not None}

        assert [] == loose
        assert refs <= secret_names()
        assert secret & env.keys() == secret & set(reads(svc))
