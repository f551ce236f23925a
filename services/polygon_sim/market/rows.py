"""Bar columns rendered as the API's JSON rows, leaving absent fields out as the real API does."""

from __future__ import annotations

from typing import Any

import numpy as np

from services.polygon_sim.market.prices import BarColumns

Row = dict[str, Any]


def render_rows(
    cols: BarColumns, t_ms: list[int], tickers: list[str] | None, otc: list[bool]
) -> list[Row]:
    """One dict per bar in the recorded key order; `T` only when `tickers` is given (grouped)."""
    columns = (
        cols.v.tolist(),
        np.nan_to_num(cols.vw).tolist(),
        cols.o.tolist(),
        cols.c.tolist(),
        cols.h.tolist(),
        cols.low.tolist(),
        t_ms,
        cols.n.tolist(),
    )
    # Build the common full row fast, then patch the few rows with quirks.
    if tickers is None:
        rows = [
            {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": lo, "t": t, "n": n}
            for v, vw, o, c, h, lo, t, n in zip(*columns, strict=True)
        ]
    else:
        rows = [
            {"T": s, "v": v, "vw": vw, "o": o, "c": c, "h": h, "l": lo, "t": t, "n": n}
            for s, v, vw, o, c, h, lo, t, n in zip(tickers, *columns, strict=True)
        ]
    for i in np.flatnonzero(np.isnan(cols.vw)).tolist():
        del rows[i]["vw"]
    for i in np.flatnonzero(cols.n < 0).tolist():
        del rows[i]["n"]
    for i, is_otc in enumerate(otc):
        if is_otc:
            rows[i]["otc"] = True
    return rows
