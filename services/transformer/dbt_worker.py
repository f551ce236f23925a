"""A long-lived dbt process: it parses the project once, then runs one `dbt build` per line of
stdin. Parsing (5-10 s on 2 cores) would otherwise be most of a daily build's time.

    python -m services.transformer.dbt_worker PROJECT_DIR

Each answer is one stdout line that starts with MARKER, then JSON; dbt's own output (errors only,
it runs --quiet) is on other lines. While a build runs, progress answers say how many of its nodes
are done (`{"progress": done, "total": nodes}`), from dbt's structured events. The profile reads
PG_* from the environment at each build.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from typing import Any

MARKER = "@@dbt-worker "
# dbt's unit tests check the models' SQL against fixed rows, not the data: they give the same
# answer on every build of one project version, so CI runs them (tests/integration/dbt) and the
# pipeline's builds leave them out (7 nodes, about a second each of a daily build's floor).
BUILD_EXCLUDES = ["--exclude-resource-type", "unit_test"]
_one_line_at_a_time = threading.Lock()  # dbt finishes nodes on its own threads


def answer(**fields: Any) -> None:
    with _one_line_at_a_time:
        print(MARKER + json.dumps(fields), flush=True)  # noqa: T201 - the protocol is stdout


class Progress:
    """dbt's nodes done out of the build's total, from its events: `ConcurrencyLine` opens a
    build with its node count, `NodeFinished` closes each node (passed, failed or skipped).
    dbt's count leaves out ephemeral models and unit tests, though each ends like any node: so
    they are left out here too (measured on dbt 1.11: 14 models + 30 tests counted, 7 unit
    tests finished on top)."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def __call__(self, event: Any) -> None:
        name = event.info.name
        if name == "ConcurrencyLine":
            self.total, self.done = int(event.data.node_count), 0
        elif name == "NodeFinished" and _counted(event.data.node_info):
            self.done += 1
        else:
            return
        answer(progress=self.done, total=self.total)


def _counted(node: Any) -> bool:
    return bool(node.resource_type != "unit_test" and node.materialized != "ephemeral")


def main(project: str) -> int:
    # Slow to import: only in the worker.
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest

    base = ["--project-dir", project, "--profiles-dir", project, "--quiet"]
    with tempfile.TemporaryDirectory(prefix="dbt-parse-") as tmp:
        parsed = dbtRunner().invoke(["parse", *base, "--target-path", tmp, "--log-path", tmp])
    if not parsed.success:
        answer(ready=False, error=f"dbt parse failed: {parsed.exception}")
        return 1
    assert isinstance(parsed.result, Manifest)
    runner = dbtRunner(manifest=parsed.result, callbacks=[Progress()])
    answer(ready=True)
    for line in sys.stdin:
        request = json.loads(line)
        paths = ["--target-path", request["target_path"], "--log-path", request["log_path"]]
        if request.get("command") == "freshness":
            sources = f"{request['target_path']}/sources.json"
            result = runner.invoke(["source", "freshness", *base, *paths, "--output", sources])
        else:
            result = runner.invoke(["build", *base, *paths, *BUILD_EXCLUDES])
        error = str(result.exception) if result.exception is not None else None
        answer(done=True, id=request.get("id"), success=result.success, error=error)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
