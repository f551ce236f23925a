"""Scaling the fetcher and loader on their consumer group's lag: KEDA objects as KEDA documents
them, on the groups and topics the services consume; the HPA fallback; and the sizing rules the
chart refuses to break (replicas <= partitions, Postgres connections within budget)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from services.fetcher.handlers import TICKER_BATCHES
from services.loader.handlers import RAW_OBJECT_EVENTS

from . import keda_spec
from .chart import (
    CHART,
    REPO,
    SCALED,
    SCALED_VALUES,
    SERVICES,
    Manifest,
    RenderFailed,
    environment,
    of_kind,
    render,
)

pytestmark = pytest.mark.unit

# What each scaled service consumes, as its handlers declare it: (group, topic).
SUBSCRIPTIONS = {
    "fetcher": (TICKER_BATCHES.group_id, TICKER_BATCHES.topic),
    "loader": (RAW_OBJECT_EVENTS.group_id, RAW_OBJECT_EVENTS.topic),
}


def values(*files: Path) -> dict[str, Any]:
    """values.yaml with the given files merged over it (the chart's nesting is two deep)."""
    merged: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    for f in files:
        for key, value in yaml.safe_load(f.read_text()).items():
            if isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(v, dict):
                        merged[key][k] = {**merged[key][k], **v}
                    else:
                        merged[key][k] = v
            else:
                merged[key] = value
    return merged


def connections(v: dict[str, Any]) -> int:
    """Postgres connections at the replicas' maximum: each replica's pool, plus dbt's threads
    in each transformer."""
    total = 0
    for name in SERVICES:
        svc = v[name]
        replicas = svc["scaling"]["maxReplicas"] if name in SCALED else svc["replicas"]
        per = v["postgres"]["poolMax"] + (
            v["postgres"]["dbtThreads"] if name == "transformer" else 0
        )
        total += replicas * per
    return int(total)


class TestScaledObjects:
    def test_fields_are_the_documented_ones(self, scaled: list[Manifest]) -> None:
        """Every field of both ScaledObjects is one KEDA documents, typed as it says."""
        objects = of_kind(scaled, "ScaledObject")

        assert set(SCALED) == objects.keys()
        assert {name: [] for name in SCALED} == {
            n: keda_spec.problems(o) for n, o in objects.items()
        }

    def test_the_check_catches_a_misspelt_field(self, scaled: list[Manifest]) -> None:
        """The KEDA check can fail: a misspelt key and a numeric threshold are reported."""
        broken = copy.deepcopy(of_kind(scaled, "ScaledObject")["fetcher"])
        meta = broken["spec"]["triggers"][0]["metadata"]
        meta["lagTreshold"] = meta.pop("lagThreshold")
        meta["activationLagThreshold"] = 3

        expected = [
            "triggers[0].metadata.lagTreshold: unknown",
            "triggers[0].metadata.activationLagThreshold: not a string",
        ]

        assert expected == keda_spec.problems(broken)

    @pytest.mark.parametrize("name", SCALED)
    def test_lag_is_read_on_the_services_own_group_and_topic(
        self, scaled: list[Manifest], name: str
    ) -> None:
        """consumerGroup and topic are the service's subscription; the brokers, its own."""
        trigger = of_kind(scaled, "ScaledObject")[name]["spec"]["triggers"][0]["metadata"]
        deployment = of_kind(scaled, "Deployment")[name]
        env = environment(deployment["spec"]["template"]["spec"])

        assert SUBSCRIPTIONS[name] == (trigger["consumerGroup"], trigger["topic"])
        assert env["KAFKA_BOOTSTRAP_SERVERS"].value == trigger["bootstrapServers"]

    @pytest.mark.parametrize("name", SCALED)
    def test_bounds_and_target_come_from_values(self, scaled: list[Manifest], name: str) -> None:
        """min/max replicas and the lag per replica are the values'; the target is the
        Deployment, which leaves its replica count to KEDA."""
        spec = of_kind(scaled, "ScaledObject")[name]["spec"]
        deployment = of_kind(scaled, "Deployment")[name]
        want = values(SCALED_VALUES)[name]["scaling"]

        assert (want["minReplicas"], want["maxReplicas"]) == (
            spec["minReplicaCount"],
            spec["maxReplicaCount"],
        )
        assert str(want["lagThreshold"]) == spec["triggers"][0]["metadata"]["lagThreshold"]
        assert deployment["metadata"]["name"] == spec["scaleTargetRef"]["name"]
        assert "replicas" not in deployment["spec"]


class TestHpaFallback:
    @pytest.mark.parametrize("name", SCALED)
    def test_hpa_keeps_the_bounds(self, default: list[Manifest], name: str) -> None:
        """Without KEDA, an autoscaling/v2 HPA on CPU scales the same Deployment between the
        same bounds."""
        hpa = of_kind(default, "HorizontalPodAutoscaler")[name]["spec"]
        deployment = of_kind(default, "Deployment")[name]
        want = values()[name]["scaling"]

        assert (max(1, want["minReplicas"]), want["maxReplicas"]) == (
            hpa["minReplicas"],
            hpa["maxReplicas"],
        )
        assert deployment["metadata"]["name"] == hpa["scaleTargetRef"]["name"]
        assert "cpu" == hpa["metrics"][0]["resource"]["name"]
        assert "replicas" not in deployment["spec"]


class TestSizingRules:
    @pytest.mark.parametrize("name", SCALED)
    def test_max_replicas_may_reach_the_partitions(self, name: str) -> None:
        """maxReplicas equal to kafka.partitions renders (on a Postgres that has room for them)."""
        partitions = values()["kafka"]["partitions"]
        rendered = render(
            sets=[
                f"{name}.scaling.maxReplicas={partitions}",
                "autoscaling.mode=keda",
                "postgres.maxConnections=1000",
            ]
        )

        assert partitions == of_kind(rendered, "ScaledObject")[name]["spec"]["maxReplicaCount"]

    @pytest.mark.parametrize("name", SCALED)
    def test_more_replicas_than_partitions_fail(self, name: str) -> None:
        """One replica more than the topic's partitions stops the render with the reason."""
        partitions = values()["kafka"]["partitions"]

        with pytest.raises(
            RenderFailed,
            match=rf"maxReplicas \({partitions + 1}\) exceeds kafka.partitions \({partitions}\)",
        ):
            render(
                sets=[
                    f"{name}.scaling.maxReplicas={partitions + 1}",
                    "postgres.maxConnections=1000",
                ]
            )

    def test_min_above_max_fails(self) -> None:
        """minReplicas above maxReplicas is refused."""

        with pytest.raises(RenderFailed, match="need minReplicas"):
            render(sets=["loader.scaling.minReplicas=7", "loader.scaling.maxReplicas=6"])

    @pytest.mark.parametrize("files", [(), (SCALED_VALUES,)], ids=["default", "scaled"])
    def test_connections_fit_exactly_at_the_budget(self, files: tuple[Path, ...]) -> None:
        """A Postgres whose budget equals the replicas' worst case renders; one less fails,
        naming the count."""
        v = values(*files)
        need = connections(v)
        reserved = v["postgres"]["reservedConnections"]
        args = [a for f in files for a in (f,)]

        render(args, sets=[f"postgres.maxConnections={need + reserved}"])
        with pytest.raises(RenderFailed, match=rf"may open {need} Postgres connections"):
            render(args, sets=[f"postgres.maxConnections={need + reserved - 1}"])

    def test_dbt_threads_are_the_profiles(self) -> None:
        """postgres.dbtThreads, counted in the budget, is dbt/profiles.yml's threads."""
        profiles = (REPO / "dbt" / "profiles.yml").read_text()
        threads = re.search(r"^\s*threads:\s*(\d+)", profiles, re.MULTILINE)

        assert threads is not None
        assert int(threads[1]) == values()["postgres"]["dbtThreads"]
