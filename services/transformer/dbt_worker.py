"""A long-lived dbt process: it parses the project once, then runs one `dbt build` per line of
stdin. Parsing (5-10 s on 2 cores) would otherwise be most of a daily build's time.

    python -m services.transformer.dbt_worker PROJECT_DIR

Each answer is one stdout line that starts with MARKER, then JSON; dbt's own output (errors only,
it runs --quiet) is on other lines. The profile reads PG_* from the environment at each build.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

MARKER = "@@dbt-worker "


def answer(**fields: Any) -> None:
    print(MARKER + json.dumps(fields), flush=True)  # noqa: T201 - the protocol is stdout


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
    runner = dbtRunner(manifest=parsed.result)
    answer(ready=True)
    for line in sys.stdin:
        request = json.loads(line)
        paths = ["--target-path", request["target_path"], "--log-path", request["log_path"]]
        result = runner.invoke(["build", *base, *paths])
        error = str(result.exception) if result.exception is not None else None
        answer(done=True, success=result.success, error=error)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
