"""Compose, the settings classes and .env.example cannot drift apart: every setting a service
reads reaches its container (through env_file, or set in `environment`), every variable compose
sets or interpolates is one the code reads and is documented, defaults agree with the code,
secrets have no default, and a container holds no secret it does not use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr, TypeAdapter
from pydantic_settings import BaseSettings

from services.fetcher.settings import FetcherOptions, FetcherSettings
from services.lister.settings import ListerOptions, ListerSettings
from services.loader.settings import LoaderSettings
from services.polygon_sim.settings import SimulatorSettings
from services.scheduler.settings import ScheduleOptions, SchedulerSettings
from services.transformer.settings import TransformerOptions, TransformerSettings
from shared.observability import MetricsSettings
from shared.settings import (
    KafkaSettings,
    LoggingSettings,
    MinioBucketSettings,
    MinioFetcherUser,
    MinioListerUser,
    MinioLoaderUser,
    MinioSettings,
    MinioTransformerUser,
    PolygonSettings,
    PostgresAdminSettings,
    PostgresSettings,
)

from .compose_file import (
    APP_SERVICES,
    all_refs,
    container_environment,
    documented,
    env_example,
    env_files,
    refs,
)
from .compose_file import raw_environment as raw
from .settings_classes import all_settings, env_names, is_secret

pytestmark = pytest.mark.unit

Classes = list[type[BaseSettings]]
SHARED: Classes = [KafkaSettings, MinioBucketSettings, PostgresSettings]
# Each service's own MinIO user (MinioSettings.for_service); bootstrap creates them all.
USERS: Classes = [MinioListerUser, MinioFetcherUser, MinioLoaderUser, MinioTransformerUser]
# What each container reads. `init` runs `stocks-elt bootstrap` (and `status`/`run` on demand).
# Every one but the simulator (whose uvicorn has SIM_LOG_LEVEL) also reads LOG_LEVEL, through
# shared.logging.configure_logging.
READS: dict[str, Classes] = {
    # Only bootstrap reads MinIO's root user: every service connects as its own.
    "init": [
        KafkaSettings,
        MinioSettings,
        PostgresSettings,
        PostgresAdminSettings,
        *USERS,
        LoggingSettings,
    ],
    "polygon-sim": [SimulatorSettings, MetricsSettings],
    "lister": [
        *SHARED,
        PolygonSettings,
        ListerOptions,
        MinioListerUser,
        MetricsSettings,
        LoggingSettings,
    ],
    "fetcher": [
        *SHARED,
        PolygonSettings,
        FetcherOptions,
        MinioFetcherUser,
        MetricsSettings,
        LoggingSettings,
    ],
    "loader": [*SHARED, MinioLoaderUser, MetricsSettings, LoggingSettings],
    "transformer": [
        *SHARED,
        TransformerOptions,
        MinioTransformerUser,
        MetricsSettings,
        LoggingSettings,
    ],
    "scheduler": [
        KafkaSettings,
        PostgresSettings,
        MetricsSettings,
        ScheduleOptions,
        LoggingSettings,
    ],
}
COMPOSED: dict[str, Callable[[], object]] = {
    # What `stocks-elt bootstrap` builds (services/cli/main.py), and the simulator's __main__.
    "init": lambda: SimpleNamespace(
        kafka=KafkaSettings(),
        minio=MinioSettings(),
        pg=PostgresSettings(),
        admin=PostgresAdminSettings(),
        **{cls.__name__: cls() for cls in USERS},
        log=LoggingSettings(),
    ),
    # Every service but init serves /health and /metrics (shared/observability).
    "polygon-sim": lambda: SimpleNamespace(sim=SimulatorSettings(), metrics=MetricsSettings()),
    "lister": lambda: SimpleNamespace(
        **vars(ListerSettings()),
        user=MinioListerUser(),
        metrics=MetricsSettings(),
        log=LoggingSettings(),
    ),
    "fetcher": lambda: SimpleNamespace(
        **vars(FetcherSettings()),
        user=MinioFetcherUser(),
        metrics=MetricsSettings(),
        log=LoggingSettings(),
    ),
    "loader": lambda: SimpleNamespace(
        **vars(LoaderSettings()),
        user=MinioLoaderUser(),
        metrics=MetricsSettings(),
        log=LoggingSettings(),
    ),
    "transformer": lambda: SimpleNamespace(
        **vars(TransformerSettings()),
        user=MinioTransformerUser(),
        metrics=MetricsSettings(),
        log=LoggingSettings(),
    ),
    "scheduler": lambda: SimpleNamespace(**vars(SchedulerSettings()), log=LoggingSettings()),
}
# The simulator's demo key: required by PolygonSettings, but not a secret worth a `:?`.
NOT_SECRET = {"POLYGON_API_KEY"}
# Secrets no settings class reads: compose's own (Grafana's admin).
COMPOSE_SECRETS = {"GRAFANA_ADMIN_PASSWORD"}


def reads(svc: str) -> dict[str, tuple[type[BaseSettings], str]]:
    return {env: (cls, field) for cls in READS[svc] for env, field in env_names(cls).items()}


def required_secrets() -> set[str]:
    return {
        env
        for classes in READS.values()
        for cls in classes
        for env, field in env_names(cls).items()
        if cls.model_fields[field].annotation is SecretStr and cls.model_fields[field].is_required()
    } - NOT_SECRET


def all_secrets() -> set[str]:
    """Every secret a container could be handed through .env: SecretStr fields of any class."""
    return {env for env, (cls, field) in all_settings().items() if is_secret(cls, field)} | (
        COMPOSE_SECRETS
    )


def blanked(svc: str) -> set[str]:
    return {key for key, value in raw(svc).items() if value == ""}


class TestEveryNeededSettingIsSet:
    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_each_required_field_is_set_for_the_service(self, svc: str) -> None:
        """A field without default (a secret, mostly) would stop the service at startup."""
        missing = sorted(
            env
            for env, (cls, field) in reads(svc).items()
            if cls.model_fields[field].is_required() and env not in raw(svc)
        )

        assert [] == missing

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_each_variable_set_is_a_setting_the_service_reads(self, svc: str) -> None:
        """No typo, and no variable meant for another service (PG_ADMIN_* only for init); the
        only exception is a blanked secret."""
        assert [] == sorted(set(raw(svc)) - set(reads(svc)) - blanked(svc))

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_every_setting_the_service_reads_reaches_its_container(self, svc: str) -> None:
        """Set in `environment`, or passed from .env by env_file and not blanked: whatever a
        user sets in .env for a setting the service reads is what the container reads."""
        lost = sorted(
            env
            for env in reads(svc)
            if env in blanked(svc) or (env not in raw(svc) and ".env" not in env_files(svc))
        )

        assert [] == lost

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_the_service_settings_build_from_the_compose_environment(
        self,
        svc: str,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        """With .env.example as the user's .env, the service's own settings object builds from
        exactly what compose gives the container (env_file, then `environment` over it), and is
        made of the classes listed here."""
        prefixes = {str(c.model_config.get("env_prefix")) for cs in READS.values() for c in cs}
        for var in [v for v in os.environ if v.startswith(tuple(prefixes))]:
            monkeypatch.delenv(var)
        for key, value in container_environment(svc, env_example()).items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)  # no .env here: only the container's environment counts

        built = COMPOSED[svc]()

        assert READS[svc] == [type(part) for part in vars(built).values()]


class TestDefaultsAgreeWithTheCode:
    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_a_passed_through_variable_defaults_to_the_codes_default(self, svc: str) -> None:
        """`KEY: ${KEY:-d}` must give what the code gives when KEY is unset."""
        differ = []
        for key, value in raw(svc).items():
            found = refs(value)
            if len(found) != 1 or found[0].name != key or found[0].op not in (":-", "-"):
                continue
            cls, field = reads(svc)[key]
            info = cls.model_fields[field]
            if info.is_required():
                continue
            compose_default: object = TypeAdapter(info.annotation).validate_python(found[0].arg)
            if compose_default != info.get_default(call_default_factory=True):
                differ.append(key)

        assert [] == differ


class TestSecrets:
    def test_every_secret_is_required_where_compose_interpolates_it(self) -> None:
        """`${VAR:?message}`: compose refuses to start without the secret, never invents one."""
        secret = required_secrets() | {r.name for r in all_refs() if r.name.endswith("_PASSWORD")}
        loose = sorted({r.name for r in all_refs() if r.name in secret and r.op != ":?"})

        assert [] == loose

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_a_secret_setting_comes_only_from_a_required_variable(self, svc: str) -> None:
        """PG_PASSWORD and friends are never literals in the compose file."""
        literal = sorted(
            key
            for key, value in raw(svc).items()
            if key in required_secrets() and value and [r.op for r in refs(value)] != [":?"]
        )

        assert [] == literal

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_a_container_holds_no_secret_it_does_not_read(self, svc: str) -> None:
        """env_file hands every container all of .env: the admin passwords, the root user and
        the other services' MinIO users are blanked where they are not read."""
        held = sorted(
            env
            for env in all_secrets() & set(env_example())
            if env not in reads(svc) and container_environment(svc, env_example()).get(env)
        )

        assert [] == held


class TestEnvExampleDocumentsCompose:
    def test_every_interpolated_variable_is_documented(self) -> None:
        """Whatever compose reads from .env appears in .env.example."""
        assert [] == sorted({r.name for r in all_refs()} - documented())

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_every_variable_set_for_a_service_is_documented(self, svc: str) -> None:
        """Fixed in-network values too (PG_HOST, SIM_HOST...), so users know they exist."""
        assert [] == sorted(set(raw(svc)) - documented())

    @pytest.mark.parametrize("svc", APP_SERVICES)
    def test_a_setting_in_env_example_reaches_the_service(self, svc: str) -> None:
        """A value a user edits in .env is passed to every container that reads it (or set
        there on purpose), never silently ignored by Docker while the native stack uses it."""
        seen = container_environment(svc, env_example())
        ignored = sorted(
            env for env in set(env_example()) & set(reads(svc)) if env not in seen or not seen[env]
        )

        assert [] == ignored

    def test_compose_starts_from_a_copy_of_env_example(self) -> None:
        """`cp .env.example .env` is enough: every `${VAR:?}` finds a value there."""
        dotenv = env_example()

        unset = sorted(
            {r.name for r in all_refs() if r.op in (":?", "?") and not dotenv.get(r.name)}
        )

        assert [] == unset
