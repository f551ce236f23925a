"""Opaque pagination cursors: a query string, base64url-encoded without padding, as the API does."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode


class CursorError(ValueError):
    """The cursor is not one this server issued."""


def encode_cursor(params: Mapping[str, str]) -> str:
    """The cursor for a query: its parameters sorted, urlencoded, base64url, padding stripped."""
    raw = urlencode(sorted(params.items())).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    """The query parameters a cursor carries."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return dict(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorError(cursor) from exc
