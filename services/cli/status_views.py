"""What `stocks-elt status` prints: the recent runs in 80 columns (every column with `--wide`),
the notes a person must act on, one run top to bottom, or JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from shared.db.control import RunStatus

from .runs import BatchRow, DataTestProblem, RunProgress

STATUS_STYLE: dict[str, str] = {
    RunStatus.SUCCEEDED: "green",
    RunStatus.SUCCEEDED_WITH_ERRORS: "yellow",
    RunStatus.FAILED: "red",
    RunStatus.REJECTED: "red",
}
# The endings a person must read the reason of.
_REFUSED = (RunStatus.REJECTED, RunStatus.FAILED)


def _status(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, "cyan"))


def _when(at: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return f"{at:{fmt}}" if at else ""


def _dbt_tests(dbt: dict[str, Any] | None) -> str:
    if not dbt:
        return ""
    return f"{dbt.get('tests_passed', 0)}/{dbt.get('tests_failed', 0)}/{dbt.get('tests_warned', 0)}"


def runs_table(runs: list[RunProgress], wide: bool = False) -> Table:
    """Newest first. The run id is never wrapped or cut: the other columns give way first."""
    longest = max((len(r.run_id) for r in runs), default=3)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("run", no_wrap=True, min_width=longest)
    table.add_column("status", no_wrap=True)
    if wide:
        for name in ("plan", "batches", "tickers", "failed"):
            table.add_column(name, justify="right" if name != "plan" else "left", no_wrap=True)
    table.add_column("bars", justify="right", no_wrap=True)
    table.add_column("API", justify="right", no_wrap=True)
    if wide:
        table.add_column("dbt p/f/w", justify="right", no_wrap=True)
        table.add_column("requested UTC", no_wrap=True)
    table.add_column("finished UTC", no_wrap=True)
    if wide:
        table.add_column("reason", no_wrap=True)
    for r in runs:
        cells: list[str | Text] = [r.run_id, _status(r.status)]
        if wide:
            batches = f"{r.loaded}/{r.total}" if r.total is not None else ""
            cells += [r.plan or "", batches, str(r.tickers or ""), str(r.tickers_failed)]
        cells += [f"{r.bars:,}", str(r.api_requests)]
        if wide:
            cells += [_dbt_tests(r.dbt), _when(r.requested_at)]
        cells.append(_when(r.finished_at))
        if wide:
            cells.append(" ".join((r.reason or "").split()))
        table.add_row(*cells)
    return table


def notes(
    runs: list[RunProgress], failed: dict[str, list[str]], problems: list[DataTestProblem]
) -> Table | None:
    """A line for each run a person should look at: why it was rejected or failed, the tickers
    it could not get, the dbt tests that did not pass. None when every run is clean."""
    tests: dict[str, dict[str, int]] = {}
    for p in problems:
        counts = tests.setdefault(p.run_id, {})
        counts[p.status] = counts.get(p.status, 0) + 1
        if p.new:  # tests with new failures: the ones that alerted
            counts["with new failures"] = counts.get("with new failures", 0) + 1
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for r in runs:
        said = []
        if r.status in _REFUSED and r.reason:
            said.append(" ".join(r.reason.split()))
        if r.run_id in failed:
            more = r.tickers_failed - len(failed[r.run_id])
            named = ", ".join(failed[r.run_id]) + (f" and {more} more" if more > 0 else "")
            said.append(f"tickers without bars: {named}")
        if r.run_id in tests:
            counts = tests[r.run_id]
            said.append("dbt tests " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        if said:
            grid.add_row(r.run_id, "; ".join(said))
    return grid if grid.row_count else None


def short_test_name(unique_id: str) -> str:
    """dbt's id without its resource type and project: `test.stocks_elt.<name>.<hash>` ->
    `<name>`, `unit_test.stocks_elt.<model>.<name>` -> `<model>.<name>`."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) > 3:
        return ".".join(parts[2:])
    return parts[2] if len(parts) > 2 else unique_id


def _request(request: dict[str, Any]) -> str:
    span = f"{request.get('from') or 'incremental'} to {request.get('to') or 'yesterday'}"
    tickers = request.get("tickers")
    if tickers:
        more = f" and {len(tickers) - 10} more" if len(tickers) > 10 else ""
        chosen = ", ".join(tickers[:10]) + more
    elif request.get("max_tickers") is not None:
        chosen = f"first {request['max_tickers']} tickers"
    else:
        chosen = "every ticker"
    extra = [f"plan {request['plan']}"] if request.get("plan") else []
    if request.get("batch_size"):
        extra.append(f"batches of {request['batch_size']}")
    return "; ".join([span, chosen, *extra])


def _dbt_line(run: RunProgress) -> str:
    dbt = run.dbt or {}
    if dbt:
        return (
            f"{dbt.get('models_built', 0)} models built, {dbt.get('tests_passed', 0)} tests"
            f" passed, {dbt.get('tests_failed', 0)} failed, {dbt.get('tests_warned', 0)} warned"
        )
    progress = run.dbt_progress
    if progress:
        return f"building: {progress.get('done', 0)} of {progress.get('total', '?')} nodes done"
    return ""


def run_view(
    run: RunProgress,
    batches: list[BatchRow],
    errors: list[tuple[str, str, str]],
    problems: list[DataTestProblem],
    max_batches: int = 12,
) -> RenderableType:
    """One run top to bottom: what was asked, how it was planned, its batches, the tickers it
    could not get and why, its dbt tests and the alerts they raised."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    elapsed = ""
    if run.finished_at and run.requested_at:
        elapsed = f" ({(run.finished_at - run.requested_at).total_seconds():.0f} s)"
    rows: list[tuple[str, str | Text]] = [
        ("run", run.run_id),
        ("status", _status(run.status)),
        ("reason", " ".join((run.reason or "").split())),
        ("request", _request(run.request)),
        ("requested", _when(run.requested_at, "%Y-%m-%d %H:%M:%S UTC")),
        ("finished", _when(run.finished_at, "%Y-%m-%d %H:%M:%S UTC") + elapsed),
    ]
    if run.status != RunStatus.REJECTED:  # a refused request has nothing more to say
        rows += [
            ("plan", f"{run.plan}: {run.plan_reason}" if run.plan else ""),
            ("tickers", f"{run.tickers or 0}, {run.tickers_failed} without bars"),
            ("bars", f"{run.bars:,}"),
            ("API requests", str(run.api_requests)),
            ("batches", f"{run.total or 0} listed, {run.fetched} fetched, {run.loaded} loaded"),
            ("dbt", _dbt_line(run)),
        ]
    for key, value in rows:
        if value:
            head.add_row(key, value)
    parts: list[RenderableType] = [head]
    if batches:
        # The listing's requests are the lister's own: the run's, less its batches'.
        lister = run.api_requests - sum(b.api_requests or 0 for b in batches if b.kind != "listing")
        shown = [replace(b, api_requests=lister) if b.kind == "listing" else b for b in batches]
        parts += ["", _batches_table(shown[:max_batches], len(batches))]
    if errors:
        table = Table("ticker", "kind", "reason", box=box.SIMPLE_HEAD, title="tickers without bars")
        for ticker, kind, reason in errors:
            table.add_row(ticker, kind, " ".join(reason.split()))
        parts += [table]
    if problems:
        title = "dbt tests not passed (failures new / known / acknowledged)"
        parts += ["", Text(title, style="bold"), _alerts(problems)]
    return Group(*parts)


def _alerts(problems: list[DataTestProblem], message_chars: int = 300) -> Table:
    """Each test on its own line, whole (folded, never cut), its message below it."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for p in problems:
        rows = "" if p.failures is None else f" ({p.failures} rows)"
        status = Text(p.status, style={"warn": "yellow"}.get(p.status, "red"))
        grid.add_row(status, short_test_name(p.unique_id) + rows)
        if p.new is not None:
            grid.add_row("", _triage(p))
        message = " ".join((p.message or "").split())
        if message:
            more = "…" if len(message) > message_chars else ""
            grid.add_row("", Text(message[:message_chars] + more, style="dim"))
    return grid


def _triage(p: DataTestProblem) -> Text:
    """How many of the test's failures are new (they alerted), known and acknowledged."""
    text = Text()
    text.append(f"{p.new} new", style="bold red" if p.new else "")
    text.append(f", {p.known or 0} known, {p.acknowledged or 0} acknowledged")
    text.append("" if p.new else " (no alert)", style="dim")
    return text


def _batches_table(batches: list[BatchRow], total: int) -> Table:
    title = "batches" if total == len(batches) else f"batches (first {len(batches)} of {total})"
    table = Table(box=box.SIMPLE_HEAD, title=title)
    for name in ("batch", "kind"):
        table.add_column(name, no_wrap=True)
    for name in ("tickers", "bars", "API"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("fetched", no_wrap=True)
    table.add_column("loaded", no_wrap=True)
    for b in batches:
        table.add_row(
            b.batch_id,
            b.kind,
            str(b.tickers),
            "" if b.bars is None else f"{b.bars:,}",
            "" if b.api_requests is None else str(b.api_requests),
            _when(b.fetched_at, "%H:%M:%S"),
            _when(b.loaded_at, "%H:%M:%S"),
        )
    return table


def to_json(value: Any) -> str:
    """Dataclasses (and lists and dicts of them) as JSON; datetimes in ISO 8601."""

    def plain(v: Any) -> Any:
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if hasattr(v, "__dataclass_fields__"):
            return plain(asdict(v))
        return v

    return json.dumps(plain(value), default=lambda v: v.isoformat(), indent=2)
