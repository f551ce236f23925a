"""What the compose tier builds once and keeps in its cache (keyed by what went into it): the
Debian base image, the Compose CLI, the Go toolchain, and the stand-in images of deploy/standins."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from .engine import Engine

REPO = Path(__file__).resolve().parents[2]
STANDINS = REPO / "deploy" / "standins"
BASE = "localhost/debian:bookworm"
ROOTFS = "localhost/debian:bookworm-rootfs"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
COMPOSE_MODULE, COMPOSE_VERSION = "github.com/docker/compose/v2", "v2.40.3"
LABEL = "stocks-elt.standin.inputs"


def _go(cache: Path, *args: str, cwd: Path | None = None, gobin: Path | None = None) -> str:
    env = {**os.environ, "GOPATH": str(cache / "go"), "GOFLAGS": "-modcacherw"}
    if gobin is not None:
        env["GOBIN"] = str(gobin)
    r = subprocess.run(["go", *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed:\n{r.stderr[-4000:]}")
    return r.stdout


def compose_cli(cache: Path) -> Path:
    """docker-compose built from the Go module proxy (`go install` refuses the module: its go.mod
    has exclude directives), installed as a Docker CLI plugin under cache/docker."""
    binary = cache / "bin" / f"docker-compose-{COMPOSE_VERSION}"
    if not binary.exists():
        src = json.loads(
            _go(cache, "mod", "download", "-json", f"{COMPOSE_MODULE}@{COMPOSE_VERSION}")
        )
        partial = binary.with_suffix(".partial")
        _go(cache, "build", "-trimpath", "-o", str(partial), "./cmd", cwd=Path(src["Dir"]))
        partial.rename(binary)
    plugin = cache / "docker" / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir(parents=True, exist_ok=True)
    plugin.unlink(missing_ok=True)
    plugin.symlink_to(binary)
    return binary


def go_toolchain(cache: Path, version: str) -> Path:
    """Go itself at `version`, as the Go module proxy serves it (the toolchain module)."""
    module = f"golang.org/toolchain@v0.0.1-go{version}.linux-amd64"
    return Path(json.loads(_go(cache, "mod", "download", "-json", module))["Dir"])


def debian_mirror() -> str:
    """The mirror this machine's apt uses (the containers reach it too)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        found = re.search(r"^URIs:\s*(\S+/debian)\s*$", sources.read_text(), re.M)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def base_image(engine: Engine, cache: Path) -> str:
    """localhost/debian:bookworm from a debootstrap minbase rootfs; returns its image id."""
    mirror = debian_mirror()
    tarball = cache / "base" / f"bookworm-minbase-{_digest(mirror.encode())[:12]}.tar"
    if not tarball.exists():
        rootfs = cache / "base" / "rootfs.partial"
        shutil.rmtree(rootfs, ignore_errors=True)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        _check(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror])
        _check(["tar", "-C", str(rootfs), "-cf", f"{tarball}.partial", "."])
        Path(f"{tarball}.partial").rename(tarball)
        shutil.rmtree(rootfs)
    wanted = _digest(tarball.name.encode())
    if _label(engine, ROOTFS) != wanted:
        engine.check("import", "--change", f"LABEL {LABEL}={wanted}", str(tarball), ROOTFS)
    _trust_this_machines_cas(engine, cache, wanted)
    for alias in base_aliases():
        engine.check("tag", BASE, alias)
    return engine.check("image", "inspect", "--format", "{{.Id}}", BASE).strip()


def _trust_this_machines_cas(engine: Engine, cache: Path, rootfs_key: str) -> None:
    """BASE is the rootfs plus the CAs this machine trusts beyond Debian's (its egress proxy's):
    without them pip and go inside builds refuse every registry's certificate."""
    extra = sorted(LOCAL_CAS.glob("*.crt"))
    key = _digest("\n".join([rootfs_key, *(_digest(p.read_bytes()) for p in extra)]).encode())
    if _label(engine, BASE) == key:
        return
    ctx = cache / "ctx" / "base"
    shutil.rmtree(ctx, ignore_errors=True)
    (ctx / "cas").mkdir(parents=True)
    for ca in extra:
        shutil.copy2(ca, ctx / "cas" / ca.name)
    shutil.copy2(CA_BUNDLE, ctx / "ca-certificates.crt")
    (ctx / "Containerfile").write_text(
        f"FROM {ROOTFS}\nCOPY cas/ /usr/local/share/ca-certificates/\n"
        "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
    )
    engine.check("build", "--format", "docker", "--label", f"{LABEL}={key}", "-t", BASE, str(ctx))
    shutil.rmtree(ctx)


def _check(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _label(engine: Engine, image: str) -> str | None:
    r = engine.podman("image", "inspect", "--format", f'{{{{index .Labels "{LABEL}"}}}}', image)
    return r.stdout.strip() if r.returncode == 0 else None


def qualified(name: str) -> str:
    """A Docker image reference as Docker's API resolves it (podman keeps full names)."""
    first = name.split("/")[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


def _from_lines(dockerfile: Path) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M)


def standin_tags() -> dict[str, str]:
    """Each stand-in folder's tag, read from the files under test: compose's images, our
    Dockerfile's base, and the bases of compose's MinIO-from-source build (its registry image
    is pinned by a digest no local build can carry)."""
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    golang = _from_lines(REPO / "deploy" / "minio" / "Dockerfile")[0]
    return {
        "python": qualified(_from_lines(REPO / "Dockerfile")[0]),
        "golang": qualified(golang),
        **{s: qualified(services[s]["image"]) for s in ("kafka", "postgres")},
    }


def base_aliases() -> list[str]:
    """Images that the base itself stands in for (debian:bookworm-slim, MinIO's runtime)."""
    return [qualified(f) for f in _from_lines(REPO / "deploy" / "minio" / "Dockerfile")[1:]]
