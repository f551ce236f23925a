"""Every pydantic-settings class of the project, found by walking its settings modules (so a new
class is checked without anyone listing it), and the environment variable of each field."""

from __future__ import annotations

import importlib
import inspect

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from .compose_file import REPO

# Where settings live: shared/settings.py, shared/<package>/*settings*.py, services/*/settings.py.
SETTINGS_GLOBS = ("shared/**/*settings*.py", "services/*/settings.py")


def settings_modules() -> list[str]:
    paths = sorted({p for pattern in SETTINGS_GLOBS for p in REPO.glob(pattern)})
    return [".".join(p.relative_to(REPO).with_suffix("").parts) for p in paths]


def settings_classes() -> list[type[BaseSettings]]:
    """The classes defined in those modules that read the environment under a prefix (a base
    without one, like MinioUserSettings, is read only through its subclasses)."""
    found: list[type[BaseSettings]] = []
    for name in settings_modules():
        module = importlib.import_module(name)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, BaseSettings)
            and cls.__module__ == name
            and cls.model_config.get("env_prefix")
        ]
    return found


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Field name by environment variable: the prefix plus the field name, upper-cased."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper(): name for name in cls.model_fields}


def all_settings() -> dict[str, tuple[type[BaseSettings], str]]:
    """(class, field) by environment variable, over every class (a subclass's wins)."""
    return {env: (cls, f) for cls in settings_classes() for env, f in env_names(cls).items()}


def is_secret(cls: type[BaseSettings], field: str) -> bool:
    return cls.model_fields[field].annotation is SecretStr
