"""The chart under deploy/helm rendered and linted by the pinned Helm, which
deploy/helm/install-helm builds into the project's cache (a few minutes once, then instant)."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "deploy" / "helm" / "stocks-elt"
INSTALL_HELM = REPO / "deploy" / "helm" / "install-helm"
SCALED_VALUES = CHART / "ci" / "scaled-values.yaml"
KEDA_API = "keda.sh/v1alpha1"
RELEASE = "stocks"
# A `go install`ed Helm reports Kubernetes v1.20 when no cluster answers (its version comes from
# build flags go install does not set), below the chart's kubeVersion: name a supported one.
KUBE_VERSION = "1.33.0"
SERVICES = ("lister", "fetcher", "loader", "transformer", "scheduler")
SCALED = ("fetcher", "loader")

Manifest = dict[str, Any]


class RenderFailed(Exception):
    """`helm template` refused the values (a template `fail`, or a broken template)."""


@cache
def helm() -> Path:
    """The cached Helm binary, built on first use (Go is needed for that, as for MinIO)."""
    out = subprocess.run([str(INSTALL_HELM)], capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{INSTALL_HELM} failed:\n{out.stderr}")
    return Path(out.stdout.strip().splitlines()[-1])


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm()), *args], capture_output=True, text=True, timeout=120)


def render(
    values: Sequence[Path] = (),
    sets: Sequence[str] = (),
    api_versions: Sequence[str] = (),
) -> list[Manifest]:
    """The manifests `helm template` makes, hooks included, as parsed YAML."""
    args = ["template", RELEASE, str(CHART), "--namespace", "stocks-elt"]
    args += ["--kube-version", KUBE_VERSION]
    args += [a for v in values for a in ("--values", str(v))]
    args += [a for s in sets for a in ("--set", s)]
    args += [a for api in api_versions for a in ("--api-versions", api)]
    done = run_helm(*args)
    if done.returncode != 0:
        raise RenderFailed(done.stderr)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def kinds(manifests: Sequence[Manifest]) -> Counter[str]:
    return Counter(m["kind"] for m in manifests)


def of_kind(manifests: Sequence[Manifest], kind: str) -> dict[str, Manifest]:
    """The objects of one kind by the component they belong to."""
    return {
        m["metadata"]["labels"]["app.kubernetes.io/component"]: m
        for m in manifests
        if m["kind"] == kind
    }


def pod_specs(manifests: Sequence[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(component, pod spec) of every Deployment and Job."""
    for m in manifests:
        if m["kind"] in ("Deployment", "Job"):
            yield (
                m["metadata"]["labels"]["app.kubernetes.io/component"],
                m["spec"]["template"]["spec"],
            )


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None
    secret: tuple[str, str] | None  # (Secret name, key)


def environment(pod: Manifest) -> dict[str, EnvVar]:
    """The first container's environment: plain values and Secret references."""
    out: dict[str, EnvVar] = {}
    for item in pod["containers"][0].get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        secret = (ref["name"], ref["key"]) if ref else None
        out[item["name"]] = EnvVar(item["name"], item.get("value"), secret)
    return out
