"""The lister's pure logic: resolving a request into a run, choosing tickers, cutting batches."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.clients.polygon import TickerRef
from shared.db.control import batch_count
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch, Plan, RunRequest
from shared.messages.ids import ID_PATTERN
from shared.messages.run_rules import market_date

# A published batch stays under this: a quarter of Kafka's 1 MiB default message limit.
INLINE_BYTES_MAX = 256 * 1024


@dataclass(frozen=True)
class KafkaCoordinates:
    """Where the request sat on Kafka: stable across redeliveries, unlike the clock."""

    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    start: date | None  # None: incremental, each ticker from the day after its last bar
    end: date
    batch_size: int
    tickers: tuple[str, ...] | None
    max_tickers: int | None
    plan: Plan = Plan.AUTO

    @property
    def incremental(self) -> bool:
        return self.start is None

    def as_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat(),
            "batch_size": self.batch_size,
            "tickers": list(self.tickers) if self.tickers is not None else None,
            "max_tickers": self.max_tickers,
            "plan": self.plan.value,
        }


def run_id_for(run_id: str | None, at: KafkaCoordinates) -> str:
    """The request's own run id, or one named after where it sat on Kafka: a redelivery of the
    same message resolves to the same run."""
    sent = datetime.fromtimestamp(at.timestamp_ms / 1000, UTC)
    return run_id or f"{sent:%Y%m%d-%H%M%S}-p{at.partition}o{at.offset}"


def rejected_request(body: bytes, at: KafkaCoordinates) -> tuple[str, dict[str, Any]]:
    """(run id, request as JSON) of a request that did not parse: its own run id when it has
    a well-formed one, and its body as an object (or, when it is not one, as text)."""
    try:
        # NaN and Infinity stay text: Postgres' jsonb has no such numbers.
        parsed = json.loads(body, parse_constant=str)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return run_id_for(None, at), {"body": body[:2000].decode(errors="replace")}
    own = parsed.get("run_id")
    well_formed = isinstance(own, str) and re.fullmatch(ID_PATTERN, own) is not None
    return run_id_for(own if well_formed else None, at), parsed


def resolve_run(request: RunRequest, at: KafkaCoordinates) -> RunSpec:
    """Fill in the defaults. `today` is the request's own Kafka timestamp, so a redelivery
    tomorrow resolves to the same run. InvalidRunRequest when it cannot be run, by the rules
    the CLI checks too."""
    sent = datetime.fromtimestamp(at.timestamp_ms / 1000, UTC)
    start, end = request.span(market_date(sent))
    tickers = tuple(dict.fromkeys(request.tickers)) if request.tickers is not None else None
    return RunSpec(
        run_id_for(request.run_id, at),
        start,
        end,
        request.batch_size,
        tickers,
        request.max_tickers,
        request.plan,
    )


def ticker_starts(
    tickers: list[str], spec: RunSpec, watermarks: dict[str, date], history_start: date
) -> dict[str, date]:
    """Each ticker's first date: the run's `from`, or (incremental) the day after its last
    loaded bar, or `history_start` for a ticker never loaded."""
    if spec.start is not None:
        return dict.fromkeys(tickers, spec.start)
    return {
        t: watermarks[t] + timedelta(days=1) if t in watermarks else history_start for t in tickers
    }


def select_tickers(listed: list[TickerRef], spec: RunSpec, earliest: date) -> list[str]:
    """The run's tickers, sorted and unique: the requested ones (listed or not: a delisted name
    is still worth asking for), or the listing, less names delisted before `earliest`."""
    if spec.tickers is not None:
        chosen = list(spec.tickers)
    else:
        chosen = [r.ticker for r in listed if _alive_in_range(r, earliest)]
    ordered = sorted(set(chosen))
    return ordered[: spec.max_tickers] if spec.max_tickers is not None else ordered


def drop_delisted_before_start(starts: dict[str, date], listed: list[TickerRef]) -> dict[str, date]:
    """Incremental: a ticker delisted before its own first date has nothing left to fetch."""
    gone = {
        r.ticker: r.delisted_utc.date()
        for r in listed
        if r.active is False and r.delisted_utc is not None
    }
    return {t: s for t, s in starts.items() if t not in gone or gone[t] >= s}


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


def day_batches(days: list[date], days_per_batch: int) -> list[tuple[str, list[date]]]:
    """Grouped-daily batches: (batch_id, days), ids `g` + position."""
    return [
        (f"g{i // days_per_batch:05d}", days[i : i + days_per_batch])
        for i in range(0, len(days), days_per_batch)
    ]


def fetch_commands(
    spec: RunSpec,
    plan: FetchPlan,
    starts: dict[str, date],
    days_per_batch: int,
    other_batches: int = 0,
) -> list[FetchBatch]:
    """The run's bar batches: ranges of `batch_size` tickers, then grouped days. The run's total
    also counts `other_batches` (its corporate-action batches) and the tickers listing."""
    ranges = plan_batches(plan.ranges, spec.batch_size)
    days = day_batches(plan.days, days_per_batch)
    total = batch_count(len(ranges) + len(days) + other_batches)
    out = []
    for seq, (bid, tickers) in enumerate(ranges):
        first = min(starts[t] for t in tickers)
        own = {t: starts[t] for t in tickers if starts[t] != first}
        out.append(_command(spec, bid, seq, total, tickers, first, spec.end, own or None, None))
    only = set(plan.grouped_tickers)
    # Whole-market days also carry the range tickers' bars; leave those to the ranges, so a
    # failed range cannot be papered over by grouped rows moving its watermark.
    after_end = spec.end + timedelta(days=1)
    skip = dict.fromkeys(plan.ranges, after_end) if not only else {}
    for seq, (bid, chunk) in enumerate(days, start=len(ranges)):
        own = {t: s for t, s in starts.items() if s > chunk[0] and (not only or t in only)}
        own.update(skip)
        out.append(
            _command(
                spec, bid, seq, total, plan.grouped_tickers, chunk[0], chunk[-1], own or None, chunk
            )
        )
    return out


def _command(
    spec: RunSpec,
    bid: str,
    seq: int,
    total: int,
    tickers: list[str],
    start: date,
    end: date,
    starts: dict[str, date] | None,
    days: list[date] | None,
) -> FetchBatch:
    return FetchBatch(
        run_id=spec.run_id,
        message_id=f"{spec.run_id}/{bid}/fetch",
        batch_id=bid,
        seq=seq,
        total_batches=total,
        tickers=tickers,
        from_=start,
        to=end,
        starts=starts,
        days=days,
    )


def as_published(command: FetchBatch) -> FetchBatch:
    """The command as it goes on Kafka: itself, or, when its ticker filter (tickers and their
    own starts, ~16 bytes a ticker) would take it over INLINE_BYTES_MAX, the command without
    the filter, marked `tickers_held`: the fetcher reads the filter from the command the lister
    registered in control.batches before publishing it. So no message nears the broker's limit,
    whatever the universe's size, and a held message has a fixed size (ids, dates, <= 60 days).

    Why not split such a batch into several messages: a grouped-daily request answers the whole
    market for one day, so parts split by ticker would each ask for the same days again (API
    requests times the parts), and parts split by day would each still carry the whole filter.
    A whole-market corporate-action read is one paged query, the same. Holding the filter keeps
    one request a day and one message a batch, for one indexed read in the fetcher."""
    if len(command.model_dump_json(by_alias=True).encode()) <= INLINE_BYTES_MAX:
        return command
    return command.model_copy(update={"tickers": [], "starts": None, "tickers_held": True})
