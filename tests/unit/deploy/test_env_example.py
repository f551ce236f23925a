""".env.example lists every setting of every settings class, explained, with the code's default
(secrets: a local-only placeholder), and each class is read by some container or is native-only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from shared.settings import StackSettings

from .compose_file import ENV_EXAMPLE, documented
from .settings_classes import all_settings, is_secret, settings_classes
from .test_compose_settings import READS

pytestmark = pytest.mark.unit

# The native stack launcher's, read on the host only: no container needs it.
NATIVE_ONLY: list[type[BaseSettings]] = [StackSettings]
_ASSIGNMENT = re.compile(r"^#?\s*(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def _lines() -> list[str]:
    return [line.strip() for line in ENV_EXAMPLE.read_text().splitlines()]


def _values() -> dict[str, str]:
    """The value .env.example gives each variable, set or commented out, unquoted as bash,
    compose and dotenv read it (a value with spaces is quoted, for bash)."""
    return {
        m["name"]: re.sub(r'^"(.*)"$', r"\1", m["value"])
        for line in _lines()
        if (m := _ASSIGNMENT.match(line))
    }


def _unexplained() -> list[str]:
    """Variables whose block of assignments does not follow a comment of prose (a section rule
    `# ---` or a blank line says nothing about them)."""
    bad, above = [], ""
    for line in _lines():
        if m := _ASSIGNMENT.match(line):
            if not above.startswith("#") or above.startswith("# ---"):
                bad.append(m["name"])
        else:
            above = line
    return bad


class TestEverySettingIsListed:
    def test_every_setting_of_every_class_is_in_env_example(self) -> None:
        """A field added to any settings class must be added to .env.example, set or shown
        commented out."""
        assert [] == sorted(set(all_settings()) - documented())

    def test_every_listed_setting_is_explained(self) -> None:
        """A prose comment comes before each group of variables."""
        assert [] == _unexplained()

    def test_every_settings_class_is_read_by_a_container_or_native_only(self) -> None:
        """A new settings class is placed: compose must give it to the containers that read it
        (READS in test_compose_settings) unless only the native launcher uses it."""
        placed = {cls for classes in READS.values() for cls in classes} | set(NATIVE_ONLY)

        assert [] == sorted(c.__name__ for c in settings_classes() if c not in placed)


class TestValuesAreTheDefaults:
    def test_a_listed_value_is_what_the_code_does_without_it(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Building a class with the listed value gives the same field as building it without:
        .env.example never changes behaviour, it shows it. Secrets (no default) are skipped;
        an empty value means the default for the classes that ignore empty variables."""
        monkeypatch.chdir(tmp_path)  # no .env
        for env in all_settings():
            monkeypatch.delenv(env, raising=False)
        values, differ = _values(), []
        for env, (cls, field) in all_settings().items():
            if env not in values or is_secret(cls, field):
                continue
            given = {
                f: "placeholder-secret" for f, i in cls.model_fields.items() if i.is_required()
            }
            default = getattr(cls(**given), field)  # type: ignore[arg-type]
            monkeypatch.setenv(env, values[env])
            listed = getattr(cls(**given), field)  # type: ignore[arg-type]
            monkeypatch.delenv(env)
            if listed != default:
                differ.append(f"{env}={values[env]} (code: {default!r})")

        assert [] == differ
