"""The lister's pure core: resolving a request into a run, choosing tickers, cutting batches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest

from services.lister.core import (
    InvalidRequest,
    KafkaCoordinates,
    RunSpec,
    plan_batches,
    resolve_run,
    select_tickers,
)
from shared.clients.polygon import TickerRef
from shared.messages import RunRequest

pytestmark = pytest.mark.unit

# 2024-03-11 03:30 UTC is 2024-03-10 23:30 in New York (EDT began that morning).
LATE_EVENING_NY = int(datetime(2024, 3, 11, 3, 30, tzinfo=UTC).timestamp() * 1000)
AT = KafkaCoordinates(partition=3, offset=41, timestamp_ms=LATE_EVENING_NY)


def request(**fields: Any) -> RunRequest:
    return RunRequest.model_validate(fields)


def spec(**overrides: Any) -> RunSpec:
    values: dict[str, Any] = dict(
        run_id="r1",
        start=date(2024, 1, 2),
        end=date(2024, 3, 28),
        adjusted=True,
        batch_size=2,
        tickers=None,
        max_tickers=None,
    )
    values.update(overrides)
    return RunSpec(**values)


def ref(ticker: str, active: bool | None = True, delisted: str | None = None) -> TickerRef:
    return TickerRef(
        ticker=ticker,
        name=ticker,
        market="stocks",
        locale="us",
        active=active,
        delisted_utc=datetime.fromisoformat(delisted) if delisted else None,
    )


class TestResolveRunDefaults:
    def test_an_empty_request_ends_yesterday_in_new_york_by_the_kafka_timestamp(self) -> None:
        """`to` defaults to the day before the message's own New York date, not the clock's."""
        resolved = resolve_run(request(), AT, history_days=365)

        assert date(2024, 3, 9) == resolved.end

    def test_the_range_goes_back_history_days_from_the_end(self) -> None:
        """`from` defaults to `history_days` before `to`."""
        resolved = resolve_run(request(to="2024-03-28"), AT, history_days=30)

        assert date(2024, 2, 27) == resolved.start

    def test_the_same_coordinates_resolve_to_the_same_run_whenever_redelivered(self) -> None:
        """Resolving twice (a redelivery, a day later by the clock) gives the same spec."""
        first = resolve_run(request(), AT, history_days=365)
        again = resolve_run(request(), AT, history_days=365)

        assert first == again

    def test_explicit_fields_are_kept(self) -> None:
        """A request's own dates, adjusted flag and sizes win over every default."""
        resolved = resolve_run(
            request(
                run_id="demo",
                **{"from": "2024-01-02"},
                to="2024-01-05",
                adjusted=False,
                batch_size=7,
                max_tickers=3,
            ),
            AT,
            history_days=365,
        )

        assert (
            spec(run_id="demo", end=date(2024, 1, 5), adjusted=False, batch_size=7, max_tickers=3)
            == resolved
        )


class TestRunId:
    def test_a_missing_run_id_derives_from_timestamp_partition_and_offset(self) -> None:
        """The id is the message's UTC send time plus its partition and offset."""
        resolved = resolve_run(request(), AT, history_days=365)

        assert "20240311-033000-p3o41" == resolved.run_id

    def test_another_offset_is_another_run(self) -> None:
        """Two requests sent in the same second are two runs."""
        other = KafkaCoordinates(partition=3, offset=42, timestamp_ms=LATE_EVENING_NY)

        ids = {resolve_run(request(), at, 365).run_id for at in (AT, other)}

        assert 2 == len(ids)

    def test_a_given_run_id_is_used_as_is(self) -> None:
        """An explicit run id is never replaced."""
        assert "demo-2024q1" == resolve_run(request(run_id="demo-2024q1"), AT, 365).run_id


class TestInvalidRange:
    def test_from_after_to_is_rejected(self) -> None:
        """A request whose from is after its to cannot be run."""
        with pytest.raises(InvalidRequest, match="after"):
            resolve_run(request(**{"from": "2024-02-01"}, to="2024-01-31"), AT, 365)

    def test_a_one_day_range_is_fine(self) -> None:
        """from == to is a valid range of one day."""
        resolved = resolve_run(request(**{"from": "2024-02-01"}, to="2024-02-01"), AT, 365)

        assert (date(2024, 2, 1), date(2024, 2, 1)) == (resolved.start, resolved.end)

    def test_requested_tickers_lose_duplicates_and_keep_their_case(self) -> None:
        """Tickers are case-sensitive: `KIMpL` and `KIMPL` are two names; repeats go."""
        resolved = resolve_run(request(tickers=["KIMpL", "AAPL", "KIMpL", "KIMPL"]), AT, 365)

        assert ("KIMpL", "AAPL", "KIMPL") == resolved.tickers


class TestSelectTickers:
    LISTED: ClassVar[list[TickerRef]] = [
        ref("MSFT"),
        ref("AAPL"),
        ref("BRK.A"),
        ref("GONE", active=False, delisted="2023-12-29T00:00:00+00:00"),
        ref("LATE", active=False, delisted="2024-02-15T00:00:00+00:00"),
        ref("EDGE", active=False, delisted="2024-01-02T00:00:00+00:00"),
        ref("NODATE", active=False),
    ]

    def test_the_listing_is_sorted_and_drops_names_delisted_before_the_range(self) -> None:
        """Delisted inside the range stays (no survivorship bias); before it goes."""
        assert ["AAPL", "BRK.A", "EDGE", "LATE", "MSFT"] == select_tickers(self.LISTED, spec())

    def test_max_tickers_takes_the_first_in_ticker_order(self) -> None:
        """max_tickers cuts the sorted list."""
        assert ["AAPL", "BRK.A"] == select_tickers(self.LISTED, spec(max_tickers=2))

    def test_max_tickers_zero_selects_nothing(self) -> None:
        """max_tickers=0 is a run with no tickers."""
        assert [] == select_tickers(self.LISTED, spec(max_tickers=0))

    def test_requested_tickers_are_taken_even_when_not_listed(self) -> None:
        """A requested name the listing lacks (delisted long ago) is still fetched."""
        chosen = select_tickers(self.LISTED, spec(tickers=("MSFT", "GONE", "NOTLISTED")))

        assert ["GONE", "MSFT", "NOTLISTED"] == chosen

    def test_max_tickers_applies_to_the_requested_subset(self) -> None:
        """max_tickers also cuts a requested subset, in ticker order."""
        assert ["A", "B"] == select_tickers([], spec(tickers=("C", "B", "A"), max_tickers=2))

    def test_duplicates_in_the_listing_appear_once(self) -> None:
        """A name listed both active and delisted is one ticker."""
        listed = [ref("X"), ref("X", active=False, delisted="2024-02-01T00:00:00+00:00")]

        assert ["X"] == select_tickers(listed, spec())


class TestPlanBatches:
    def test_batches_have_the_size_and_the_last_holds_the_rest(self) -> None:
        """Five tickers in batches of two: 2, 2, 1, in order."""
        batches = plan_batches(["A", "B", "C", "D", "E"], 2)

        assert [("b00000", ["A", "B"]), ("b00001", ["C", "D"]), ("b00002", ["E"])] == batches

    def test_ids_are_stable_across_replanning(self) -> None:
        """Planning the same tickers again gives the same ids (the batch's position)."""
        tickers = [f"T{i:03d}" for i in range(250)]

        assert plan_batches(tickers, 100) == plan_batches(list(tickers), 100)

    def test_no_tickers_no_batches(self) -> None:
        """An empty selection plans no fetch batch."""
        assert [] == plan_batches([], 100)

    def test_every_ticker_lands_in_exactly_one_batch(self) -> None:
        """Batches partition the tickers, none larger than the size."""
        tickers = [f"T{i:04d}" for i in range(1001)]

        batches = plan_batches(tickers, 100)

        assert (tickers, 11, 100) == (
            [t for _, ts in batches for t in ts],
            len(batches),
            max(len(ts) for _, ts in batches),
        )
