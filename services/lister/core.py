"""The lister's pure logic: resolving a request into a run, choosing tickers, cutting batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.clients.polygon import TickerRef
from shared.messages import RunRequest

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class KafkaCoordinates:
    """Where the request sat on Kafka: stable across redeliveries, unlike the clock."""

    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    start: date
    end: date
    adjusted: bool
    batch_size: int
    tickers: tuple[str, ...] | None
    max_tickers: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id, "from": self.start.isoformat(), "to": self.end.isoformat(),
            "adjusted": self.adjusted, "batch_size": self.batch_size,
            "tickers": list(self.tickers) if self.tickers is not None else None,
            "max_tickers": self.max_tickers,
        }


class InvalidRequest(ValueError):
    """A request that parsed but cannot be run (e.g. from after to)."""


def resolve_run(request: RunRequest, at: KafkaCoordinates, history_days: int) -> RunSpec:
    """Fill in the defaults. `today` is the request's own Kafka timestamp, so a redelivery
    tomorrow resolves to the same run."""
    sent = datetime.fromtimestamp(at.timestamp_ms / 1000, UTC)
    run_id = request.run_id or f"{sent:%Y%m%d-%H%M%S}-p{at.partition}o{at.offset}"
    end = request.to or (sent.astimezone(NEW_YORK).date() - timedelta(days=1))
    start = request.from_ or (end - timedelta(days=history_days))
    if start > end:
        raise InvalidRequest(f"from {start} is after to {end}")
    tickers = tuple(dict.fromkeys(request.tickers)) if request.tickers is not None else None
    return RunSpec(run_id, start, end, request.adjusted, request.batch_size, tickers,
                   request.max_tickers)


def select_tickers(listed: list[TickerRef], spec: RunSpec) -> list[str]:
    """The run's tickers, sorted and unique: the requested ones (listed or not: a delisted name
    is still worth asking for), or the listing, less names delisted before the range."""
    if spec.tickers is not None:
        chosen = list(spec.tickers)
    else:
        chosen = [r.ticker for r in listed if _alive_in_range(r, spec.start)]
    ordered = sorted(set(chosen))
    return ordered[: spec.max_tickers] if spec.max_tickers is not None else ordered


def _alive_in_range(ref: TickerRef, start: date) -> bool:
    if ref.active is not False:
        return True
    return ref.delisted_utc is not None and ref.delisted_utc.date() >= start


def plan_batches(tickers: list[str], batch_size: int) -> list[tuple[str, list[str]]]:
    """(batch_id, tickers) in order; ids are the batch's position, so re-planning is stable."""
    return [
        (batch_id(i // batch_size), tickers[i : i + batch_size])
        for i in range(0, len(tickers), batch_size)
    ]


def batch_id(seq: int) -> str:
    return f"b{seq:05d}"
