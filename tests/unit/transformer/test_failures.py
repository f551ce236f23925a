"""New against known (failures.py): a test's failing rows fingerprinted by what failed, then
classified new, known (in the previous build) or acknowledged (accepted, with who and why)."""

from __future__ import annotations

import pytest

from services.transformer.failures import (
    ANY_KEY,
    Failure,
    FailureCounts,
    FailureState,
    classify,
    counts,
    failures_of,
    short_name,
)

pytestmark = pytest.mark.unit

GAPS = "int_stock_bars_adjusted_no_missing_trading_days"
MAX_DAYS = "int_stock_bars_adjusted_max_days_between_bars"


def gap_row(ticker: str, last: str, missing: int) -> dict[str, object]:
    """A failing row of no_missing_trading_days, one per ticker."""
    return {
        "ticker": ticker,
        "first_bar_date": "2024-01-02",
        "last_bar_date": last,
        "trading_days_missing": missing,
    }


class TestShortName:
    @pytest.mark.parametrize(
        ("unique_id", "name"),
        [
            (f"test.stocks_elt.{GAPS}.67847670b4", GAPS),
            ("unit_test.stocks_elt.fct_moving_averages.test_x", "fct_moving_averages.test_x"),
            ("odd", "odd"),
        ],
    )
    def test_the_hash_and_project_are_left_out(self, unique_id: str, name: str) -> None:
        """The name outlives a change of the test's config (which changes its hash)."""
        assert name == short_name(unique_id)


class TestFingerprints:
    def test_a_ticker_whose_gap_grows_is_the_same_failure(self) -> None:
        """Identity columns only: the ticker's last bar and missing count may move on."""
        [before] = failures_of(GAPS, "warn", [gap_row("ILLQ", "2024-03-01", 3)])
        [after] = failures_of(GAPS, "warn", [gap_row("ILLQ", "2024-03-28", 5)])

        assert before.fingerprint == after.fingerprint
        assert "ILLQ" == after.key

    def test_another_ticker_or_bar_is_another_failure(self) -> None:
        """Two tickers, and two bars of one ticker, are told apart."""
        tickers = failures_of(GAPS, "warn", [gap_row("AAA", "x", 1), gap_row("BBB", "x", 1)])
        bars = failures_of(
            MAX_DAYS,
            "warn",
            [
                {"ticker": "AAA", "trading_date": "2024-03-01", "adj_close": 1.0},
                {"ticker": "AAA", "trading_date": "2024-04-01", "adj_close": 1.0},
            ],
        )

        assert 2 == len({f.fingerprint for f in tickers})
        assert 2 == len({f.fingerprint for f in bars})
        assert {"AAA"} == {f.key for f in bars}

    def test_a_row_without_identity_columns_is_identified_whole(self) -> None:
        """accepted_values' rows (value, count): a new count is a new failure; no ticker, so
        only `*` acknowledges it."""
        one = failures_of("accepted", "warn", [{"value_field": "XX", "n_records": 1}])
        two = failures_of("accepted", "warn", [{"value_field": "XX", "n_records": 2}])

        assert one[0].fingerprint != two[0].fingerprint
        assert ANY_KEY == one[0].key

    def test_a_test_without_rows_is_one_failure_of_its_own(self) -> None:
        """An errored test (or one whose rows are not stored) fails as a whole, the same way
        each build; `*` is its key. Duplicate rows are one failure."""
        first = failures_of("t", "error", [])
        again = failures_of("t", "error", [])
        duplicated = failures_of(GAPS, "warn", [gap_row("AAA", "x", 1)] * 3)

        assert 1 == len(first) and first == again
        assert ANY_KEY == first[0].key
        assert 1 == len(duplicated)


class TestClassify:
    def test_new_known_and_acknowledged(self) -> None:
        """In the previous build: known; accepted by key: acknowledged (even if also known);
        else new."""
        found = failures_of(
            GAPS, "warn", [gap_row("OLD", "x", 1), gap_row("ILLQ", "x", 1), gap_row("NEW", "x", 1)]
        )
        by_key = {f.key: f for f in found}
        previous = {(GAPS, by_key["OLD"].fingerprint), (GAPS, by_key["ILLQ"].fingerprint)}

        classified = classify(found, previous, {(GAPS, "ILLQ")})

        assert {
            "OLD": FailureState.KNOWN,
            "ILLQ": FailureState.ACKNOWLEDGED,
            "NEW": FailureState.NEW,
        } == {f.key: f.state for f in classified}

    def test_a_star_acknowledges_every_failure_of_its_test_only(self) -> None:
        """(test, `*`) accepts all of that test's failures, none of another test's."""
        found = [
            *failures_of(GAPS, "warn", [gap_row("AAA", "x", 1)]),
            *failures_of(MAX_DAYS, "warn", [{"ticker": "AAA", "trading_date": "2024-03-01"}]),
        ]

        classified = classify(found, set(), {(GAPS, ANY_KEY)})

        assert [FailureState.ACKNOWLEDGED, FailureState.NEW] == [f.state for f in classified]

    def test_the_same_fingerprint_under_another_test_is_new(self) -> None:
        """Known means the same test had it."""
        [f] = failures_of(GAPS, "warn", [gap_row("AAA", "x", 1)])

        [classified] = classify([f], {(MAX_DAYS, f.fingerprint)}, set())

        assert FailureState.NEW == classified.state


class TestCounts:
    def test_per_test_counts_by_state(self) -> None:
        """Counted per test name; a state without failures counts 0."""
        classified = [
            Failure(GAPS, "a", "A", FailureState.NEW),
            Failure(GAPS, "b", "B", FailureState.KNOWN),
            Failure(GAPS, "c", "C", FailureState.KNOWN),
            Failure(MAX_DAYS, "d", "D", FailureState.ACKNOWLEDGED),
        ]

        assert {
            GAPS: FailureCounts(new=1, known=2, acknowledged=0),
            MAX_DAYS: FailureCounts(new=0, known=0, acknowledged=1),
        } == counts(classified)
