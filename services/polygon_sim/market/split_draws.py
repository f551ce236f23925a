"""How splits are drawn: a few per listing over the window, forced ones so small universes have a
2-for-1 and a 1-for-10 late in the window, and later ones for listings that trade on."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from random import Random
from typing import TYPE_CHECKING

import numpy as np

from services.polygon_sim.market.hashing import stable_u64

if TYPE_CHECKING:
    from services.polygon_sim.market.universe import Listing

_RATIOS = ((2, 1), (3, 1), (3, 2), (4, 1), (1, 10), (1, 5), (1, 20))
_RATIO_P = (0.35, 0.1, 0.1, 0.05, 0.2, 0.1, 0.1)
_RATIO_CDF = tuple(np.cumsum(_RATIO_P).tolist())
_SPLITS_PER_YEAR = 0.015
_SPLITTING = ("CS", "ETF", "ADRC", "ETN", "FUND")  # random listings whose shares split


@dataclass(frozen=True, slots=True)
class Split:
    """A split effective at session `index`: `to` new shares for every `from_` old ones."""

    index: int
    to: int
    from_: int


def draw_splits(rng: Random, first: int, last: int, years: float, force: bool) -> tuple[Split, ...]:
    """A listing's splits within [first, last]; `force`: exactly one 2-for-1 late in the span."""
    count = min(3, poisson(rng, _SPLITS_PER_YEAR * years))
    if force:
        count = 1
    if count == 0 or last - first < 20:
        return ()
    if force:
        # Late in the window (e.g. 2024-08 for 2023..2024), so a run over its first part
        # sees the stock before the split and a later run sees the split.
        indices = [first + (last - first) * 4 // 5]
    else:
        indices = sorted({rng.randint(first + 10, last) for _ in range(count)})
    ratios = [_RATIOS[pick(rng, _RATIO_CDF)] for _ in indices]
    if force:
        ratios = [(2, 1)]  # drawn above all the same, to keep the random stream unchanged
    return tuple(
        Split(index=i, to=to, from_=fr) for i, (to, fr) in zip(indices, ratios, strict=True)
    )


def poisson(rng: Random, lam: float) -> int:
    """A Poisson draw by Knuth's method; fine for the small rates used here."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def force_reverse_split(out: list[Listing], skip: int, sessions: int) -> None:
    """Give one plain, always-listed stock a 1-for-10 reverse split late in the base window.

    Chosen after the draws, so the random stream (hence every other listing) is unchanged.
    """
    at = (sessions - 1) * 17 // 20
    candidates = [x for x in out[skip:] if plain(x) and not x.splits]
    candidates += [  # tiny universes: any other stock listed well before the split will do
        x
        for x in out
        if x.market == "stocks"
        and not x.delisted
        and x.first_index < at - 20
        and not x.splits
        and x.role != "special"
    ]
    if candidates and at > 20:
        i = out.index(candidates[0])
        out[i] = replace(out[i], splits=(Split(index=at, to=1, from_=10),), role="reverse")


def plain(x: Listing) -> bool:
    """An ordinary stock listed all window long, with a letters-only symbol and daily bars."""
    return (
        x.type == "CS"
        and x.market == "stocks"
        and x.first_index == 0
        and not x.delisted
        and not x.illiquid
        and x.ticker.isalpha()
    )


def extend_listing(
    seed: int, x: Listing, sessions: int, horizon: int, splitting: bool = True
) -> Listing:
    """A listing still trading at the window's end trades on to the horizon, splitting now and
    then; these later splits come from their own stream, one per ticker."""
    if x.delisted or horizon <= sessions or not splitting or x.type not in _SPLITTING:
        return replace(x, last_index=horizon - 1) if not x.delisted else x
    rng = Random(stable_u64("later-splits", seed, x.ticker))
    count = min(2, poisson(rng, _SPLITS_PER_YEAR * (horizon - sessions) / 252))
    start = max(sessions, x.first_index + 10)
    later = sorted({rng.randrange(start, horizon) for _ in range(count)} if start < horizon else ())
    splits = [Split(index=i, to=to, from_=fr) for i in later for to, fr in [_ratio(rng)]]
    return replace(x, last_index=horizon - 1, splits=x.splits + tuple(splits))


def _ratio(rng: Random) -> tuple[int, int]:
    return _RATIOS[pick(rng, _RATIO_CDF)]


def pick(rng: Random, cdf: tuple[float, ...]) -> int:
    """An index drawn with the probabilities whose running sum is `cdf` (cheaper than choice)."""
    return min(len(cdf) - 1, bisect.bisect_right(cdf, rng.random()))
