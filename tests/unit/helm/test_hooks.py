"""The hook Jobs: bootstrap before the services on every install and upgrade, after MinIO's
Kafka target is set from values, which restarts MinIO and so runs on install only."""

from __future__ import annotations

import pytest

from shared.messages import topics

from .chart import Manifest, environment, kinds, of_kind, render

pytestmark = pytest.mark.unit


class TestBootstrap:
    def test_bootstrap_is_a_hook_before_the_services(self, rendered: list[Manifest]) -> None:
        """`stocks-elt bootstrap` runs before install and upgrade, after MinIO's target is set."""
        jobs = of_kind(rendered, "Job")
        boot = jobs["bootstrap"]
        target = jobs["minio-kafka-target"]
        weight = "helm.sh/hook-weight"

        assert ["stocks-elt", "bootstrap"] == boot["spec"]["template"]["spec"]["containers"][0][
            "command"
        ]
        assert "pre-install,pre-upgrade" == boot["metadata"]["annotations"]["helm.sh/hook"]
        assert int(target["metadata"]["annotations"][weight]) < int(
            boot["metadata"]["annotations"][weight]
        )

    def test_minio_is_restarted_on_install_only(self, default: list[Manifest]) -> None:
        """The target job restarts MinIO, so upgrades run it only when asked to."""
        hook = "helm.sh/hook"
        again = render(sets=["minio.kafkaTarget.reapplyOnUpgrade=true"])

        assert (
            "pre-install"
            == of_kind(default, "Job")["minio-kafka-target"]["metadata"]["annotations"][hook]
        )
        assert (
            "pre-install,pre-upgrade"
            == of_kind(again, "Job")["minio-kafka-target"]["metadata"]["annotations"][hook]
        )

    def test_bootstrap_can_be_left_out(self) -> None:
        """bootstrap.enabled=false renders neither hook Job."""

        assert 0 == kinds(render(sets=["bootstrap.enabled=false"]))["Job"]


class TestMinioTarget:
    def test_target_announces_on_the_loaders_topic(self, default: list[Manifest]) -> None:
        """The job sets MinIO's Kafka target to the raw-object-events topic, under the target id
        bootstrap's bucket rule names."""
        jobs = of_kind(default, "Job")
        target = environment(jobs["minio-kafka-target"]["spec"]["template"]["spec"])
        boot = environment(jobs["bootstrap"]["spec"]["template"]["spec"])

        assert topics.RAW_OBJECT_EVENTS == target["TOPIC"].value
        assert boot["MINIO_NOTIFY_TARGET_ID"].value == target["TARGET_ID"].value
        assert boot["KAFKA_BOOTSTRAP_SERVERS"].value == target["BROKERS"].value

    def test_target_job_can_be_left_to_the_user(self) -> None:
        """minio.kafkaTarget.configure=false: only bootstrap's Job."""
        jobs = of_kind(render(sets=["minio.kafkaTarget.configure=false"]), "Job")

        assert ["bootstrap"] == list(jobs)
