"""Inputs the fuzz tier found that production code once mishandled, kept as regression tests:
each costs only its own line or entry (or loads), never the batch, and is never retried as if
it were transient."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from shared.messages import topics
from shared.messages.raw_objects import ObjectHeader, encode_object
from tests.fakes.storage import FakeObjectStore

from .loader_rig import loader_rig, notification
from .rig import Db, Delivery, Rig, dead_letter_reason

pytestmark = pytest.mark.fuzz
Loader = tuple[Rig, FakeObjectStore]
T0 = 1112331600000  # 2005-04-01, midnight in New York
BAR = {"t": T0, "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 100.0}
# About 8 kB that Postgres cannot compress below a b-tree entry's limit (2704 bytes).
HUGE_TICKER = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(125))


@pytest.fixture(scope="module")
async def loader(db: Db) -> AsyncIterator[Loader]:
    async with loader_rig(db) as rig:
        yield rig


def _head(kind: str, batch_id: str, **fields: Any) -> ObjectHeader:
    source = {"daily_bars": "aggs_range", "tickers": "reference_tickers"}.get(kind)
    return ObjectHeader.model_validate(
        {"kind": kind, "run_id": "fz-run", "batch_id": batch_id, "items": 0}
        | {"source": source or f"reference_{kind}"}
        | fields
    )


async def _load(loader: Loader, head: ObjectHeader, items: list[dict[str, Any]]) -> Delivery:
    rig, store = loader
    key = f"raw/polygon/fz-run/{head.batch_id}.jsonl"
    store.objects[key] = encode_object(head, items)
    return await rig.deliver(json.dumps(notification(key)).encode())


def _processed(d: Delivery) -> bool:
    """Not dead-lettered (which also fails on a permanent failure retried as transient), and
    the batch announced as loaded."""
    return dead_letter_reason(d) is None and 1 == len(d.published[topics.BATCH_LOADED])


class TestFoundByFuzzing:
    async def test_a_corporate_action_header_naming_a_ticker_twice_loads(
        self, loader: Loader
    ) -> None:
        """A splits object whose header names AAPL twice (a FetchBatch may list a ticker twice)
        is loaded, its watermark moved once."""
        head = _head("splits", "fz-dup", tickers=["AAPL", "AAPL"])
        head = head.model_copy(update={"from_": date(2024, 1, 2), "to": date(2024, 1, 31)})

        d = await _load(loader, head, [])

        assert _processed(d)

    async def test_a_listing_entry_with_a_huge_ticker_costs_only_that_entry(
        self, loader: Loader
    ) -> None:
        """A listing whose one entry has an 8 kB ticker is loaded without that entry."""
        items = [{"ticker": HUGE_TICKER, "name": "x"}, {"ticker": "MSFT", "name": "Microsoft"}]

        d = await _load(loader, _head("tickers", "fz-huge-listing"), items)

        assert _processed(d)

    async def test_a_bar_line_with_a_huge_ticker_costs_only_that_ticker(
        self, loader: Loader
    ) -> None:
        """A bars object whose one line has an 8 kB ticker loads the other lines."""
        items = [{"ticker": HUGE_TICKER, "bars": [BAR]}, {"ticker": "AAPL", "bars": [BAR]}]

        d = await _load(loader, _head("daily_bars", "fz-huge-bars"), items)

        assert _processed(d)

    async def test_a_listing_entry_of_wrong_types_costs_only_that_entry(
        self, loader: Loader
    ) -> None:
        """A listing with one entry whose name is a number and active a string is loaded
        without that entry (DESIGN §3: a bad item costs itself, its batch still counts)."""
        items: list[dict[str, Any]] = [
            {"ticker": "ODD", "name": 7, "active": "yes"},
            {"ticker": "MSFT", "name": "M"},
        ]

        d = await _load(loader, _head("tickers", "fz-odd-listing"), items)

        assert _processed(d)

    async def test_a_bar_line_whose_ticker_has_a_nul_costs_only_that_ticker(
        self, loader: Loader
    ) -> None:
        """A bars object whose one line's ticker holds a NUL loads the other lines, the bad
        one recorded as a ticker error."""
        items = [{"ticker": "A\x00", "bars": [BAR]}, {"ticker": "AAPL", "bars": [BAR]}]

        d = await _load(loader, _head("daily_bars", "fz-nul-bars"), items)

        assert _processed(d)

    async def test_a_grouped_error_line_without_a_date_costs_only_that_line(
        self, loader: Loader
    ) -> None:
        """A grouped-daily object with a `*grouped 2024-13-45` error line loads its bars."""
        items: list[dict[str, Any]] = [
            {"ticker": "*grouped 2024-13-45", "error": {"kind": "gave_up", "reason": "503"}},
            {"ticker": "AAPL", "bars": [BAR]},
        ]

        d = await _load(loader, _head("daily_bars", "fz-grouped", source="grouped_daily"), items)

        assert _processed(d)
