"""Version 1 of every payload. Commands have imperative names, events past-tense ones.

Breaking changes (rename, remove, retype) go into a `v2.py` and a `<topic>.v2`, never here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.db.control import RunStatus

from .envelope import Envelope
from .ids import Id, Ticker
from .run_rules import RequestTicker, run_span

MAX_BATCH_SIZE = 1000


class Plan(StrEnum):
    """How a run fetches: per ticker (one range request each), by grouped daily (one request per
    trading day for the whole market), or `auto`: the fewest requests, possibly both."""

    AUTO = "auto"
    PER_TICKER = "per_ticker"
    GROUPED_DAILY = "grouped_daily"


class RunRequest(BaseModel):
    """Start a run (command). Every field is optional: `{}` from Kafka UI starts a run."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    run_id: Id | None = Field(
        None,
        description="Id of the run; derived from the message's Kafka coordinates when absent",
        examples=["demo-2024q1"],
    )
    from_: date | None = Field(
        None,
        alias="from",
        description="First date (inclusive). Without it the run is incremental: each ticker from "
        "the day after its last loaded bar (new tickers from LISTER_HISTORY_START)",
        examples=["2024-01-02"],
    )
    to: date | None = Field(
        None,
        description="Last trading date (inclusive); default: yesterday",
        examples=["2024-03-28"],
    )
    tickers: list[RequestTicker] | None = Field(
        None,
        min_length=1,
        max_length=100_000,
        description="Only these tickers, as Polygon spells them (case-sensitive: BRK.B, KIMpL); "
        "default: the whole universe",
        examples=[["AAPL", "BRK.B"]],
    )
    max_tickers: int | None = Field(
        None,
        ge=0,
        description="Only the first N tickers of the universe, in ticker order",
        examples=[300],
    )
    batch_size: int = Field(
        100, ge=1, le=MAX_BATCH_SIZE, description="Tickers per batch", examples=[100]
    )
    adjusted: bool = Field(
        False,
        description="Must be false (or left out): raw keeps bars as traded, and the split- and "
        "dividend-adjusted series are built by dbt from them and the corporate actions",
    )
    plan: Plan = Field(Plan.AUTO, description="How to fetch; auto takes the fewest API requests")

    def span(self, today: date) -> tuple[date | None, date]:
        """(first date, None when incremental; last date) of this request made on `today` in
        New York; InvalidRunRequest says why it cannot be run (run_rules.py)."""
        return run_span(self.from_, self.to, today)

    @field_validator("adjusted")
    @classmethod
    def _as_traded(cls, v: bool) -> bool:
        # Polygon adjusts the whole history at query time, so stored adjusted bars go stale at
        # the next split; the adjusted series are derived in dbt instead (marts.fct_adjusted_bars).
        if v:
            raise ValueError(
                "adjusted must be false: raw keeps as-traded bars, and dbt builds the adjusted "
                "series (marts.fct_adjusted_bars)"
            )
        return v


CorporateActions = Literal["splits", "dividends"]


class FetchBatch(Envelope):
    """Fetch (command, on the ticker-batches topic) these tickers' daily bars by range; or, with
    `days`, the grouped daily bars of those days (of `tickers` only, when not empty); or, with
    `actions`, the splits or cash dividends of `tickers` (of the whole market when empty)."""

    batch_id: Id = Field(description="Deterministic within the run", examples=["b00007"])
    seq: int = Field(ge=0, description="Position of the batch in the run", examples=[7])
    total_batches: int = Field(ge=0, description="How many batches the run has", examples=[40])
    tickers: list[Ticker] = Field(description="Tickers, exactly as listed", examples=[["A", "AA"]])
    days: list[date] | None = Field(
        None,
        description="Grouped-daily batch: the trading days to fetch",
        examples=[["2024-07-01"]],
    )
    starts: dict[Ticker, date] | None = Field(
        None,
        description="Incremental: a ticker's own first date, when later than `from`",
        examples=[{"AAPL": "2024-07-01"}],
    )
    actions: CorporateActions | None = Field(
        None,
        description="Corporate-action batch: the kind of events to fetch, by their date",
        examples=["splits"],
    )
    from_: date = Field(alias="from", description="First date (inclusive)", examples=["2024-01-02"])
    to: date = Field(description="Last date (inclusive)", examples=["2024-12-31"])
    adjusted: bool = Field(False, description="Always false: bars are fetched as traded")
    tickers_held: bool = Field(
        False,
        description="The tickers and starts were too many for one message: they are left out "
        "here, and the fetcher reads them from the command the lister registered",
    )


class BatchLoaded(Envelope):
    """A batch's object is in the raw tables (event, on the batch-loaded topic)."""

    batch_id: Id = Field(description="The batch loaded", examples=["b00007"])
    object_key: str = Field(
        description="The object it came from", examples=["raw/polygon/r1/b00007.jsonl"]
    )
    bars_loaded: int = Field(ge=0, description="Bars in the object", examples=[25200])
    tickers_failed: int = Field(ge=0, description="Tickers the fetcher could not get", examples=[0])


class RunEventKind(StrEnum):
    LISTED = "listed"
    PROGRESS = "progress"
    TRANSFORMING = "transforming"
    FINISHED = "finished"


class RunEvent(Envelope):
    """Something happened to a run (event, on the run-events topic, for people; no service or
    the CLI consumes it: they read the control schema)."""

    kind: RunEventKind = Field(description="What happened", examples=["progress"])
    status: RunStatus = Field(description="The run's status after it", examples=["running"])
    total_batches: int | None = Field(None, description="Batches in the run", examples=[40])
    batches_loaded: int | None = Field(None, description="Batches loaded so far", examples=[12])
    tickers: int | None = Field(None, description="Tickers in the run", examples=[3000])
    tickers_failed: int | None = Field(None, description="Tickers that failed for good")
    bars_loaded: int | None = Field(None, description="Bars loaded by the run")
    plan: str | None = Field(None, description="How the run fetches", examples=["per_ticker"])
    detail: str | None = Field(None, description="Why, or what went wrong")
    dbt: dict[str, int] | None = Field(
        None, description="dbt outcome counts", examples=[{"models": 3, "tests_passed": 20}]
    )


class DataTestFailed(Envelope):
    """A dbt test of a run failed, errored or warned with a failure that is new since the
    previous build and not acknowledged (event, on the alerts topic): one per such test,
    published once the run's test results are stored. `message_id` is `<run_id>/<unique_id>`."""

    unique_id: str = Field(
        description="dbt's id of the test",
        examples=["test.stocks_elt.stg_polygon__stock_bars_daily_low_le_high"],
    )
    status: Literal["fail", "error", "warn"] = Field(
        description="fail: rows failed it; error: it could not run; warn: rows failed a warn test",
        examples=["fail"],
    )
    severity: Literal["error", "warn"] = Field(
        description="error: the run ends succeeded_with_errors; warn: its status is unaffected",
        examples=["error"],
    )
    failures: int | None = Field(
        None, ge=0, description="Rows that failed the test; null when it errored", examples=[3]
    )
    message: str | None = Field(
        None, description="dbt's message", examples=["Got 3 results, configured to fail if != 0"]
    )
    new_failures: int | None = Field(
        None,
        ge=0,
        description="Failures the previous build did not have: a test alerts only when some are"
        " new (and not acknowledged); null when they could not be told apart",
        examples=[1],
    )
    known_failures: int | None = Field(
        None, ge=0, description="Failures the previous build had too", examples=[2]
    )
    acknowledged_failures: int | None = Field(
        None,
        ge=0,
        description="Failures accepted as known exceptions (stocks-elt ack)",
        examples=[0],
    )


class SourceStale(Envelope):
    """A dbt source was staler than its freshness threshold when a run's build ended (event, on
    the alerts topic): one per stale source, published with the run's end. `message_id` is
    `<run_id>/freshness/<source>`."""

    source: str = Field(
        description="The dbt source and table", examples=["polygon.stock_bars_daily"]
    )
    status: Literal["warn", "error", "runtime error"] = Field(
        description="warn or error: older than warn_after or error_after; runtime error: the "
        "check could not run",
        examples=["error"],
    )
    max_loaded_at: datetime | None = Field(
        None, description="The newest loaded_at in the source", examples=["2024-03-28T22:41:07Z"]
    )
    age_s: float | None = Field(
        None, ge=0, description="Seconds from max_loaded_at to the check", examples=[691200.0]
    )
    message: str | None = Field(None, description="The criteria, or why the check failed")
