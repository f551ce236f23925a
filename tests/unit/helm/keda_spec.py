"""The fields KEDA documents for a ScaledObject and its kafka trigger (KEDA 2.18 docs:
keda.sh/docs/2.18/reference/scaledobject-spec/ and keda.sh/docs/2.18/scalers/apache-kafka/).
kubernetes-validate knows no CRDs, so the chart's ScaledObjects are checked against these."""

from __future__ import annotations

from typing import Any

API_VERSION = "keda.sh/v1alpha1"

SPEC_FIELDS = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
SPEC_REQUIRED = {"scaleTargetRef", "triggers"}
SPEC_INTEGERS = {
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
}
TARGET_FIELDS = {"apiVersion", "kind", "name", "envSourceContainerName"}
ADVANCED_FIELDS = {
    "restoreToOriginalReplicaCount",
    "horizontalPodAutoscalerConfig",
    "scalingModifiers",
}
HPA_CONFIG_FIELDS = {"name", "behavior"}
TRIGGER_FIELDS = {"type", "metadata", "name", "useCachedMetrics", "authenticationRef", "metricType"}
TRIGGER_REQUIRED = {"type", "metadata"}

# The kafka scaler's metadata (authentication parameters belong in a TriggerAuthentication).
KAFKA_METADATA = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "ensureEvenDistributionOfPartitions",
    "version",
    "partitionLimitation",
    "sasl",
    "saslTokenProvider",
    "tls",
    "unsafeSsl",
    "awsRegion",
}
KAFKA_REQUIRED = {"bootstrapServers", "consumerGroup"}
OFFSET_RESET_POLICIES = {"latest", "earliest"}


def problems(obj: dict[str, Any]) -> list[str]:
    """What in a ScaledObject with kafka triggers KEDA's documentation does not allow."""
    found: list[str] = []
    if obj.get("apiVersion") != API_VERSION or obj.get("kind") != "ScaledObject":
        found.append(f"not a {API_VERSION} ScaledObject")
    spec = obj.get("spec", {})
    found += [f"spec.{k}: unknown" for k in sorted(spec.keys() - SPEC_FIELDS)]
    found += [f"spec.{k}: missing" for k in sorted(SPEC_REQUIRED - spec.keys())]
    found += [f"spec.{k}: not an integer" for k in SPEC_INTEGERS & spec.keys() if not _int(spec[k])]
    target = spec.get("scaleTargetRef", {})
    found += [f"scaleTargetRef.{k}: unknown" for k in sorted(target.keys() - TARGET_FIELDS)]
    if "name" not in target:
        found.append("scaleTargetRef.name: missing")
    advanced = spec.get("advanced", {})
    found += [f"advanced.{k}: unknown" for k in sorted(advanced.keys() - ADVANCED_FIELDS)]
    hpa = advanced.get("horizontalPodAutoscalerConfig", {})
    found += [f"horizontalPodAutoscalerConfig.{k}: unknown" for k in hpa.keys() - HPA_CONFIG_FIELDS]
    for i, trigger in enumerate(spec.get("triggers", [])):
        found += _trigger_problems(f"triggers[{i}]", trigger)
    return found


def _trigger_problems(where: str, trigger: dict[str, Any]) -> list[str]:
    found = [f"{where}.{k}: unknown" for k in sorted(trigger.keys() - TRIGGER_FIELDS)]
    found += [f"{where}.{k}: missing" for k in sorted(TRIGGER_REQUIRED - trigger.keys())]
    if trigger.get("type") != "kafka":
        return [*found, f"{where}.type: not kafka"]
    meta = trigger.get("metadata", {})
    found += [f"{where}.metadata.{k}: unknown" for k in sorted(meta.keys() - KAFKA_METADATA)]
    found += [f"{where}.metadata.{k}: missing" for k in sorted(KAFKA_REQUIRED - meta.keys())]
    # The CRD types metadata as map[string]string: a bare number or boolean is rejected.
    found += [
        f"{where}.metadata.{k}: not a string" for k, v in meta.items() if not isinstance(v, str)
    ]
    for k in ("lagThreshold", "activationLagThreshold"):
        if k in meta and not str(meta[k]).isdigit():
            found.append(f"{where}.metadata.{k}: not a whole number")
    policy = meta.get("offsetResetPolicy")
    if policy is not None and policy not in OFFSET_RESET_POLICIES:
        found.append(f"{where}.metadata.offsetResetPolicy: {policy!r}")
    return found


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
