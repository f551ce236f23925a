"""`helm lint` passes on the chart with each values file, and fails on values that break
values.schema.json. (Lint only reports a template `fail` as INFO: test_scaling renders those.)"""

from __future__ import annotations

import pytest

from .chart import CHART, KUBE_VERSION, SCALED_VALUES, run_helm

pytestmark = pytest.mark.unit


class TestLint:
    @pytest.mark.parametrize("files", [[], [SCALED_VALUES]], ids=["default", "scaled"])
    def test_lint_passes_strictly(self, files: list[object]) -> None:
        """No errors and no warnings (--strict turns warnings into failures)."""
        args = [a for f in files for a in ("--values", str(f))]
        done = run_helm("lint", "--strict", "--kube-version", KUBE_VERSION, str(CHART), *args)

        assert 0 == done.returncode, done.stdout + done.stderr

    @pytest.mark.parametrize(
        ("setting", "reported"),
        [
            ("autoscaling.mode=sometimes", "value must be one of"),
            ("fetcher.scaling.lagThreshold=0", "minimum: got 0, want 1"),
            ("loader.scalling.maxReplicas=3", "additional properties 'scalling' not allowed"),
            ("kafka.partitions=twelve", "/kafka/partitions"),
        ],
    )
    def test_lint_fails_on_values_the_schema_refuses(self, setting: str, reported: str) -> None:
        """A wrong mode, a zero threshold, a misspelt key or a text count is an error."""
        done = run_helm("lint", "--kube-version", KUBE_VERSION, str(CHART), "--set", setting)

        assert 0 != done.returncode
        assert reported in done.stdout + done.stderr
