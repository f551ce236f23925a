"""The public surface of shared.clients.polygon is exactly its __all__."""

from __future__ import annotations

import pytest

import shared.clients
import shared.clients.polygon as polygon

pytestmark = pytest.mark.unit


class TestPublicSurface:
    def test_exported_names(self) -> None:
        """Renaming or dropping a public name must be deliberate."""
        expected = {
            "RETRY_MALFORMED_RESPONSES", "TRANSPORT_ERROR", "CorporateActionKind", "DailyBar",
            "InProcessRateLimiter",
            "PolygonApi", "PolygonAuthError",
            "PolygonBadRequest", "PolygonClient", "PolygonError", "PolygonGaveUp",
            "PolygonIncompleteResponse",
            "PolygonMalformedResponse", "PolygonNotEntitled", "PolygonNotFound",
            "PolygonPaginationLoop", "PolygonUnexpectedStatus", "PostgresRateLimiter",
            "RateLimiter", "TickerRef", "deployment_client", "outcomes_since", "trading_date_of",
        }  # fmt: skip

        assert expected == set(polygon.__all__)

    def test_every_error_is_a_polygon_error_with_a_kind(self) -> None:
        """Each typed error subclasses PolygonError and has its own short kind."""
        errors = [getattr(polygon, n) for n in polygon.__all__ if n.startswith("Polygon")]
        errors = [e for e in errors if isinstance(e, type) and issubclass(e, Exception)]

        kinds = [e.kind for e in errors if e is not polygon.PolygonError]
        assert (True, len(kinds)) == (
            all(issubclass(e, polygon.PolygonError) for e in errors), len(set(kinds)),
        )  # fmt: skip

    def test_shared_clients_reexports_resolve(self) -> None:
        """shared.clients re-exports names that exist."""
        assert [True] * len(shared.clients.__all__) == [
            hasattr(shared.clients, n) for n in shared.clients.__all__
        ]
