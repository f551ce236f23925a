"""Running one named launcher step: a subprocess with its own log file, and a clear failure."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StepFailed(RuntimeError):
    """A launcher step failed; the message names the step and the log to read."""

    def __init__(self, step: str, reason: str, log: Path | None = None) -> None:
        where = f" (log: {log})" if log else ""
        super().__init__(f"step '{step}' failed: {reason}{where}")
        self.step = step


def run_logged(
    step: str,
    cmd: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 1800,
) -> None:
    """Run a command to completion, its output appended to `log`; raise StepFailed on error."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            done = subprocess.run(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except FileNotFoundError as exc:
            raise StepFailed(step, f"{cmd[0]} is not installed", log) from exc
        except subprocess.TimeoutExpired as exc:
            raise StepFailed(step, f"no end after {timeout_s:.0f} s", log) from exc
    if done.returncode != 0:
        raise StepFailed(step, f"exit code {done.returncode}: {tail(log)}", log)


def tail(log: Path, lines: int = 3) -> str:
    """The last lines of a log, to quote in an error."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def wait_until(
    step: str,
    ready: Callable[[], bool],
    alive: Callable[[], bool],
    log: Path,
    timeout_s: float,
) -> float:
    """Poll `ready` until true; fail as soon as the process died or the time is up.

    Returns the seconds it took.
    """
    start = time.monotonic()
    delay = 0.05
    while True:
        if ready():
            return time.monotonic() - start
        if not alive():
            raise StepFailed(step, f"the process exited: {tail(log)}", log)
        if time.monotonic() - start > timeout_s:
            raise StepFailed(step, f"not ready after {timeout_s:.0f} s", log)
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
