"""The bench's page, docs/benchmarks.md: the summary of every scale and database run so
far (kept in the page itself, as JSON in a comment), each run's items, and the notes
written by hand after them."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dashboards.management.commands import _bench_floor as floor

DOCS = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
RESULTS_TAG = "<!-- bench-results "
RPS_RUNS = 100  # serial first responses of (b) for requests/s per worker

# The measurements (whole page through Django + gunicorn with totals): p50 ms.
REFERENCE = {
    "S": {"dash_30d_p50_ms": 30, "dash_365d_p50_ms": 42, "dash_team_p50_ms": 44},
    "M": {"dash_30d_p50_ms": 34, "dash_365d_p50_ms": 56, "dash_team_p50_ms": 43},
    "L": {"dash_30d_p50_ms": 33, "dash_365d_p50_ms": 73, "dash_team_p50_ms": 46},
}
TARGETS = {
    ("postgresql", "S"): {"dash_30d_p50_ms": 60, "dash_365d_p50_ms": 80},
    ("postgresql", "M"): {"dash_365d_p50_ms": 120},
    ("postgresql", "L"): {
        "dash_30d_p50_ms": 70,
        "dash_365d_p50_ms": 150,
        "dash_team_p50_ms": 100,
        "save_p50_ms": 25,
    },
    ("sqlite", "S"): {"dash_365d_p50_ms": 120},
}
IMPORT_TARGET = 50_000


ORDER = ["sqlite-S", "postgresql-S", "postgresql-M", "postgresql-L"]
SUMMARY_KEYS = [
    ("dash_30d_p50_ms", "(a) page, 30 days, all managers, as served, p50 ms"),
    ("dash_365d_p50_ms", "(b) page, 365 days, all managers, as served, p50 ms"),
    ("dash_team_p50_ms", "(c) page, 365 days, one team (its head), as served, p50 ms"),
    ("dash_30d_p95_ms", "(a) p95 ms"),
    ("dash_365d_p95_ms", "(b) p95 ms"),
    ("dash_team_p95_ms", "(c) p95 ms"),
    ("frag_30d_max_p50_ms", "slowest fragment (a), as served, p50 ms"),
    ("frag_365d_max_p50_ms", "slowest fragment (b), as served, p50 ms"),
    ("frag_team_max_p50_ms", "slowest fragment (c), as served, p50 ms"),
    ("dash_30d_full_p50_ms", "(a) whole page (`&full=1`), as served, p50 ms"),
    ("dash_365d_full_p50_ms", "(b) whole page (`&full=1`), as served, p50 ms"),
    ("dash_team_full_p50_ms", "(c) whole page (`&full=1`), as served, p50 ms"),
    ("floor_30d_p50_ms", "(a) floor (the same sums, plain rows), p50 ms"),
    ("floor_365d_p50_ms", "(b) floor, p50 ms"),
    ("floor_team_p50_ms", "(c) floor, p50 ms"),
    ("ratio_30d_full", "(a) whole page / floor, same run, as served"),
    ("ratio_365d_full", "(b) whole page / floor, same run, as served"),
    ("ratio_team_full", "(c) whole page / floor, same run, as served"),
    ("ratio_30d_first", "(a) first response / floor, same run, as served"),
    ("ratio_365d_first", "(b) first response / floor, same run, as served"),
    ("ratio_team_first", "(c) first response / floor, same run, as served"),
    ("dash_30d_full_computed_p50_ms", "(a) whole page computed (cache off), p50 ms"),
    ("dash_365d_full_computed_p50_ms", "(b) whole page computed, p50 ms"),
    ("dash_team_full_computed_p50_ms", "(c) whole page computed, p50 ms"),
    ("ratio_30d_full_computed", "(a) whole page computed / floor, same run"),
    ("ratio_365d_full_computed", "(b) whole page computed / floor, same run"),
    ("ratio_team_full_computed", "(c) whole page computed / floor, same run"),
    ("ratio_30d_first_computed", "(a) first response computed / floor, same run"),
    ("ratio_365d_first_computed", "(b) first response computed / floor, same run"),
    ("ratio_team_first_computed", "(c) first response computed / floor, same run"),
    ("dash_365d_rps", f"requests/s per worker, dashboard alone ((b), {RPS_RUNS} serial)"),
    ("dash_365d_computed_rps", "requests/s per worker, computed (cache off)"),
    ("dash_365d_computed_queries", "queries per page (b), computed (cache off)"),
    ("dash_365d_queries", "queries per page (b), as served"),
    ("save_p50_ms", "week-grid cell save, p50 ms"),
    ("report_p50_ms", "kpi_report for a year, p50 ms"),
    ("import_rows_per_s", "import, rows/s (100,000 rows)"),
    ("peak_rss_mb", "peak RSS of the serving process, MB"),
    ("import_peak_rss_mb", "peak RSS of the process during the 100,000-row imports, MB"),
    ("import_rss_growth_mb", "of which the imports' growth over the process before, MB"),
    ("import_1m_s", "import of 1,000,000 rows in the worker, s"),
    ("import_1m_peak_rss_mb", "peak RSS of that worker, MB"),
    ("generate_s", "data set generation, s"),
    ("runs", "timed requests per item"),
]


def _verdict(key: str, run: str, value) -> str:
    vendor, scale = run.split("-")
    if (ratio := floor.ratio_verdict(key, value)) is not None:
        return ratio
    if value is None:
        return "—"
    target = TARGETS.get((vendor, scale), {}).get(key)
    if key == "import_rows_per_s":
        target = IMPORT_TARGET
        return f"{value:,} {'✓' if value >= target else '✗'}"
    if target is None:
        return f"{value}"
    return f"{value} {'✓' if value <= target else '✗'} (≤ {target})"


def render_docs(stored: dict) -> str:
    runs = [r for r in ORDER if r in stored] + sorted(set(stored) - set(ORDER))
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench SCALE=S|M|L` (`manage.py bench`); do not edit by hand — the",
        "numbers below are rewritten by each run of that scale and database.",
        "",
        "Data: 4 default channels (22 stages), one fact per manager × channel × day with a",
        "count for every stage and the money block, teams of 10; S = 50 managers × 1 year,",
        "M = 500 × 1 year, L = 500 × 3 years, generated through `facts_write` in batches of",
        "~150,000 values.",
        "Requests go through Django's test Client in the benchmark process (middleware,",
        "sessions, view, templates; no HTTP server in front), warm, after 2 untimed requests.",
        "(a) and (b) are the director's page, (c) the page of a team's head over 365 days.",
        "The cell save is the real week-grid view (POST, HTMX) by the team's head.",
        "The machine is shared with other work: see the load average of each run.",
        "",
        "The floor is a view of the bench's own (not in the app's URLs) that makes the",
        "dashboard's summary reads for the same filters — the headline cards, each channel's",
        "funnel, the leaderboard's first 20 rows — and renders those numbers as plain rows in",
        "a minimal template, through the same middleware. The first response is",
        "`/dashboard/?…`, the whole page `/dashboard/?…&full=1` (every panel in one response).",
        "Both pages are timed as served — their panels from the cache, since nothing is saved",
        "between these warm requests (`dashboards/panel_cache.py`) — and computed, with the",
        "cache off, as after any save. The five are timed in turn (one of each, then again), so",
        "that whatever the machine does meanwhile falls on all of them alike.",
        f"Their p50 over the floor's: ✓ within {floor.FIRST_BUDGET}× for the first response,",
        f"{floor.FULL_BUDGET}× for the whole page. Only ratios measured in the same run are",
        "compared; a page's milliseconds from runs at different loads are not.",
        "Requests/s per worker: 1000 / the mean ms of serial first responses of (b) in the",
        "benchmark process.",
        "",
        "## Summary",
        "",
        "| | " + " | ".join(runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for key, label in SUMMARY_KEYS:
        cells = [_verdict(key, run, stored[run]["results"].get(key)) for run in runs]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Issue #8's reference (whole page through Django + gunicorn with maintained totals,",
        "p50 ms, 30 d / 365 d / team): "
        + ", ".join(
            f"{scale} " + " / ".join(str(value) for value in figures.values())
            for scale, figures in REFERENCE.items()
        )
        + ";",
        "plain SQL without totals at 365 days: S 302 ms, M 2.9 s, L 3.4 s.",
        "",
        "## Machines",
        "",
        "| run | CPU | cores | RAM | database | Python | Django | load (1/5/15 min) | date |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        m = stored[run]["machine"]
        lines.append(
            f"| {run} | {m['cpu']} | {m['cores']} | {m['ram']} | {m['database']} | "
            f"{m['python']} | {m['django']} | {m['load']} | {m['date']} |"
        )
    for run in runs:
        lines += [
            "",
            f"## {run}: every item",
            "",
            "| item | p50 ms | p95 ms | queries | KB |",
            "|---|---|---|---|---|",
        ]
        for label, p50, p95, queries, size in stored[run]["rows"]:
            q = "" if queries is None else queries
            kb = f"{size / 1024:.0f}" if size else ""
            lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {q} | {kb} |")
        results = stored[run]["results"]
        line = " ".join(f"{k}={v}" for k, v in results.items() if v is not None)
        lines += ["", f"`bench: scale={run.split('-')[1]} db={run.split('-')[0]} {line}`"]
    lines += ["", RESULTS_TAG + json.dumps(stored, sort_keys=True) + " -->", ""]
    return "\n".join(lines)


def docs_write(vendor: str, scale: str, results: dict, rows: list, machine: dict) -> Path:
    """This run's results into the page, with the other runs' and the notes after them."""
    stored: dict = {}
    notes = ""
    if DOCS.exists():
        text = DOCS.read_text()
        if RESULTS_TAG in text:
            found, notes = text.split(RESULTS_TAG, 1)[1].split(" -->", 1)
            stored = json.loads(found)
    stored[f"{vendor}-{scale}"] = {
        "results": results,
        "rows": [list(r) for r in rows],
        "machine": machine,
    }
    DOCS.parent.mkdir(exist_ok=True)
    # The sections written by hand after the results (before-and-after notes) stay.
    DOCS.write_text(render_docs(stored) + notes.removeprefix("\n"))
    return DOCS


def _meminfo_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return "?"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> dict:
    """What the page's Machines table shows of this machine and this moment."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "ram": _meminfo_gb(),
        "database": database,
        "python": platform.python_version(),
        "django": django.get_version(),
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "date": timezone.now().strftime("%Y-%m-%d %H:%M"),
    }
