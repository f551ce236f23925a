"""The stand-in images of deploy/standins, built on the Debian base with the artifacts the real
ones hold (Kafka's jars from the native stack's cache, Go from the module proxy), and rebuilt
only when an input changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from deploy.local.launcher.layout import KAFKA_VERSION
from shared.settings import StackSettings

from .engine import Engine
from .images import LABEL, REPO, STANDINS, _digest, _label, go_toolchain, standin_tags


def _native_kafka_lib() -> Path:
    """Kafka's jars in the native stack's cache; `stack install` fills it (idempotent, starts
    nothing)."""
    lib = StackSettings().cache_dir / f"kafka-{KAFKA_VERSION}" / "lib"
    if not lib.exists():
        subprocess.run([str(REPO / "deploy/local/stack"), "install"], cwd=REPO, check=True)
    return lib


def _artifacts(name: str, tag: str, cache: Path) -> tuple[dict[str, Path], str]:
    """What a stand-in's build context gets besides its folder, and the pins that name it."""
    if name == "golang":
        version = tag.rsplit(":", 1)[1].split("-")[0]
        return {"go": go_toolchain(cache, version)}, f"go{version}"
    if name == "kafka":
        lib = _native_kafka_lib()
        return {"libs": lib}, " ".join(sorted(p.name for p in lib.iterdir()))
    return {}, ""


def _inputs_key(base_id: str, name: str, pins: str) -> str:
    parts = [base_id, pins]
    for f in sorted(p for p in (STANDINS / name).rglob("*") if p.is_file()):
        parts.append(f"{f.relative_to(STANDINS)} {_digest(f.read_bytes())}")
    return _digest("\n".join(parts).encode())


def build_standins(engine: Engine, cache: Path, base_id: str) -> dict[str, str]:
    """Every stand-in under the tag the compose file (or the Dockerfile) names; returns
    {folder: tag} with the ones that had to be built."""
    built: dict[str, str] = {}
    for name, tag in standin_tags().items():
        files, pins = _artifacts(name, tag, cache)
        key = _inputs_key(base_id, name, pins)
        if _label(engine, tag) == key:
            continue
        ctx = cache / "ctx" / name
        shutil.rmtree(ctx, ignore_errors=True)
        shutil.copytree(STANDINS / name, ctx)
        for rel, src in files.items():
            (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, ctx / rel)
            else:
                shutil.copy2(src, ctx / rel)
        engine.check(
            "build", "--format", "docker", "--label", f"{LABEL}={key}", "-t", tag, str(ctx)
        )
        shutil.rmtree(ctx)
        built[name] = tag
    return built
