"""Reading docker-compose.yml and .env.example the way compose does: YAML with merge keys, and
`${VAR}` interpolation with `:-`/`-` defaults and `:?`/`?` errors."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

REPO = Path(__file__).resolve().parents[3]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

# The services built from the project's Dockerfile, and the scalable ones among them.
APP_SERVICES = ("init", "polygon-sim", "lister", "fetcher", "loader", "transformer", "scheduler")
SCALABLE = ("lister", "fetcher", "loader", "transformer")

_REF = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_ASSIGNMENT = re.compile(r"^(?P<comment>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


@dataclass(frozen=True)
class Ref:
    """One `${name<op><arg>}` in the compose file (op is '' for a plain `${name}`)."""

    name: str
    op: str
    arg: str


class MissingVariable(Exception):
    """A `${VAR:?message}` whose variable is unset: compose refuses to start."""


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def service(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = load_compose()["services"][name]
    return spec


def raw_environment(name: str) -> dict[str, str]:
    """A service's environment before interpolation (compose accepts a mapping or a list)."""
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {
        key: "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in env.items()
    }


def refs(text: str) -> list[Ref]:
    return [
        Ref(m["name"] or m["bare"], m["op"] or "", m["arg"] or "")
        for m in _REF.finditer(text)
        if not m["escaped"]
    ]


def all_refs() -> list[Ref]:
    """Every interpolation in the file: compose interpolates every value, extensions included."""
    return [ref for text in _strings(load_compose()) for ref in refs(text)]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        name, op, arg = m["name"] or m["bare"], m["op"] or "", m["arg"] or ""
        value = env.get(name)
        unset = value is None or (op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset else str(value)
        if op in (":?", "?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        if op in (":+", "+"):
            return "" if unset else arg
        return value or ""

    return _REF.sub(one, text)


def environment(name: str, dotenv: Mapping[str, str]) -> dict[str, str]:
    """A service's `environment`, interpolated with `dotenv` as the user's `.env`."""
    return {key: interpolate(value, dotenv) for key, value in raw_environment(name).items()}


def env_files(name: str) -> list[str]:
    """The files a service's `env_file` names (a string, or a list of strings or `path:`s)."""
    spec = service(name).get("env_file") or []
    items = [spec] if isinstance(spec, str | dict) else spec
    return [item if isinstance(item, str) else item["path"] for item in items]


def container_environment(name: str, dotenv: Mapping[str, str]) -> dict[str, str]:
    """What the container sees: the `.env` it gets through env_file, `environment` over it."""
    passed = dict(dotenv) if ".env" in env_files(name) else {}
    return {**passed, **environment(name, dotenv)}


def env_example() -> dict[str, str]:
    """The variables .env.example sets (what `cp .env.example .env` gives compose)."""
    return {m["name"]: m["value"] for m in _assignments() if not m["comment"]}


def documented() -> set[str]:
    """Every variable .env.example names in an assignment, set or commented out."""
    return {m["name"] for m in _assignments()}


def _assignments() -> list[re.Match[str]]:
    lines = (line.strip() for line in ENV_EXAMPLE.read_text().splitlines())
    return [m for line in lines if (m := _ASSIGNMENT.match(line))]
