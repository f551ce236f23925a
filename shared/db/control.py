"""Names the control schema's rows use, shared by the services that write and read them."""

from __future__ import annotations

# A corporate-action watermark for every ticker: a whole-market run read the kind's events of
# every ticker, listed then or later.
WHOLE_MARKET = "*"

__all__ = ["WHOLE_MARKET"]
