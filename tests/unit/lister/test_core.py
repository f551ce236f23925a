"""The lister's pure core: resolving a request into a run, choosing tickers, each ticker's first
date, cutting batches and turning a fetch plan into commands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest

from services.fetcher.core import grouped_outcomes
from services.lister.core import (
    KafkaCoordinates,
    RunSpec,
    day_batches,
    fetch_commands,
    plan_batches,
    rejected_request,
    resolve_run,
    select_tickers,
    ticker_starts,
)
from shared.clients.polygon import DailyBar, TickerRef
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch, Plan, RunRequest
from shared.messages.run_rules import InvalidRunRequest

pytestmark = pytest.mark.unit

# 2024-03-11 03:30 UTC is 2024-03-10 23:30 in New York (EDT began that morning).
LATE_EVENING_NY = int(datetime(2024, 3, 11, 3, 30, tzinfo=UTC).timestamp() * 1000)
AT = KafkaCoordinates(partition=3, offset=41, timestamp_ms=LATE_EVENING_NY)
JAN_2 = date(2024, 1, 2)
HISTORY_START = date(2015, 1, 2)


def request(**fields: Any) -> RunRequest:
    return RunRequest.model_validate(fields)


def spec(**overrides: Any) -> RunSpec:
    values: dict[str, Any] = dict(
        run_id="r1",
        start=date(2024, 1, 2),
        end=date(2024, 3, 28),
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
        resolved = resolve_run(request(), AT)

        assert date(2024, 3, 9) == resolved.end

    def test_a_request_without_from_is_incremental(self) -> None:
        """No `from`: no run-wide start, each ticker starts after its own last loaded bar."""
        resolved = resolve_run(request(to="2024-03-08"), AT)

        assert (None, True) == (resolved.start, resolved.incremental)

    def test_a_request_with_from_is_not_incremental(self) -> None:
        """An explicit `from` is the run's start for every ticker."""
        resolved = resolve_run(request(**{"from": "2024-01-02"}, to="2024-03-08"), AT)

        assert (date(2024, 1, 2), False) == (resolved.start, resolved.incremental)

    def test_the_plan_defaults_to_auto(self) -> None:
        """Without `plan` the run takes the fewest API requests."""
        assert Plan.AUTO == resolve_run(request(), AT).plan

    def test_the_spec_records_from_as_null_when_incremental(self) -> None:
        """The stored request says `from: null` for an incremental run, and its plan."""
        as_json = resolve_run(request(run_id="inc", to="2024-03-08"), AT).as_json()

        assert (None, "2024-03-08", "auto") == (as_json["from"], as_json["to"], as_json["plan"])

    def test_the_same_coordinates_resolve_to_the_same_run_whenever_redelivered(self) -> None:
        """Resolving twice (a redelivery, a day later by the clock) gives the same spec."""
        first = resolve_run(request(), AT)
        again = resolve_run(request(), AT)

        assert first == again

    def test_explicit_fields_are_kept(self) -> None:
        """A request's own dates, sizes and plan win over every default."""
        resolved = resolve_run(
            request(
                run_id="demo",
                **{"from": "2024-01-02"},
                to="2024-01-05",
                batch_size=7,
                max_tickers=3,
                plan="grouped_daily",
            ),
            AT,
        )

        assert (
            spec(
                run_id="demo",
                end=date(2024, 1, 5),
                batch_size=7,
                max_tickers=3,
                plan=Plan.GROUPED_DAILY,
            )
            == resolved
        )


class TestRunId:
    def test_a_missing_run_id_derives_from_timestamp_partition_and_offset(self) -> None:
        """The id is the message's UTC send time plus its partition and offset."""
        resolved = resolve_run(request(), AT)

        assert "20240311-033000-p3o41" == resolved.run_id

    def test_another_offset_is_another_run(self) -> None:
        """Two requests sent in the same second are two runs."""
        other = KafkaCoordinates(partition=3, offset=42, timestamp_ms=LATE_EVENING_NY)

        ids = {resolve_run(request(), at).run_id for at in (AT, other)}

        assert 2 == len(ids)

    def test_a_given_run_id_is_used_as_is(self) -> None:
        """An explicit run id is never replaced."""
        assert "demo-2024q1" == resolve_run(request(run_id="demo-2024q1"), AT).run_id


class TestInvalidRange:
    def test_from_after_to_is_rejected(self) -> None:
        """A request whose from is after its to cannot be run."""
        with pytest.raises(InvalidRunRequest, match="after"):
            resolve_run(request(**{"from": "2024-02-01"}, to="2024-01-31"), AT)

    def test_a_one_day_range_is_fine(self) -> None:
        """from == to is a valid range of one day."""
        resolved = resolve_run(request(**{"from": "2024-02-01"}, to="2024-02-01"), AT)

        assert (date(2024, 2, 1), date(2024, 2, 1)) == (resolved.start, resolved.end)

    def test_requested_tickers_lose_duplicates_and_keep_their_case(self) -> None:
        """Tickers are case-sensitive: `KIMpL` and `KIMPL` are two names; repeats go."""
        resolved = resolve_run(request(tickers=["KIMpL", "AAPL", "KIMpL", "KIMPL"]), AT)

        assert ("KIMpL", "AAPL", "KIMPL") == resolved.tickers

    def test_an_incremental_request_is_never_rejected_for_its_range(self) -> None:
        """Without `from` there is no range to check: `to` alone is fine, even long ago."""
        resolved = resolve_run(request(to="2001-01-02"), AT)

        assert (None, date(2001, 1, 2)) == (resolved.start, resolved.end)


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
        chosen = select_tickers(self.LISTED, spec(), date(2024, 1, 2))

        assert ["AAPL", "BRK.A", "EDGE", "LATE", "MSFT"] == chosen

    def test_an_earlier_earliest_keeps_names_delisted_since(self) -> None:
        """Incremental runs pass the history start: names delisted after it are kept."""
        chosen = select_tickers(self.LISTED, spec(start=None), date(2023, 1, 3))

        assert ["AAPL", "BRK.A", "EDGE", "GONE", "LATE", "MSFT"] == chosen

    def test_a_later_earliest_drops_names_delisted_before_it(self) -> None:
        """`earliest`, not the spec's start, decides who is still alive."""
        chosen = select_tickers(self.LISTED, spec(), date(2024, 2, 1))

        assert ["AAPL", "BRK.A", "LATE", "MSFT"] == chosen

    def test_max_tickers_takes_the_first_in_ticker_order(self) -> None:
        """max_tickers cuts the sorted list."""
        assert ["AAPL", "BRK.A"] == select_tickers(self.LISTED, spec(max_tickers=2), JAN_2)

    def test_max_tickers_zero_selects_nothing(self) -> None:
        """max_tickers=0 is a run with no tickers."""
        assert [] == select_tickers(self.LISTED, spec(max_tickers=0), JAN_2)

    def test_requested_tickers_are_taken_even_when_not_listed(self) -> None:
        """A requested name the listing lacks (delisted long ago) is still fetched."""
        chosen = select_tickers(self.LISTED, spec(tickers=("MSFT", "GONE", "NOTLISTED")), JAN_2)

        assert ["GONE", "MSFT", "NOTLISTED"] == chosen

    def test_max_tickers_applies_to_the_requested_subset(self) -> None:
        """max_tickers also cuts a requested subset, in ticker order."""
        assert ["A", "B"] == select_tickers([], spec(tickers=("C", "B", "A"), max_tickers=2), JAN_2)

    def test_duplicates_in_the_listing_appear_once(self) -> None:
        """A name listed both active and delisted is one ticker."""
        listed = [ref("X"), ref("X", active=False, delisted="2024-02-01T00:00:00+00:00")]

        assert ["X"] == select_tickers(listed, spec(), JAN_2)


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


class TestTickerStarts:
    def test_an_explicit_from_starts_every_ticker_there(self) -> None:
        """A run with `from` ignores the watermarks: every ticker from the run's start."""
        starts = ticker_starts(["AAPL", "NEWCO"], spec(), {"AAPL": date(2024, 3, 1)}, HISTORY_START)

        assert {"AAPL": JAN_2, "NEWCO": JAN_2} == starts

    def test_an_incremental_run_starts_the_day_after_the_last_loaded_bar(self) -> None:
        """Incremental: a loaded ticker starts the calendar day after its watermark."""
        starts = ticker_starts(
            ["AAPL", "MSFT"],
            spec(start=None),
            {"AAPL": date(2024, 2, 29), "MSFT": date(2024, 3, 8)},
            HISTORY_START,
        )

        assert {"AAPL": date(2024, 3, 1), "MSFT": date(2024, 3, 9)} == starts

    def test_a_ticker_never_loaded_starts_at_the_history_start(self) -> None:
        """Incremental: a name with no watermark yet gets its whole history."""
        starts = ticker_starts(
            ["AAPL", "NEWCO"], spec(start=None), {"AAPL": date(2024, 2, 29)}, HISTORY_START
        )

        assert {"AAPL": date(2024, 3, 1), "NEWCO": HISTORY_START} == starts

    def test_watermarks_of_tickers_not_in_the_run_are_ignored(self) -> None:
        """Only the run's tickers get a start, whatever else has a watermark."""
        starts = ticker_starts(["AAPL"], spec(start=None), {"OTHER": JAN_2}, HISTORY_START)

        assert {"AAPL": HISTORY_START} == starts


def shape(c: FetchBatch) -> tuple[Any, ...]:
    """A command without its envelope's clock: what a fetcher acts on."""
    return (
        c.message_id,
        c.batch_id,
        c.seq,
        c.total_batches,
        c.tickers,
        c.from_,
        c.to,
        c.starts,
        c.days,
        c.adjusted,
    )


JUL = [date(2024, 7, d) for d in (1, 2, 3, 5, 8, 9, 10)]  # NYSE sessions (the 4th is a holiday)


class TestDayBatches:
    def test_days_are_cut_into_chunks_named_by_position(self) -> None:
        """Seven days, five per batch: g00000 with five, g00001 with the last two."""
        assert [("g00000", JUL[:5]), ("g00001", JUL[5:])] == day_batches(JUL, 5)

    def test_no_days_no_batches(self) -> None:
        """A plan without grouped days has no grouped batch."""
        assert [] == day_batches([], 5)


class TestFetchCommandsRanges:
    def test_range_batches_carry_only_the_starts_that_differ_from_their_from(self) -> None:
        """A batch's `from` is its earliest start; `starts` names only tickers starting later,
        and is None when every ticker starts the same day."""
        starts = {"A": JAN_2, "B": date(2024, 3, 1), "C": JAN_2}
        plan = FetchPlan("per_ticker", ["A", "B", "C"], [], [], "3 range requests")

        commands = fetch_commands(spec(start=None), plan, starts, days_per_batch=5)

        end = date(2024, 3, 28)
        assert [
            ("r1/b00000/fetch", "b00000", 0, 3, ["A", "B"], JAN_2, end,
             {"B": date(2024, 3, 1)}, None, False),
            ("r1/b00001/fetch", "b00001", 1, 3, ["C"], JAN_2, end, None, None, False),
        ] == [shape(c) for c in commands]  # fmt: skip

    def test_a_batch_whose_tickers_all_start_late_starts_there(self) -> None:
        """`from` is the batch's own earliest start, not the run's."""
        starts = {"A": date(2024, 3, 1), "B": date(2024, 3, 4)}
        plan = FetchPlan("per_ticker", ["A", "B"], [], [], "2 range requests")

        [command] = fetch_commands(spec(start=None), plan, starts, days_per_batch=5)

        assert (date(2024, 3, 1), {"B": date(2024, 3, 4)}) == (command.from_, command.starts)


class TestFetchCommandsGrouped:
    def test_the_whole_market_is_fetched_in_chunks_of_days_without_a_ticker_filter(self) -> None:
        """Grouped batches g00000.. hold `days_per_batch` days each, from the first to the last
        day of the chunk, with no tickers (the whole market); the total counts the listing."""
        starts = dict.fromkeys(["A", "B"], JUL[0])
        plan = FetchPlan("grouped_daily", [], JUL, [], "7 grouped-daily requests")

        commands = fetch_commands(spec(start=None, end=JUL[-1]), plan, starts, days_per_batch=5)

        assert [
            ("r1/g00000/fetch", "g00000", 0, 3, [], JUL[0], JUL[4], None, JUL[:5], False),
            ("r1/g00001/fetch", "g00001", 1, 3, [], JUL[5], JUL[6], None, JUL[5:], False),
        ] == [shape(c) for c in commands]

    def test_a_ticker_starting_inside_a_chunk_carries_its_own_start(self) -> None:
        """A ticker whose start is after the chunk's first day is named in `starts`, so the
        fetcher drops its earlier bars; a chunk wholly after that start does not name it."""
        starts = {"A": JUL[0], "B": JUL[2]}
        plan = FetchPlan("grouped_daily", [], JUL, [], "7 grouped-daily requests")

        commands = fetch_commands(spec(start=None, end=JUL[-1]), plan, starts, days_per_batch=5)

        assert [{"B": JUL[2]}, None] == [c.starts for c in commands]

    def test_requested_tickers_filter_the_grouped_days(self) -> None:
        """Not the whole market: the grouped batch names the tickers it is for."""
        starts = dict.fromkeys(["A", "B"], JUL[0])
        plan = FetchPlan("grouped_daily", [], JUL[:3], ["A", "B"], "3 grouped-daily requests")

        [command] = fetch_commands(spec(start=None, end=JUL[2]), plan, starts, days_per_batch=5)

        assert (["A", "B"], JUL[:3]) == (command.tickers, command.days)

    def test_a_filtered_grouped_batch_names_only_its_own_tickers_starts(self) -> None:
        """With a ticker filter, a late start of a ticker fetched by range is not repeated."""
        starts = {"A": JUL[1], "OLD": date(2024, 1, 2)}
        plan = FetchPlan("mixed", ["OLD"], JUL, ["A"], "mixed")

        commands = fetch_commands(spec(start=None, end=JUL[-1]), plan, starts, days_per_batch=7)

        assert [None, {"A": JUL[1]}] == [c.starts for c in commands]


class TestFetchCommandsMixed:
    def test_ranges_come_first_then_grouped_days_and_the_total_counts_both(self) -> None:
        """A mixed plan: range batches b..., then grouped batches g... with seq continuing;
        total = range batches + grouped batches + the tickers listing."""
        old = date(2024, 1, 2)
        starts = {"A": JUL[0], "B": JUL[0], "OLD": old}
        plan = FetchPlan("mixed", ["OLD"], JUL[:4], [], "4 grouped-daily + 1 range requests")

        commands = fetch_commands(spec(start=None, end=JUL[3]), plan, starts, days_per_batch=2)
        # The range ticker's bars are left out of the whole-market days.
        skip_old = {"OLD": JUL[3] + timedelta(days=1)}

        assert [
            ("r1/b00000/fetch", "b00000", 0, 4, ["OLD"], old, JUL[3], None, None, False),
            ("r1/g00000/fetch", "g00000", 1, 4, [], JUL[0], JUL[1], skip_old, JUL[:2], False),
            ("r1/g00001/fetch", "g00001", 2, 4, [], JUL[2], JUL[3], skip_old, JUL[2:4], False),
        ] == [shape(c) for c in commands]

    def test_an_up_to_date_plan_has_no_commands(self) -> None:
        """Nothing to fetch: no fetch batch (the run is the listing alone)."""
        plan = FetchPlan("up_to_date", [], [], [], "every ticker is up to date")
        starts = {"A": JUL[0] + timedelta(days=30)}

        assert [] == fetch_commands(spec(start=None, end=JUL[0]), plan, starts, days_per_batch=5)


class TestMixedPlanLeavesNoHoleBehindTheWatermark:
    def test_a_range_ticker_gets_no_bars_from_the_grouped_days(self) -> None:
        """NEWCO's history comes from its range batch alone: the grouped days of a mixed
        whole-market plan write none of its bars, so its watermark moves only with its range."""
        starts = {"A": JUL[0], "NEWCO": date(2024, 1, 2)}
        plan = FetchPlan("mixed", ["NEWCO"], JUL[:4], [], "4 grouped-daily + 1 range requests")
        [_, grouped] = fetch_commands(spec(start=None, end=JUL[3]), plan, starts, days_per_batch=5)
        market = [
            (d, [DailyBar(ticker=t, trading_date=d, open=1, high=1, low=1, close=1, volume=1,
                          t_ms=0, adjusted=True) for t in ("A", "NEWCO")])
            for d in JUL[:4]
        ]  # fmt: skip

        lines = grouped_outcomes(grouped, market)  # type: ignore[arg-type]

        assert ["A"] == [x.ticker for x in lines]


class TestRejectedRequest:
    AT = KafkaCoordinates(3, 17, 1_700_000_000_000)

    def test_its_own_run_id_when_well_formed_else_one_from_where_it_sat(self) -> None:
        own = rejected_request(b'{"run_id": "mine", "from": "x"}', self.AT)
        bad = rejected_request(b'{"run_id": ".."}', self.AT)

        assert ("mine", "20231114-221320-p3o17") == (own[0], bad[0])

    def test_a_body_that_is_no_json_object_is_kept_as_text(self) -> None:
        assert {"body": "[1, 2"} == rejected_request(b"[1, 2", self.AT)[1]

    def test_nan_and_infinity_stay_text_for_jsonb(self) -> None:
        """Python's json reads them as floats, which Postgres' jsonb refuses to store."""
        _, request = rejected_request(b'{"max_tickers": Infinity, "batch_size": NaN}', self.AT)

        assert {"max_tickers": "Infinity", "batch_size": "NaN"} == request
