"""The simulated ticker universe: who is listed, when, with which reference data and splits."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from random import Random

import numpy as np

from services.polygon_sim import symbols
from services.polygon_sim.hashing import stable_u64

LOG_SCALE = 1_000_000  # log prices are integers in millionths, so prefix sums are exact

_TYPES = ("CS", "ETF", "PFD", "WARRANT", "ADRC", "UNIT", "RIGHT", "FUND", "ETN", "SP")
_TYPE_P = (0.56, 0.18, 0.05, 0.06, 0.05, 0.03, 0.01, 0.03, 0.02, 0.01)
_EXCHANGES = {"ETF": ("ARCX", "BATS", "XNAS"), "ETN": ("ARCX", "BATS")}
_RATIOS = ((2, 1), (3, 1), (3, 2), (4, 1), (1, 10), (1, 5), (1, 20))
_RATIO_P = (0.35, 0.1, 0.1, 0.05, 0.2, 0.1, 0.1)
_SPLITS_PER_YEAR = 0.015
_TYPE_CDF = tuple(np.cumsum(_TYPE_P).tolist())
_RATIO_CDF = tuple(np.cumsum(_RATIO_P).tolist())
_LENGTH_CDF = tuple(np.cumsum((0.002, 0.03, 0.33, 0.6, 0.038)).tolist())
# (ticker, name, type, log-price start, daily sigma): the odd symbols a pipeline must survive.
_SPECIALS = (
    ("BRK.A", "Berkshire Hathaway Inc.", "CS", 350_000.0, 0.011),
    ("BRK.B", "Berkshire Hathaway Inc. New", "CS", 230.0, 0.011),
    ("KIMpL", "Kimco Realty Corporation Class L Preferred", "PFD", 24.0, 0.005),
)


@dataclass(frozen=True, slots=True)
class Split:
    """A split effective at session `index`: `to` new shares for every `from_` old ones."""

    index: int
    to: int
    from_: int


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
    last_index: int  # last session with a bar (delisting, or the window's end)
    delisted: bool
    illiquid: bool  # some sessions pass without a trade, hence without a bar
    key: int
    log_p0: int
    sigma: float
    volume_scale: float
    splits: tuple[Split, ...]

    @property
    def otc(self) -> bool:
        """OTC tickers carry `otc: true` in bars and appear in grouped only on request."""
        return self.market == "otc"


def build_listings(seed: int, size: int, sessions: int) -> list[Listing]:
    """`size` listings over a window of `sessions` sessions, identical for identical arguments."""
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
    return out


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
    )


def _random(
    seed: int, rng: Random, taken: set[str], sessions: int, years: float, role: str | None
) -> Listing:
    otc = role is None and rng.random() < 0.03
    kind = "CS" if otc or role else _TYPES[_pick(rng, _TYPE_CDF)]
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
        splits=_splits(rng, first, last, years, force=role == "split"),
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
    length = (1, 2, 3, 4, 5)[_pick(rng, _LENGTH_CDF)]
    # Short symbols run out; fall back to a longer one rather than loop for ever.
    while (symbol := symbols.draw_symbol(rng, taken, length, attempts=20)) is None:
        length += 1
    return symbol


def _pick(rng: Random, cdf: tuple[float, ...]) -> int:
    """An index drawn with the probabilities whose running sum is `cdf` (cheaper than choice)."""
    return min(len(cdf) - 1, bisect.bisect_right(cdf, rng.random()))


def _exchange(rng: Random, kind: str) -> str:
    choices = _EXCHANGES.get(kind, ("XNYS", "XNAS", "XNAS"))
    return rng.choice(choices)


def _splits(rng: Random, first: int, last: int, years: float, force: bool) -> tuple[Split, ...]:
    count = min(3, _poisson(rng, _SPLITS_PER_YEAR * years))
    if force:
        count = 1
    if count == 0 or last - first < 20:
        return ()
    if force:
        indices = [first + (last - first) // 2]
    else:
        indices = sorted({rng.randint(first + 10, last) for _ in range(count)})
    ratios = [_RATIOS[_pick(rng, _RATIO_CDF)] for _ in indices]
    return tuple(
        Split(index=i, to=to, from_=fr) for i, (to, fr) in zip(indices, ratios, strict=True)
    )


def _poisson(rng: Random, lam: float) -> int:
    """A Poisson draw by Knuth's method; fine for the small rates used here."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
