"""Bar columns rendered as the API's JSON rows, leaving absent fields out as the real API does."""

from __future__ import annotations

import math
from typing import Any

from services.polygon_sim.prices import BarColumns

Row = dict[str, Any]


def render_rows(
    cols: BarColumns, t_ms: list[int], tickers: list[str] | None, otc: list[bool]
) -> list[Row]:
    """One dict per bar in the recorded key order; `T` only when `tickers` is given (grouped)."""
    rows: list[Row] = []
    columns = zip(
        cols.v.tolist(),
        cols.vw.tolist(),
        cols.o.tolist(),
        cols.c.tolist(),
        cols.h.tolist(),
        cols.low.tolist(),
        t_ms,
        cols.n.tolist(),
        otc,
        strict=True,
    )
    for i, (v, vw, o, c, h, low, t, n, is_otc) in enumerate(columns):
        row: Row = {"T": tickers[i]} if tickers is not None else {}
        row["v"] = v
        if not math.isnan(vw):
            row["vw"] = vw
        row.update(o=o, c=c, h=h, l=low, t=t)
        if n >= 0:
            row["n"] = n
        if is_otc:
            row["otc"] = True
        rows.append(row)
    return rows
