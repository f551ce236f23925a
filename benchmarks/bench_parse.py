"""The fetcher's CPU per bar, alone: a whole-market grouped day decoded, parsed and regrouped.

    .venv/bin/python benchmarks/bench_parse.py [--tickers 10000] [--days 20] [--repeat 5]

No services: `days` grouped-daily bodies of `tickers` rows each (prices with cents, integer
transaction counts, every 50th row OTC), built once, then, for each, the steps a fetcher runs
on a grouped batch: orjson's decode of the body, `parse_bars` (the Polygon client's) and
`GroupedLines.add` (the regrouping per ticker, each bar encoded as sent). Prints the best of
`repeat` passes in microseconds per bar, and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.fetcher.core import GroupedLines
from shared.clients.polygon._models import NEW_YORK, parse_bars
from shared.messages import FetchBatch


def grouped_body(day: date, tickers: int, rng: random.Random) -> bytes:
    close_at = int(datetime(day.year, day.month, day.day, 16, tzinfo=NEW_YORK).timestamp())
    rows = []
    for i in range(tickers):
        low = round(rng.uniform(1, 500), 2)
        high = round(low * rng.uniform(1.0, 1.05), 2)
        row: dict[str, Any] = {
            "T": f"T{i:05d}",
            "v": float(rng.randint(100, 10**7)),
            "vw": round(rng.uniform(low, high), 4),
            "o": round(rng.uniform(low, high), 2),
            "c": round(rng.uniform(low, high), 2),
            "h": high,
            "l": low,
            "t": close_at * 1000,
            "n": rng.randint(1, 100_000),
        }
        if i % 50 == 0:
            row["otc"] = True
        rows.append(row)
    return orjson.dumps({"status": "OK", "resultsCount": tickers, "results": rows})


def best_us_per_bar(step: Callable[[], object], bars: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - started)
    return best / bars * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tickers", type=int, default=10_000)
    p.add_argument("--days", type=int, default=20)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()

    rng = random.Random(7)
    first = date(2024, 1, 2)
    days = [first + timedelta(days=d) for d in range(a.days)]
    bodies = [grouped_body(day, a.tickers, rng) for day in days]
    decoded = [orjson.loads(b) for b in bodies]
    parsed = [parse_bars(d, ticker=None, adjusted=False) for d in decoded]
    bars = sum(len(p) for p in parsed)
    batch = FetchBatch.model_validate(
        {
            "run_id": "bench",
            "message_id": "bench/g00000/fetch",
            "batch_id": "g00000",
            "seq": 0,
            "total_batches": 1,
            "tickers": [],  # the whole market
            "days": days,
            "from": first,
            "to": days[-1],
        }
    )

    def regroup() -> None:
        grouped = GroupedLines(batch)
        for day, day_bars in zip(days, parsed, strict=True):
            grouped.add(day, day_bars)

    figures = {
        "decode_us_per_bar": best_us_per_bar(
            lambda: [orjson.loads(b) for b in bodies], bars, a.repeat
        ),
        "parse_us_per_bar": best_us_per_bar(
            lambda: [parse_bars(d, ticker=None, adjusted=False) for d in decoded], bars, a.repeat
        ),
        "regroup_us_per_bar": best_us_per_bar(regroup, bars, a.repeat),
    }
    figures["total_us_per_bar"] = sum(figures.values())
    print(f"{a.days} grouped days x {a.tickers} tickers = {bars} bars, best of {a.repeat}")
    for name, value in figures.items():
        print(f"  {name:22} {value:6.2f}")
    print(json.dumps({"bars": bars, **{k: round(v, 2) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
