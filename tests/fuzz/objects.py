"""Raw object bodies as the loader may find them: a valid header or a hostile one, then lines of
the header's kind (bars, listing entries, splits, dividends) that are valid, mutated, unreadable,
bad UTF-8 or huge; `*grouped <not a date>` error lines; bodies cut short."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .conftest import SEEDED_BATCHES, SEEDED_RUNS
from .strategies import Json, dates, encoded, huge_lists, ids, iso_dates, json_values, mutated
from .strategies import tickers as hostile_tickers

SOURCES = {
    "daily_bars": ["aggs_range", "grouped_daily"],
    "tickers": ["reference_tickers"],
    "splits": ["reference_splits"],
    "dividends": ["reference_dividends"],
}
NAMES = st.sampled_from(["AAPL", "BRK.A", "KIMpL", "MSFT"])
T0 = 1112331600000  # 2005-04-01, midnight in New York
finite = st.floats(0, 1e6, allow_nan=False)
numbers = st.one_of(st.floats(), st.integers(), st.sampled_from([True, "1.5", None, 2**64]))


@st.composite
def headers(draw: st.DrawFn) -> dict[str, Json]:
    kind = draw(st.sampled_from(sorted(SOURCES)))
    head: dict[str, Json] = {
        "kind": kind,
        "format_version": 1,
        "run_id": draw(st.sampled_from(sorted(SEEDED_RUNS))),
        "batch_id": draw(st.sampled_from(SEEDED_BATCHES)),
        "source": draw(st.sampled_from(SOURCES[kind])),
        "items": draw(st.integers(0, 5)),
        "from": draw(iso_dates),
        "to": draw(iso_dates),
    }
    if kind in ("splits", "dividends"):
        head["tickers"] = draw(st.none() | st.lists(NAMES, max_size=3))
        head["error"] = draw(st.none() | st.just({"kind": "gave_up", "reason": "503"}))
    return head


HEADER_FIELDS = {
    "kind": st.one_of(st.sampled_from(sorted(SOURCES)), st.text(max_size=12)),
    "source": st.one_of(st.sampled_from([s for v in SOURCES.values() for s in v]), st.text()),
    "run_id": st.one_of(ids, st.just("no-such-run")),
    "batch_id": ids,
    "format_version": json_values,
    "adjusted": json_values,
    "from": dates,
    "to": dates,
    "items": st.one_of(st.integers(), json_values),
    "api_requests": st.one_of(st.integers(), json_values),
    "tickers": st.one_of(st.lists(hostile_tickers, max_size=4), huge_lists("T"), json_values),
    "error": json_values,
}

bars = st.fixed_dictionaries(
    {"t": st.integers(0, 400).map(lambda d: T0 + d * 86_400_000)}
    | {k: finite for k in ("o", "h", "l", "c", "v")},
    optional={"vw": finite, "n": st.integers(0, 10**6), "otc": st.booleans()},
)
BAR_FIELDS: dict[str, Any] = {k: numbers for k in ("o", "h", "l", "c", "v", "vw")} | {
    "t": st.one_of(st.integers(), st.sampled_from([-1, 2**63, 2**70, 1e15, "0"]), numbers),
    "n": st.one_of(st.integers(), st.sampled_from([2**63, -1, 1.5]), numbers),
    "otc": json_values,
}
bar_lines = st.fixed_dictionaries({"ticker": NAMES, "bars": st.lists(bars, max_size=3)})
error = st.fixed_dictionaries({"kind": st.text(max_size=20), "reason": st.text(max_size=40)})
LINE_FIELDS = {
    "ticker": hostile_tickers,
    "bars": st.one_of(st.lists(mutated(bars, BAR_FIELDS), max_size=3), json_values),
    "error": st.one_of(error, json_values),
}
grouped_days = st.one_of(iso_dates, st.text(max_size=12), st.sampled_from(["2024-13-45", ""]))
bars_items = st.one_of(
    bar_lines,
    mutated(bar_lines, LINE_FIELDS),
    st.fixed_dictionaries({"ticker": hostile_tickers, "error": error}),
    st.fixed_dictionaries({"ticker": grouped_days.map(lambda d: f"*grouped {d}"), "error": error}),
)

listing = st.fixed_dictionaries(
    {"ticker": NAMES, "name": st.text(max_size=20), "market": st.just("stocks")},
    optional={"active": st.booleans(), "last_updated_utc": st.just("2024-01-02T00:00:00Z")},
)
LISTING_FIELDS = {
    "ticker": hostile_tickers,
    "name": json_values,
    "cik": st.one_of(st.text(max_size=10), st.integers()),
    "active": json_values,
    "last_updated_utc": st.one_of(dates, json_values),
    "delisted_utc": st.one_of(dates, json_values),
}
splits = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=8),
        "ticker": NAMES,
        "execution_date": iso_dates,
        "split_from": finite,
        "split_to": finite,
    }
)
dividends = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=8), "ticker": NAMES, "ex_dividend_date": iso_dates}
    | {"cash_amount": finite},
    optional={"currency": st.just("USD"), "frequency": st.integers(0, 12), "pay_date": iso_dates},
)
EVENT_FIELDS = {
    "id": st.one_of(ids, json_values),
    "ticker": hostile_tickers,
    "execution_date": dates,
    "ex_dividend_date": dates,
    "split_from": numbers,
    "split_to": numbers,
    "cash_amount": numbers,
    "frequency": numbers,
    "declaration_date": dates,
    "currency": st.one_of(st.text(), json_values),
}
ITEMS = {
    "daily_bars": bars_items,
    "tickers": listing | mutated(listing, LISTING_FIELDS),
    "splits": splits | mutated(splits, EVENT_FIELDS),
    "dividends": dividends | mutated(dividends, EVENT_FIELDS),
}
odd_lines = st.one_of(
    st.binary(max_size=60),  # often not UTF-8, rarely JSON
    json_values.map(encoded),
    st.sampled_from([b"{", b"null", b"[]", b'"x"', b"\xff\xfe", b'{"ticker": "A\xc3"}']),
    # A huge value, and a huge ticker.
    st.integers(10_000, 2_000_000).map(
        lambda n: b'{"ticker": "AAPL", "name": "' + b"A" * n + b'", "bars": []}'
    ),
    st.integers(33, 9_000).map(lambda n: b'{"ticker": "' + b"T" * n + b'", "bars": []}'),
    st.integers(1_000, 5_000).map(
        lambda n: b'{"ticker": "AAPL", "bars": [' + b",".join([encoded(_BAR)] * n) + b"]}"
    ),
)
_BAR: dict[str, float] = {"t": T0, "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 100.0}


@st.composite
def raw_objects(draw: st.DrawFn) -> tuple[dict[str, Json] | None, bytes]:
    """(the header as written, when it is a JSON object; the object's bytes)."""
    # Hypothesis favours 0 and the first choice: the common case goes first.
    hostile_header = draw(st.sampled_from([False, False, False, True]))
    head = draw(mutated(headers(), HEADER_FIELDS) if hostile_header else headers())
    kind = head.get("kind")
    items = st.one_of(
        ITEMS.get(kind if isinstance(kind, str) else "", bars_items).map(encoded), odd_lines
    )
    first = draw(odd_lines) if draw(st.sampled_from([False] * 5 + [True])) else encoded(head)
    body = b"\n".join([first, *draw(st.lists(items, max_size=6))]) + b"\n"
    if draw(st.sampled_from([False] * 9 + [True])):  # cut short, as an interrupted upload
        body = body[: len(body) - draw(st.integers(1, len(body)))]
    return (head if body.startswith(encoded(head)) else None), body
