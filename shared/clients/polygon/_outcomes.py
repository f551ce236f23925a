"""How requests ended, as the client counts them per process and the services record them per
batch and per run: the HTTP status as a string ("200", "429"), or "error" when no answer came."""

from __future__ import annotations

from collections.abc import Mapping

# A timeout, a refused or dropped connection: the request was sent, nothing came back.
TRANSPORT_ERROR = "error"


def outcomes_since(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The requests counted in `after` but not in `before` (two snapshots of one client),
    by outcome; outcomes with none left out."""
    return {k: n - before.get(k, 0) for k, n in sorted(after.items()) if n > before.get(k, 0)}


__all__ = ["TRANSPORT_ERROR", "outcomes_since"]
