"""What `helm template` makes of the chart: the objects, valid against Kubernetes' own schemas,
and pods that run the services the way the image and compose do, locked down."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path, PurePosixPath

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError  # type: ignore[import-untyped]

from services.cli.processes import command
from services.transformer.settings import TransformerOptions
from shared.observability import MetricsSettings

from .chart import CHART, REPO, SERVICES, Manifest, environment, kinds, of_kind, pod_specs, render

pytestmark = pytest.mark.unit

# The oldest Kubernetes the chart claims (Chart.yaml kubeVersion) and the newest the pinned
# kubernetes-validate knows.
KUBERNETES = ("1.29.0", kubernetes_validate.latest_version())
APP_DIR = PurePosixPath("/app")  # the Dockerfile's WORKDIR


class TestObjects:
    def test_default_values_render_the_hpa_fallback(self, default: list[Manifest]) -> None:
        """Without KEDA: five Deployments, a budget each, an HPA each for fetcher and loader,
        and the two hook Jobs."""

        expected = {
            "Deployment": 5,
            "PodDisruptionBudget": 5,
            "HorizontalPodAutoscaler": 2,
            "Job": 2,
        }

        assert expected == dict(kinds(default))

    def test_scaled_values_render_scaled_objects(self, scaled: list[Manifest]) -> None:
        """With KEDA's API served, ScaledObjects replace the HPAs."""

        expected = {"Deployment": 5, "PodDisruptionBudget": 5, "ScaledObject": 2, "Job": 2}

        assert expected == dict(kinds(scaled))

    def test_auto_mode_asks_the_cluster_for_keda(self) -> None:
        """autoscaling.mode=auto renders ScaledObjects exactly when keda.sh/v1alpha1 is served."""

        with_keda = kinds(render(api_versions=["keda.sh/v1alpha1"]))
        without = kinds(render())

        assert (2, 0) == (with_keda["ScaledObject"], with_keda["HorizontalPodAutoscaler"])
        assert (0, 2) == (without["ScaledObject"], without["HorizontalPodAutoscaler"])

    def test_no_scaler_runs_the_minimum(self) -> None:
        """autoscaling.mode=none: no scaler objects, and each scaled service runs its minimum."""

        manifests = render(sets=["autoscaling.mode=none", "fetcher.scaling.minReplicas=3"])

        assert 0 == kinds(manifests)["ScaledObject"] + kinds(manifests)["HorizontalPodAutoscaler"]
        assert 3 == of_kind(manifests, "Deployment")["fetcher"]["spec"]["replicas"]

    def test_the_image_is_the_projects_version(self, default: list[Manifest]) -> None:
        """Without image.tag the pods run the chart's appVersion, which is pyproject's version."""
        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
        chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
        images = {
            pod["containers"][0]["image"]
            for c, pod in pod_specs(default)
            if c != "minio-kafka-target"
        }

        assert project == chart["appVersion"]
        assert {f"stocks-elt:{project}"} == images

    def test_no_secret_objects(self, rendered: list[Manifest]) -> None:
        """The chart never carries a secret: it only refers to existing Secrets."""

        assert 0 == kinds(rendered)["Secret"]


class TestSchemas:
    @pytest.mark.parametrize("version", KUBERNETES)
    def test_every_object_is_valid(self, rendered: list[Manifest], version: str) -> None:
        """Every built-in object passes Kubernetes' schema (strict: no unknown fields)."""

        checked = [m for m in rendered if m["kind"] != "ScaledObject"]
        for manifest in checked:
            kubernetes_validate.validate(manifest, version, strict=True)

        assert len(rendered) - kinds(rendered)["ScaledObject"] == len(checked)

    def test_a_wrong_type_is_caught(self, default: list[Manifest]) -> None:
        """The schema check can fail: replicas as text is rejected."""
        broken = copy.deepcopy(of_kind(default, "Deployment")["lister"])
        broken["spec"]["replicas"] = "two"

        with pytest.raises(ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES[0], strict=True)

    def test_custom_resources_are_not_known_to_it(self, scaled: list[Manifest]) -> None:
        """KEDA's ScaledObject has no schema there: test_scaling checks it against KEDA's docs."""

        with pytest.raises(SchemaNotFoundError):
            kubernetes_validate.validate(of_kind(scaled, "ScaledObject")["fetcher"], KUBERNETES[0])


class TestPods:
    def test_every_container_is_locked_down(self, rendered: list[Manifest]) -> None:
        """Non-root, read-only root filesystem, no privilege escalation, no capabilities, no
        API token; /tmp is an emptyDir."""
        for component, pod in pod_specs(rendered):
            container = pod["containers"][0]
            ctx = container["securityContext"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}

            assert (True, 10001) == (
                pod["securityContext"]["runAsNonRoot"],
                pod["securityContext"]["runAsUser"],
            ), component
            assert (True, False) == (
                ctx["readOnlyRootFilesystem"],
                ctx["allowPrivilegeEscalation"],
            ), component
            assert ["ALL"] == ctx["capabilities"]["drop"], component
            assert False is pod["automountServiceAccountToken"], component
            assert mounts["/tmp"] in empty, component

    def test_dbt_can_write_its_target_and_logs(self, rendered: list[Manifest]) -> None:
        """The transformer's dbt project dir has writable target/ and logs/ (emptyDirs)."""
        pod = of_kind(rendered, "Deployment")["transformer"]["spec"]["template"]["spec"]
        project = APP_DIR / TransformerOptions().dbt_project_dir
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}

        assert {str(project / "target"), str(project / "logs")} <= mounts.keys()
        assert mounts[str(project / "target")] in empty
        assert mounts[str(project / "logs")] in empty

    def test_services_run_their_entry_points(self, rendered: list[Manifest]) -> None:
        """Each Deployment runs the command the native launcher and compose run."""
        deployments = of_kind(rendered, "Deployment")

        assert set(SERVICES) == deployments.keys()
        for name, deployment in deployments.items():
            expected = command(name)
            actual = deployment["spec"]["template"]["spec"]["containers"][0]["command"]

            assert [Path(expected[0]).name, *expected[1:]] == actual

    def test_probes_use_the_health_endpoints(self, rendered: list[Manifest]) -> None:
        """Liveness on /health, readiness on /ready, on the port the service serves them on."""
        port = MetricsSettings().port
        for name, deployment in of_kind(rendered, "Deployment").items():
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            env = environment(deployment["spec"]["template"]["spec"])

            assert "/health" == container["livenessProbe"]["httpGet"]["path"], name
            assert "/ready" == container["readinessProbe"]["httpGet"]["path"], name
            assert "metrics" == container["readinessProbe"]["httpGet"]["port"], name
            assert (port, str(port)) == (ports["metrics"], env["METRICS_PORT"].value), name
            assert "0.0.0.0" == env["METRICS_HOST"].value, name

    def test_resources_are_bounded(self, rendered: list[Manifest]) -> None:
        """Every container requests CPU and memory and has a memory limit."""
        for component, pod in pod_specs(rendered):
            resources = pod["containers"][0]["resources"]

            assert {"cpu", "memory"} <= resources["requests"].keys(), component
            assert "memory" in resources["limits"], component

    def test_a_budget_per_workload(self, rendered: list[Manifest]) -> None:
        """Each Deployment has one PodDisruptionBudget, whose selector picks its pods only."""
        deployments = of_kind(rendered, "Deployment")
        budgets = of_kind(rendered, "PodDisruptionBudget")

        assert deployments.keys() == budgets.keys()
        for name, budget in budgets.items():
            selector = budget["spec"]["selector"]["matchLabels"]
            matched = [
                other
                for other, d in deployments.items()
                if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            ]

            assert [name] == matched
