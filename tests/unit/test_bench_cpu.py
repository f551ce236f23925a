"""The benchmarks' CPU accounting counts a process tree's children, live and reaped."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from benchmarks.cpu import CpuSpan, tree_cpu_s

pytestmark = pytest.mark.unit

# burns `seconds` of its own CPU time, then prints and waits for stdin to close
BURN = """
import sys, time
end = time.process_time() + float(sys.argv[1])
while time.process_time() < end:
    pass
print("done", flush=True)
sys.stdin.read()
"""


def _shell_running_burner(seconds: float) -> subprocess.Popen[str]:
    """A shell whose child burns CPU: the figure must come from the shell's descendants."""
    return subprocess.Popen(
        ["sh", "-c", f"\"{sys.executable}\" -c '{BURN}' {seconds}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_live_childs_cpu_counts_for_its_parent() -> None:
    shell = _shell_running_burner(0.5)
    try:
        assert shell.stdout is not None and shell.stdout.readline().strip() == "done"
        spent = tree_cpu_s({"shell-1": shell.pid})
        assert 0.45 <= spent["shell"] < 5
    finally:
        shell.communicate("")


def test_a_span_counts_what_was_spent_within_it_only() -> None:
    shell = _shell_running_burner(0.6)
    try:
        assert shell.stdout is not None and shell.stdout.readline().strip() == "done"
        span = CpuSpan({"shell": shell.pid})
        span.start()  # the burn is over: nothing more is spent
        time.sleep(0.2)
        spent = span.stop()
        assert spent["shell"] < 0.1
        assert spent["machine"] >= spent["shell"]
    finally:
        shell.communicate("")
