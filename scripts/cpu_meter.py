"""CPU time spent by the processes of a load test, per part: the app's gunicorn processes,
the PostgreSQL backends serving its database, and the load generator itself (Linux /proc).

Throughput on a shared machine is bounded by CPU: requests/s ≈ cores ÷ CPU seconds a request.
Wall-clock latencies move with whatever else the machine runs; CPU seconds a request barely
do, so this is what a change to the app is judged by when the machine is not quiet.

A sampler thread reads every matching process's utime + stime every `interval` seconds and
keeps each process's first and last reading: a process that exits during the run (a database
connection closed at CONN_MAX_AGE) loses at most one interval of its time; one that starts
during the run counts from zero.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stat_fields(text: str) -> tuple[str, int, float]:
    """(command name, parent pid, utime + stime in seconds) of a /proc/<pid>/stat line. The
    name is in parentheses and may itself hold spaces or parentheses: split after the last."""
    name = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    # Fields after the name, from 3 (state): ppid is 4, utime 14, stime 15.
    ppid, utime, stime = int(rest[1]), int(rest[11]), int(rest[12])
    return name, ppid, (utime + stime) / TICKS


def processes(proc: Path = PROC) -> Iterable[tuple[int, str, int, float, str]]:
    """(pid, name, ppid, cpu seconds, command line) of every process still readable."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, ppid, seconds = stat_fields((entry / "stat").read_text())
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        yield int(entry.name), name, ppid, seconds, cmdline


class CpuMeter:
    """CPU seconds per part while running: `parts` maps a part's name to a predicate on
    (pid, name, ppid, command line) that says whether a process belongs to it.

        meter = CpuMeter({"app": ..., "database": ...})
        meter.start(); ...; meter.stop()
        meter.seconds()  # {"app": 12.3, "database": 4.5}
    """

    def __init__(
        self,
        parts: dict[str, Callable[[int, str, int, str], bool]],
        *,
        interval: float = 0.5,
        read: Callable[[], Iterable[tuple[int, str, int, float, str]]] = processes,
    ):
        self.parts, self.interval, self.read = parts, interval, read
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = False

    def sample(self) -> None:
        for pid, name, ppid, seconds, cmdline in self.read():
            for part, belongs in self.parts.items():
                if belongs(pid, name, ppid, cmdline):
                    key = (part, pid)
                    # Seen first after the start: it began during the run, all of it counts.
                    self.first.setdefault(key, seconds if not self._started else 0.0)
                    self.last[key] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self.sample()
        self._started = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(self.parts, 0.0)
        for (part, pid), last in self.last.items():
            totals[part] += last - self.first[(part, pid)]
        return totals
