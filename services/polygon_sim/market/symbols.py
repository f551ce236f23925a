"""Plausible synthetic identifiers: symbols, company names, CIKs and FIGIs, from a seeded RNG."""

from __future__ import annotations

from random import Random

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# FIGIs use digits and consonants only.
_FIGI_CHARS = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
_SYLLABLES = (
    "ac",
    "al",
    "ar",
    "bel",
    "bio",
    "cor",
    "dyn",
    "en",
    "gen",
    "in",
    "lum",
    "max",
    "nov",
    "om",
    "or",
    "pan",
    "quan",
    "ra",
    "sol",
    "ter",
    "tri",
    "ver",
    "vi",
    "xen",
    "zen",
)
_SUFFIXES = {
    "CS": ("Inc.", "Corporation", "Holdings Inc.", "Group Inc.", "Co."),
    "ETF": ("ETF", "Index Fund", "Sector ETF"),
    "ETN": ("ETN",),
    "FUND": ("Fund", "Income Fund"),
    "PFD": ("Preferred Stock",),
    "WARRANT": ("Warrants",),
    "UNIT": ("Units",),
    "RIGHT": ("Rights",),
    "ADRC": ("ADR",),
    "SP": ("Structured Product",),
}


def draw_symbol(rng: Random, taken: set[str], length: int, attempts: int = 1000) -> str | None:
    """A new upper-case symbol of the given length that is not in `taken` (which it joins).

    None when `attempts` draws all collided, i.e. symbols of that length are nearly used up.
    """
    for _ in range(attempts):
        symbol = "".join(rng.choices(_LETTERS, k=length))
        if symbol not in taken:
            taken.add(symbol)
            return symbol
    return None


def derived_symbol(base: str, kind: str, rng: Random) -> str:
    """The symbol of a security derived from a common stock, in Polygon's (CQS-like) notation."""
    if kind == "PFD":
        return f"{base}p{rng.choice(_LETTERS[:8])}"  # KIMpL, BACpA
    if kind == "WARRANT":
        return f"{base}W"
    if kind == "UNIT":
        return f"{base}U"
    if kind == "RIGHT":
        return f"{base}R"
    return base


def company_name(rng: Random, kind: str) -> str:
    """A made-up issuer name ending the way names of that security type usually end."""
    stem = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 3))).capitalize()
    suffixes = _SUFFIXES.get(kind, _SUFFIXES["CS"])
    return f"{stem} {rng.choice(suffixes)}"


def cik(rng: Random) -> str:
    """A ten-digit, zero-padded SEC Central Index Key."""
    return f"{rng.randrange(1_000, 2_000_000):010d}"


def figi(rng: Random) -> str:
    """A Bloomberg FIGI: BBG followed by nine digits or consonants."""
    return "BBG" + "".join(rng.choices(_FIGI_CHARS, k=9))
