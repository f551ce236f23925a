"""The shapes of the ids and tickers every message carries, checked at the edge, before any side
effect: an id becomes part of an object key, a SQL value and a log line, so it is safe in all."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Starts with a letter or digit, so `.` and `..` (path segments) can never be an id.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Ids joined by `/`: `<run_id>/<batch_id>/loaded`.
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"
# As the vendor spells them (BRK.A, KIMpL, some with `/` or `-`), never with whitespace or control
# characters, which Postgres text and object keys refuse or mangle.
TICKER_PATTERN = r"^[^\x00-\x20\x7f]{1,32}$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
MessageId = Annotated[str, StringConstraints(pattern=MESSAGE_ID_PATTERN)]
Ticker = Annotated[str, StringConstraints(pattern=TICKER_PATTERN)]

__all__ = ["ID_PATTERN", "MESSAGE_ID_PATTERN", "TICKER_PATTERN", "Id", "MessageId", "Ticker"]
