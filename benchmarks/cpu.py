"""Where a run's CPU goes: the CPU seconds of each process of the pipeline and the stack over a
span of time, so that a benchmark on our 2-core machine can say which process its wall time
waited on (the services, the simulator standing in for the API, Postgres, MinIO, Kafka), not
only how long it took.

A process's figure is its own CPU time and that of its children, live ones and those it has
reaped (utime, stime, cutime and cstime of /proc/<pid>/stat): the transformer's dbt and
Postgres's backends count for them. A child that lived across the start of the span is counted
whole once reaped, so a figure may run a little high; `machine` (from /proc/stat) is exact.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name, in parentheses, may hold spaces: the fields follow its last ')'
    fields = text[text.rindex(")") + 2 :].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return int(fields[1]), ticks / _TICK


def _all_processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def tree_cpu_s(roots: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds of each named root's process tree, summed by name's kind (`fetcher-2` is a
    fetcher)."""
    processes = _all_processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, float] = {}
    for name, root in roots.items():
        seconds, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in processes:
                seconds += processes[pid][1]
                todo.extend(children.get(pid, []))
        kind = name.rsplit("-", 1)[0]
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def machine_cpu_s() -> float:
    """CPU seconds spent by every process of the machine (all cores), idle and I/O wait left out."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / _TICK


def stack_pids() -> dict[str, int]:
    """The native stack's Postgres, MinIO and Kafka, where they run (deploy/local/stack)."""
    from deploy.local.launcher.layout import Layout
    from deploy.local.launcher.process import pid_of
    from shared.settings import KafkaSettings, MinioSettings, PostgresSettings, StackSettings

    lay = Layout(StackSettings(), KafkaSettings(), MinioSettings(), PostgresSettings())
    found = {}
    for name in ("minio", "kafka"):
        if (pid := pid_of(lay.pidfile(name))) is not None:
            found[name] = pid
    # the postmaster's own file: its first line is the pid
    with contextlib.suppress(OSError, ValueError, IndexError):
        found["postgres"] = int((lay.data("postgres") / "postmaster.pid").read_text().split()[0])
    return found


class CpuSpan:
    """CPU seconds by process kind between start() and stop(); `machine` the whole machine's,
    `other` what none of the named processes spent (the benchmark itself, the system)."""

    def __init__(self, roots: Mapping[str, int]) -> None:
        self.roots = dict(roots)
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = {**tree_cpu_s(self.roots), "machine": machine_cpu_s()}

    def stop(self) -> dict[str, float]:
        end = {**tree_cpu_s(self.roots), "machine": machine_cpu_s()}
        spent = {k: end[k] - self._start.get(k, 0.0) for k in end}
        spent["other"] = spent["machine"] - sum(v for k, v in spent.items() if k != "machine")
        return {k: round(v, 1) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}
