"""The control schema's names: run statuses, pseudo-batches, the whole-market watermark, and how
many batches a run has. Every service and the CLI spell them from here, in Python and in SQL.

The statuses are the values of `control.runs.status`'s check constraint (migrations 0001, 0009);
a status added there is added here in the same change.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """listing -> running -> transforming -> succeeded | succeeded_with_errors | failed; a
    request the lister refused is rejected. A StrEnum formats as its value, so SQL text can
    carry it: f"... status = '{RunStatus.RUNNING}'"."""

    LISTING = "listing"
    RUNNING = "running"
    TRANSFORMING = "transforming"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_ERRORS = "succeeded_with_errors"
    FAILED = "failed"
    REJECTED = "rejected"


FINAL_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.SUCCEEDED_WITH_ERRORS, RunStatus.FAILED, RunStatus.REJECTED}
)
# A run the lister or the fetchers still work on: the stall sweep fails one that stops moving.
UNFINISHED_STATUSES = (RunStatus.LISTING, RunStatus.RUNNING)

# The listing is stored and loaded like any batch, under this id; it holds no bars.
TICKERS_BATCH_ID = "tickers"
# Each kind of corporate action is fetched in one batch of a run, named after the kind.
SPLITS_BATCH_ID = "splits"
DIVIDENDS_BATCH_ID = "dividends"
ACTION_BATCH_IDS = {"splits": SPLITS_BATCH_ID, "dividends": DIVIDENDS_BATCH_ID}

# A corporate-action watermark for every ticker: a whole-market run read the kind's events of
# every ticker, listed then or later.
WHOLE_MARKET = "*"


def batch_count(fetch_batches: int) -> int:
    """A run's `total_batches`: its fetch commands plus the listing, loaded like any batch. The
    run is complete when that many listed batches are in its completion set."""
    return fetch_batches + 1


__all__ = [
    "ACTION_BATCH_IDS",
    "DIVIDENDS_BATCH_ID",
    "FINAL_STATUSES",
    "SPLITS_BATCH_ID",
    "TICKERS_BATCH_ID",
    "UNFINISHED_STATUSES",
    "WHOLE_MARKET",
    "RunStatus",
    "batch_count",
]
