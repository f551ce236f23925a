"""Finding the corporate actions a test needs in a given market, so tests never hard-code them.

ex = corporate_action_examples(7, 40, date(2023, 1, 3), date(2024, 12, 31), after=date(2024, 6, 28))
ex.forward_split["ticker"], ex.reverse_split["execution_date"], ex.dividend["cash_amount"]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.polygon_sim.corporate_actions.events import Row
from services.polygon_sim.market.market import Market


@dataclass(frozen=True, slots=True)
class CorporateActionExamples:
    """One event of each kind a pipeline test needs, as the API serves them (rows)."""

    forward_split: Row  # a 2-for-1 split (split_to 2, split_from 1)
    reverse_split: Row  # a 1-for-10 reverse split (split_to 1, split_from 10)
    dividend: Row  # a regular (CD) one of an upper-case ticker, preferably one that never splits
    splits: tuple[Row, ...]  # every split in the span, by date
    dividends: tuple[Row, ...]  # every dividend in the span, by date


def corporate_action_examples(
    seed: int,
    universe_size: int,
    history_start: date,
    history_end: date,
    after: date,
    through: date | None = None,
    market: Market | None = None,
) -> CorporateActionExamples:
    """Events executing (splits) or going ex (dividends) in (after, through], known at
    `through` (default: `history_end`), in the market of these settings (or `market`).

    Raises LookupError when the span lacks one of the three; the forced listings put a 2-for-1
    at 80 % and a 1-for-10 at 85 % of the history, so a span covering those always has them.
    """
    market = market or Market(seed, universe_size, history_start, history_end)
    through = through or market.history_end
    start = date.fromordinal(after.toordinal() + 1)
    splits = market.splits(start=start, end=through, today=through)
    dividends = market.dividends(start=start, end=through, today=through)
    forward = _first([s for s in splits if (s["split_to"], s["split_from"]) == (2, 1)])
    reverse = _first([s for s in splits if (s["split_to"], s["split_from"]) == (1, 10)])
    regular = [d for d in dividends if d["dividend_type"] == "CD" and _plain(str(d["ticker"]))]
    # A payer that does not split in the span, when there is one, keeps the cases apart.
    split_tickers = {s["ticker"] for s in splits}
    regular.sort(key=lambda d: d["ticker"] in split_tickers)
    return CorporateActionExamples(
        forward_split=forward,
        reverse_split=reverse,
        dividend=_first(regular),
        splits=tuple(splits),
        dividends=tuple(dividends),
    )


def _plain(ticker: str) -> bool:
    return ticker.isalpha() and ticker.isupper()


def _first(rows: list[Row]) -> Row:
    if not rows:
        raise LookupError("no such corporate action in the span; widen it or change the seed")
    return rows[0]
