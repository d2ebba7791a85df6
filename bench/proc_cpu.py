"""CPU time spent by a set of processes, read from /proc: what a request costs the web
server and PostgreSQL, whatever else the (shared) machine is doing meanwhile.

Throughput on a busy machine says as much about the neighbours as about the code; CPU
seconds per request do not. Linux only (bench/api.py prints no CPU column elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of process `pid` (all its threads), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After "pid (comm)": state is field 3 of the man page, utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def process_tree(root: int) -> list[int]:
    """`root` and its descendants (gunicorn's master and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


class CpuMeter:
    """CPU seconds of named groups of processes between two snapshots. `groups` maps a
    name to a function listing its pids now (processes may come and go between)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups

    def available(self) -> bool:
        return cpu_seconds(os.getpid()) is not None

    def snapshot(self) -> dict[str, dict[int, float]]:
        return {
            name: {pid: cpu for pid in pids() if (cpu := cpu_seconds(pid)) is not None}
            for name, pids in self.groups.items()
        }

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]):
        """Seconds per group; a process started in between counts from zero."""
        return {
            name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in now.items())
            for name, now in after.items()
        }
