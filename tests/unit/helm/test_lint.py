"""`helm lint` passes on the chart with each values file, and fails where the chart refuses."""

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
