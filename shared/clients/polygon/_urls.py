"""Paths of the endpoints, `next_url` handling and key redaction for logs and errors."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

_API_KEY_PARAM = re.compile(r"(?i)(apikey=)[^&#\s]*")
REDACTED = "[redacted]"


def ticker_segment(ticker: str) -> str:
    """The ticker as one path segment: percent-encoded (`/`→`%2F`), never re-cased."""
    return quote(ticker, safe="")


def aggs_range_path(ticker: str, start: date, end: date) -> str:
    """Path of daily bars of one ticker, both ends inclusive."""
    seg = ticker_segment(ticker)
    return f"/v2/aggs/ticker/{seg}/range/1/day/{start.isoformat()}/{end.isoformat()}"


def grouped_daily_path(day: date) -> str:
    """Path of the whole US stock market's bars of one day."""
    return f"/v2/aggs/grouped/locale/us/market/stocks/{day.isoformat()}"


TICKERS_PATH = "/v3/reference/tickers"
SPLITS_PATH = "/v3/reference/splits"
DIVIDENDS_PATH = "/v3/reference/dividends"


def next_target(next_url: str) -> str:
    """Path and query of `next_url`, to be requested against the configured base URL.

    Its scheme and host are dropped (they name production, or whatever the server believes it
    is); an `apiKey` in it is dropped too, since we authenticate with the header.
    """
    parts = urlsplit(next_url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "apikey"
    ]
    path = parts.path or "/"
    return f"{path}?{urlencode(query)}" if query else path


def page_key(target: str) -> str:
    """What identifies a page for the loop guard: path plus sorted query (cursor included).

    The path matters: aggs ranges page by rewriting the `from` segment and may repeat a cursor.
    """
    parts = urlsplit(target)
    return f"{parts.path}?{urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))}"


def redact(text: str, secret: str) -> str:
    """`text` without the key: `apiKey=` values and any literal occurrence of the secret."""
    text = _API_KEY_PARAM.sub(rf"\g<1>{REDACTED}", text)
    return text.replace(secret, REDACTED) if secret else text


__all__ = [
    "DIVIDENDS_PATH",
    "SPLITS_PATH",
    "TICKERS_PATH",
    "aggs_range_path",
    "grouped_daily_path",
    "next_target",
    "page_key",
    "redact",
    "ticker_segment",
]
