"""The simulated ticker universe: who is listed, when, with which reference data and splits.

Listings, delistings and most splits are drawn over the base window (`sessions`); tickers still
listed at its end keep trading up to the horizon (`horizon` sessions), where more splits happen,
so a clock moved past the window only reveals more of one fixed market.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

import numpy as np

from services.polygon_sim.market import symbols
from services.polygon_sim.market.hashing import stable_u64
from services.polygon_sim.market.split_draws import (
    Split,
    draw_splits,
    extend_listing,
    force_reverse_split,
    pick,
)

LOG_SCALE = 1_000_000  # log prices are integers in millionths, so prefix sums are exact

_TYPES = ("CS", "ETF", "PFD", "WARRANT", "ADRC", "UNIT", "RIGHT", "FUND", "ETN", "SP")
_TYPE_P = (0.56, 0.18, 0.05, 0.06, 0.05, 0.03, 0.01, 0.03, 0.02, 0.01)
_EXCHANGES = {"ETF": ("ARCX", "BATS", "XNAS"), "ETN": ("ARCX", "BATS")}
_TYPE_CDF = tuple(np.cumsum(_TYPE_P).tolist())
_LENGTH_CDF = tuple(np.cumsum((0.002, 0.03, 0.33, 0.6, 0.038)).tolist())
# (ticker, name, type, log-price start, daily sigma): the odd symbols a pipeline must survive.
_SPECIALS = (
    ("BRK.A", "Berkshire Hathaway Inc.", "CS", 350_000.0, 0.011),
    ("BRK.B", "Berkshire Hathaway Inc. New", "CS", 230.0, 0.011),
    ("KIMpL", "Kimco Realty Corporation Class L Preferred", "PFD", 24.0, 0.005),
)


@dataclass(frozen=True, slots=True)
class Listing:
    """One ticker: its reference fields and the hidden parameters that drive its bars."""

    ticker: str
    name: str
    market: str  # "stocks" or "otc"
    type: str
    primary_exchange: str | None
    cik: str | None
    composite_figi: str | None
    share_class_figi: str | None
    first_index: int  # first session with a bar (listing)
    last_index: int  # last session with a bar (delisting, or the horizon's end)
    delisted: bool
    illiquid: bool  # some sessions pass without a trade, hence without a bar
    key: int
    log_p0: int
    sigma: float
    volume_scale: float
    splits: tuple[Split, ...]
    role: str | None = None  # a part some listing must play even in a tiny universe

    @property
    def otc(self) -> bool:
        """OTC tickers carry `otc: true` in bars and appear in grouped only on request."""
        return self.market == "otc"


def build_listings(
    seed: int, size: int, sessions: int, horizon: int | None = None
) -> list[Listing]:
    """`size` listings over a window of `sessions` sessions (trading on to `horizon` sessions),
    identical for identical arguments."""
    horizon = max(sessions, horizon or sessions)
    rng = Random(stable_u64("universe", seed))
    years = sessions / 252
    taken: set[str] = {s[0] for s in _SPECIALS} | {"BRK"}
    out = [
        _special(seed, rng, spec, sessions)
        for spec in _SPECIALS[: max(0, min(len(_SPECIALS), size))]
    ]
    for i in range(size - len(out)):
        # The first three random listings play fixed roles so even a tiny universe has them.
        role = ("delisted", "late", "split")[i] if i < 3 else None
        out.append(_random(seed, rng, taken, sessions, years, role))
    specials = min(len(_SPECIALS), size)
    force_reverse_split(out, specials + 3, sessions)  # past the specials and the role listings
    return [extend_listing(seed, x, sessions, horizon, i >= specials) for i, x in enumerate(out)]


def _special(
    seed: int, rng: Random, spec: tuple[str, str, str, float, float], sessions: int
) -> Listing:
    ticker, name, kind, price, sigma = spec
    return Listing(
        ticker=ticker,
        name=name,
        market="stocks",
        type=kind,
        primary_exchange="XNYS",
        cik=symbols.cik(rng) if kind == "CS" else None,
        composite_figi=symbols.figi(rng),
        share_class_figi=symbols.figi(rng),
        first_index=0,
        last_index=sessions - 1,
        delisted=False,
        illiquid=False,
        key=stable_u64("bars", seed, ticker),
        log_p0=round(math.log(price) * LOG_SCALE),
        sigma=sigma,
        volume_scale=50_000.0 if ticker == "BRK.A" else 4_000_000.0,
        splits=(),
        role="special",
    )


def _random(
    seed: int, rng: Random, taken: set[str], sessions: int, years: float, role: str | None
) -> Listing:
    otc = role is None and rng.random() < 0.03
    kind = "CS" if otc or role else _TYPES[pick(rng, _TYPE_CDF)]
    ticker = _symbol(rng, taken, kind, otc)
    first, last = 0, sessions - 1
    if role == "late" or (role is None and rng.random() < 0.10):
        first = rng.randrange(sessions // 20, max(sessions // 20 + 1, sessions * 9 // 10))
    delisted = role == "delisted" or (role is None and rng.random() < 0.06)
    if delisted:
        last = rng.randrange(max(first + 1, sessions // 5), max(first + 2, sessions * 19 // 20))
        last = min(last, sessions - 1)
    fund = kind in ("ETF", "ETN", "FUND")
    return Listing(
        ticker=ticker,
        name=symbols.company_name(rng, kind),
        market="otc" if otc else "stocks",
        type=kind,
        primary_exchange=None if otc else _exchange(rng, kind),
        cik=None if rng.random() < (0.4 if fund else 0.05) else symbols.cik(rng),
        composite_figi=None if rng.random() < 0.08 else symbols.figi(rng),
        share_class_figi=None if rng.random() < 0.05 else symbols.figi(rng),
        first_index=first,
        last_index=last,
        delisted=delisted,
        illiquid=otc or kind in ("WARRANT", "RIGHT") or rng.random() < 0.05,
        key=stable_u64("bars", seed, ticker),
        log_p0=round(min(max(rng.gauss(math.log(25), 1.0), 0.0), 6.7) * LOG_SCALE),
        sigma=rng.uniform(0.008, 0.035),
        volume_scale=math.exp(rng.gauss(math.log(300_000), 1.5)),
        splits=draw_splits(rng, first, last, years, force=role == "split"),
        role=role,
    )


def _symbol(rng: Random, taken: set[str], kind: str, otc: bool) -> str:
    if otc:
        return str(symbols.draw_symbol(rng, taken, 5))
    if kind in ("PFD", "WARRANT", "UNIT", "RIGHT"):
        while True:
            base = symbols.draw_symbol(rng, taken, 3) or symbols.draw_symbol(rng, taken, 4)
            derived = symbols.derived_symbol(str(base), kind, rng)
            if derived not in taken:
                taken.add(derived)
                return derived
    length = (1, 2, 3, 4, 5)[pick(rng, _LENGTH_CDF)]
    # Short symbols run out; fall back to a longer one rather than loop for ever.
    while (symbol := symbols.draw_symbol(rng, taken, length, attempts=20)) is None:
        length += 1
    return symbol


def _exchange(rng: Random, kind: str) -> str:
    choices = _EXCHANGES.get(kind, ("XNYS", "XNAS", "XNAS"))
    return rng.choice(choices)
