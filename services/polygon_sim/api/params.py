"""Parsing of query values the way the API reads them (lowercase booleans, bounded limits)."""

from __future__ import annotations

from services.polygon_sim.api.errors import QueryError


def parse_bool(raw: str | None, name: str, default: bool) -> bool:
    """`true`/`false` (any case); absent means the default."""
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise QueryError(f"The parameter '{name}' with value '{raw}' is not a valid boolean.")
    return lowered == "true"


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """A positive page size; values above the maximum are capped to it."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise QueryError(f"The parameter 'limit' with value '{raw}' is not an integer.") from exc
    if value < 1:
        raise QueryError("The parameter 'limit' must be at least 1.")
    return min(value, maximum)
