"""Message contracts: topic names and the versioned payloads that travel on them."""

from . import topics

__all__ = ["topics"]
