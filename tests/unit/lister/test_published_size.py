"""No published batch nears Kafka's 1 MiB message limit, whatever the universe's size: a batch
whose ticker filter is too big goes out without it (`tickers_held`), one message still, with the
same days, so the API is asked no more often."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.lister.core import INLINE_BYTES_MAX, RunSpec, as_published, fetch_commands
from services.lister.corporate_actions import action_commands
from shared.fetch_plan import plan_fetch
from shared.messages import FetchBatch, Plan

pytestmark = pytest.mark.unit

UNIVERSE = 200_000
# A held message is ids, dates and at most 60 days (LISTER_DAYS_PER_BATCH): this is ample.
HELD_BYTES_MAX = 4 * 1024
END = date(2024, 12, 31)


def weekdays(start: date, end: date) -> list[date]:
    days = (start + timedelta(n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


def spec(**fields: object) -> RunSpec:
    defaults: dict[str, object] = {
        "run_id": "r1",
        "start": None,
        "end": END,
        "batch_size": 1000,
        "tickers": None,
        "max_tickers": None,
    }
    return RunSpec(**{**defaults, **fields})  # type: ignore[arg-type]


def size(command: FetchBatch) -> int:
    return len(command.model_dump_json(by_alias=True).encode())


def published(run: RunSpec, starts: dict[str, date], whole_market: bool) -> list[FetchBatch]:
    plan = plan_fetch(starts, END, weekdays(min(starts.values()), END), run.plan, whole_market)
    bars = fetch_commands(run, plan, starts, days_per_batch=5, other_batches=2)
    actions = action_commands(run, starts, {}, timedelta(30), whole_market, len(bars), 99)
    return [*bars, *actions]


TICKERS = [f"T{i:06d}" for i in range(UNIVERSE)]


class TestA200000TickerUniverse:
    def test_an_incremental_mixed_run_sends_every_message_under_the_bound(self) -> None:
        """A quarter of the market is new (ranges), the rest up to date but for two weeks
        (grouped days, each skipping the 50,000 range tickers): nothing over the bound."""
        starts = dict.fromkeys(TICKERS, date(2024, 12, 16))
        starts.update(dict.fromkeys(TICKERS[: UNIVERSE // 4], date(2024, 12, 2)))
        commands = published(spec(), starts, whole_market=True)

        sizes = [size(as_published(c)) for c in commands]

        assert any(as_published(c).tickers_held for c in commands if c.days)
        assert max(sizes) <= INLINE_BYTES_MAX

    def test_a_grouped_run_of_named_tickers_holds_its_filter_in_one_message_a_batch(
        self,
    ) -> None:
        """200,000 named tickers over two weeks by grouped daily: each grouped batch is still one
        message with the same days (no extra request), its tickers held, a few hundred bytes."""
        run = spec(start=date(2024, 12, 16), tickers=tuple(TICKERS), plan=Plan.GROUPED_DAILY)
        commands = published(run, dict.fromkeys(TICKERS, date(2024, 12, 16)), whole_market=False)

        sent = [as_published(c) for c in commands]

        assert [c.days for c in commands] == [c.days for c in sent]
        assert all(c.tickers_held and not c.tickers and c.starts is None for c in sent)
        assert max(map(size, sent)) <= HELD_BYTES_MAX

    def test_corporate_action_batches_of_named_tickers_are_held_too(self) -> None:
        """The splits and dividends batches name every ticker of a run that is not the whole
        market: held, under the bound."""
        run = spec(start=date(2024, 12, 16), tickers=tuple(TICKERS))
        commands = published(run, dict.fromkeys(TICKERS, date(2024, 12, 16)), whole_market=False)
        actions = [as_published(c) for c in commands if c.actions is not None]

        assert ["splits", "dividends"] == [c.actions for c in actions]
        assert all(c.tickers_held for c in actions)
        assert max(map(size, actions)) <= HELD_BYTES_MAX


class TestSmallBatches:
    def test_a_batch_under_the_bound_goes_out_as_it_is(self) -> None:
        """A range batch of 1,000 ordinary tickers carries them itself."""
        run = spec(start=date(2024, 1, 2), plan=Plan.PER_TICKER)
        commands = published(run, dict.fromkeys(TICKERS[:5000], date(2024, 1, 2)), True)

        assert all(as_published(c) == c for c in commands)

    def test_even_a_range_batch_of_the_longest_tickers_goes_out_whole(self) -> None:
        """1,000 tickers (the largest batch) of 32 four-byte characters, each with its own
        start: ~230 KB, under the bound, so a range batch never needs its filter held."""
        longest = [f"{i:04d}" + "\U0001f4c8" * 28 for i in range(1000)]
        batch = fetch_commands(
            spec(),
            plan_fetch(
                {t: date(2024, 1, 2) + timedelta(i % 7) for i, t in enumerate(longest)},
                END,
                weekdays(date(2024, 1, 2), END),
                Plan.PER_TICKER,
                True,
            ),
            {t: date(2024, 1, 2) + timedelta(i % 7) for i, t in enumerate(longest)},
            days_per_batch=5,
        )[0]

        assert batch == as_published(batch)
        assert size(batch) <= INLINE_BYTES_MAX
