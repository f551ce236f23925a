"""Hostile input, shared by every topic: ids, tickers, dates, JSON of any shape, huge lists, and
mutations of a valid message (fields replaced, dropped or added; bytes cut or flipped)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import strategies as st

from shared.messages.ids import ID_PATTERN, TICKER_PATTERN

Json = Any

# Path segments, NUL, whitespace, invisible and non-ASCII characters, SQL, escapes, and lengths at
# and past every limit: each has broken an id somewhere (object keys, SQL, logs).
_ODD_IDS = [
    "", ".", "..", "../x", "a/../b", "a/b", "a\x00b", "\x00", " r1", "r1 ", "r1\n", "r1\t",
    "r\u200b1", "ünïcødé", "r1'; drop table control.runs; --", "%2e%2e", "%00", "a\\b", "-r1",
    "_r", ".hidden", "a" * 64, "a" * 65, "a" * 200, "a" * 201, "A" * 10_000, "\ud800", "r1\x7f",
]  # fmt: skip
_ODD_TICKERS = [
    "", "A\x00", "\x00", "A B", " A", "A\t", "A\n", "\x7f", "A" * 32, "A" * 33, "A" * 3_000,
    "ÄPL", "BRK/A", "KIMpL", "*grouped 2024-01-02", "*grouped 2024-13-45", "\ud800", "A\u2028",
]  # fmt: skip
_ODD_DATES = [
    "", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "2024-02-30", "2024-13-01",
    "2024-1-2", "20240102", "2024-01-02T00:00:00", "2024-01-02Z", "yesterday", "-2024-01-02",
    "2024-01-02\x00",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30]),
    st.floats(),  # NaN and infinities are written as JSON's non-standard literals
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=15,
)

ids = st.one_of(st.from_regex(ID_PATTERN, fullmatch=True), st.sampled_from(_ODD_IDS), st.text())
tickers = st.one_of(
    st.sampled_from(["AAPL", "MSFT", "BRK.A", "KIMpL"]),
    st.from_regex(TICKER_PATTERN, fullmatch=True),
    st.sampled_from(_ODD_TICKERS),
    st.text(max_size=40),
    scalars,
)
iso_dates = st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat)
dates = st.one_of(
    iso_dates,
    st.dates().map(date.isoformat),
    st.sampled_from(_ODD_DATES),
    scalars,
)


def huge_lists(item: str) -> st.SearchStrategy[list[str]]:
    """Lists at and past the contracts' limits, built from a drawn size (cheap to generate)."""
    return st.sampled_from([1_000, 5_000, 100_000, 100_001]).map(
        lambda n: [f"{item}{i}" for i in range(n)]
    )


def encoded(value: Json, ascii_only: bool = False) -> bytes:
    """JSON as a careless producer writes it: NaN literals, lone surrogates as invalid UTF-8."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def mutated(
    draw: st.DrawFn, valid: st.SearchStrategy[dict[str, Json]], fields: dict[str, Any]
) -> dict[str, Json]:
    """A valid message with one to three fields replaced by a hostile value of their own kind
    or any JSON, dropped, or an unknown field added."""
    message = dict(draw(valid))
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(fields)))
        action = draw(st.sampled_from(["hostile", "any", "drop", "add"]))
        if action == "hostile":
            message[name] = draw(fields[name])
        elif action == "any":
            message[name] = draw(json_values)
        elif action == "drop":
            message.pop(name, None)
        else:
            message[draw(st.text(max_size=12))] = draw(json_values)
    return message


@st.composite
def byte_mutated(draw: st.DrawFn, body: st.SearchStrategy[bytes]) -> bytes:
    """Encoded bytes cut short, or with a byte replaced or inserted (often invalid UTF-8)."""
    data = draw(body)
    at = draw(st.integers(0, len(data)))
    action = draw(st.sampled_from(["truncate", "replace", "insert"]))
    if action == "truncate":
        return data[:at]
    byte = bytes([draw(st.integers(0, 255))])
    return data[:at] + byte + data[at + (action == "replace") :]


def message_bodies(
    valid: st.SearchStrategy[dict[str, Json]], fields: dict[str, Any]
) -> st.SearchStrategy[bytes]:
    """Every kind of body a consumed topic can receive, valid ones included."""
    encoded_valid = valid.map(encoded)
    # Half the bodies are messages with a field or three made hostile; a sixth are valid.
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(encoded),
        byte_mutated(encoded_valid),
        mutated(valid, fields).map(encoded),
        mutated(valid, fields).map(encoded),
        mutated(valid, fields).map(lambda m: encoded(m, ascii_only=True)),
        encoded_valid,
        encoded_valid,
    )
