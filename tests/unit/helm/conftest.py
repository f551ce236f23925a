"""The chart rendered once per session: with the default values (no KEDA in the cluster, so the
HPA fallback) and with the scaled values file on a cluster that serves KEDA's API."""

from __future__ import annotations

import pytest

from .chart import KEDA_API, SCALED_VALUES, Manifest, render


@pytest.fixture(scope="session")
def default() -> list[Manifest]:
    return render()


@pytest.fixture(scope="session")
def scaled() -> list[Manifest]:
    return render([SCALED_VALUES], api_versions=[KEDA_API])


@pytest.fixture(scope="session", params=["default", "scaled"])
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    """Each of the two renders in turn."""
    manifests: list[Manifest] = request.getfixturevalue(request.param)
    return manifests
