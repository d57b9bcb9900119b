"""python manage.py bench --scale S|M|L [--rebuild] [--runs N] [--no-docs]

Generates a deterministic company of the given scale through facts_write (kept between
runs: the table dashboards.BenchDataset records what was generated), then measures, warm
and in this process through Django's test Client (the whole view stack, no HTTP server in
front), p50 and p95 of the dashboard's first response (`/dashboard/?…`), its whole page
(`&full=1`), each of its fragments and the floor (the same summary reads as plain rows, see
_bench_floor) with the page's ratios to it, requests/s of the first response, a week-grid
cell save, kpi_report for a year and an import of 100,000 rows; peak RSS of this process
while it serves them, then during the imports; queries per page; then a 1,000,000-row
import through the background worker's path in a child process, with that child's peak RSS.
Prints a table, writes docs/benchmarks.md and ends with one `bench: …` line.

Use a database of its own (DATABASE_URL): it refuses a database holding other people
(anyone whose username does not start with "bench-").
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from channels.models import Channel
from dashboards.management.commands import _bench_floor as floor
from dashboards.models import BenchDataset
from funnel.imports import kpi_import
from funnel.models import (
    MONEY_CODES,
    DailyCount,
    DailyFact,
    DailyTotal,
    FactChange,
    Indicator,
    ManagerTotal,
    MonthTotal,
)
from funnel.services import ValueWrite, facts_write
from funnel.summaries.rebuild import totals_rebuild
from teams.models import Team, User

SCALES = {"S": (50, 1), "M": (500, 1), "L": (500, 3)}
TEAM_SIZE = 10
PREFIX = "bench-"  # every person the bench creates, and nobody else
BATCH_VALUES = 150_000
IMPORT_ROWS = 100_000
IMPORT_RUNS = 5
BIG_IMPORT_ROWS = 1_000_000
FULL = "full=1"  # the page with every panel in one response
RPS_RUNS = 100  # serial first responses of (b) for requests/s per worker
PANELS = ("cards", "company", "funnel", "trend", "leaderboard", "conversions", "plans", "missing")
DOCS = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
RESULTS_TAG = "<!-- bench-results "

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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed(call: Callable[[], object], runs: int, warm: int = 2) -> list[float]:
    return timed_together({"": call}, runs, warm)[""]


def timed_together(
    calls: dict[str, Callable[[], object]], runs: int, warm: int = 2
) -> dict[str, list[float]]:
    """Each call timed `runs` times, in turn (a, b, c, a, b, c, …): whatever the machine does
    meanwhile falls on all of them alike, so their ratios hold within a run."""
    for call in calls.values():
        for _ in range(warm):
            call()
    result: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            result[name].append((time.perf_counter() - start) * 1000)
    return result


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


def _peak_rss_reset() -> bool:
    """Reset the kernel's high-water mark of this process (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_mb(field: str) -> float | None:
    """A size from /proc/self/status in MB ("VmHWM:" the peak, "VmRSS:" now); None
    without it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_rss_mb() -> float:
    if (found := _rss_mb("VmHWM:")) is not None:
        return found
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the data set (functions, so that a test can make a tiny one) ---------------------------


def others_refuse() -> None:
    """Refuse a database that holds anyone the bench did not create."""
    if User.objects.exclude(username__startswith=PREFIX).exists():
        raise CommandError(
            "This database holds other users: run the benchmark on a database of its own "
            "(DATABASE_URL=postgres://…/kpi_bench or sqlite:////tmp/bench.sqlite3)."
        )


def dataset_current() -> BenchDataset | None:
    """The data set an earlier run generated here, None without one."""
    return BenchDataset.objects.order_by("-created_at", "-pk").first()


def dataset_generate(
    scale: str, *, managers: int, days: int, end: dt.date, out: OutputWrapper
) -> BenchDataset:
    """Wipe the bench's data and generate `managers` managers' facts of the `days` days up
    to `end`; record it in BenchDataset. Refuses a database with other people."""
    others_refuse()
    started = time.perf_counter()
    _wipe()
    start = end - dt.timedelta(days=days - 1)
    people = _people(managers)
    _facts(scale, people, start, end, out)
    analyze()
    return BenchDataset.objects.create(
        scale=scale, end=end, generate_seconds=round(time.perf_counter() - started, 1)
    )


def analyze() -> None:
    """What autovacuum would do after a bulk load: statistics and the visibility map
    (VACUUM cannot run inside a transaction, a test's for one: ANALYZE alone there)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _wipe() -> None:
    # A dedicated database: raw deletes, no per-row signals (totals go with the facts).
    for model in (FactChange, DailyCount, DailyFact, DailyTotal, MonthTotal, ManagerTotal):
        model.objects.all()._raw_delete(connection.alias)
    BenchDataset.objects.all().delete()
    User.objects.filter(username__startswith=PREFIX).delete()
    Team.objects.filter(name__startswith="Bench ").delete()


def _people(count: int) -> list[User]:
    password = make_password(None)
    channels = list(Channel.objects.filter(is_active=True))
    User.objects.create(
        username="bench-director",
        full_name="Bench Director",
        role=User.Role.DIRECTOR,
        password=password,
    )
    managers = []
    for t in range(math.ceil(count / TEAM_SIZE)):
        team = Team.objects.create(name=f"Bench team {t + 1:02d}")
        head = User.objects.create(
            username=f"bench-head-{t + 1:02d}",
            full_name=f"Head {t + 1:02d}",
            role=User.Role.HEAD,
            password=password,
        )
        team.heads.add(head)
        members = [
            User(
                username=f"bench-m{n + 1:04d}",
                full_name=f"Manager {n + 1:04d}",
                role=User.Role.MANAGER,
                team=team,
                password=password,
            )
            for n in range(t * TEAM_SIZE, min(count, (t + 1) * TEAM_SIZE))
        ]
        managers += User.objects.bulk_create(members)
    for manager in managers:
        manager.channels.set(channels)
    return managers


def _facts(
    scale: str, managers: list[User], start: dt.date, end: dt.date, out: OutputWrapper
) -> None:
    channels = list(Channel.objects.filter(is_active=True).order_by("display_order", "pk"))
    indicators = {c.pk: list(Indicator.objects.filter(channel=c)) for c in channels}
    stages = {
        c.pk: [i.code for i in sorted(indicators[c.pk], key=lambda i: i.order) if i.is_stage]
        for c in channels
    }
    # The data set: one count per day × manager × stage (activities left out).
    per_day = sum(len(stages[c.pk]) + 4 for c in channels)
    days = (end - start).days + 1
    # Whole months of a group of managers per call: large batches, as an import would.
    group = max(1, BATCH_VALUES // (per_day * 31))
    first = start
    done = 0
    while first <= end:
        next_month = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = min(end, next_month - dt.timedelta(days=1))
        for offset in range(0, len(managers), group):
            writes: list[ValueWrite] = []
            for manager in managers[offset : offset + group]:
                rng = random.Random(f"{scale}:{manager.username}:{first}")
                skill = 0.6 + (manager.pk % 7) / 10
                day = first
                while day <= last:
                    for channel in channels:
                        writes += _day(rng, skill, day, manager.pk, channel.pk, stages)
                    day += dt.timedelta(days=1)
            facts_write(writes=writes, by=None, source=FactChange.Source.DEMO, confirm=True)
        done += (last - first).days + 1
        out.write(f"  generated {done}/{days} days", ending="\r")
        out.flush()
        first = last + dt.timedelta(days=1)
    out.write("")


def _day(rng, skill, day, manager_id, channel_id, stages) -> list[ValueWrite]:
    writes = []
    count = int(rng.randint(8, 40) * skill)
    for code in stages[channel_id]:
        writes.append(ValueWrite(day, manager_id, channel_id, code, count))
        count = int(count * rng.uniform(0.35, 0.8))
    won = count
    check = rng.randint(50, 500) * 100
    paid = rng.randint(0, won) if won else 0
    revenue = Decimal(paid * check + rng.randint(0, 99)) / 100 * 100
    money = {
        "invoiced_amount": Decimal(won * check),
        "payments_count": paid,
        "revenue": revenue.quantize(Decimal("0.01")),
        "variable_costs": (revenue * Decimal("0.42")).quantize(Decimal("0.01")),
    }
    for code in MONEY_CODES:
        if money[code]:
            writes.append(ValueWrite(day, manager_id, channel_id, code, money[code]))
    return writes


class Command(BaseCommand):
    help = "Generate a data set of a scale (kept between runs) and measure the dashboards."

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="S", choices=sorted(SCALES))
        parser.add_argument("--rebuild", action="store_true", help="Regenerate the data set.")
        parser.add_argument("--runs", type=int, default=20, help="Timed requests per item.")
        parser.add_argument("--no-docs", action="store_true", help="Do not write the docs.")
        parser.add_argument(
            "--import-upload",
            metavar="ID",
            help="(internal) run the stored upload ID the way the worker does, and exit.",
        )

    def handle(self, *args, scale: str, rebuild: bool, runs: int, no_docs: bool, **options):
        if options.get("import_upload"):
            self._import_upload(int(options["import_upload"]))
            return
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        vendor = connection.vendor
        if vendor == "sqlite" and scale != "S":
            raise CommandError("SQLite is benchmarked at scale S only.")
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        dataset, reused = self._data_set(scale, rebuild)
        end, generated_s = dataset.end, dataset.generate_seconds
        self.stdout.write(
            f"data set {scale}: {DailyFact.objects.count():,} facts, "
            f"{DailyCount.objects.count():,} counts, {DailyTotal.objects.count():,} totals, "
            f"up to {end}"
            + (f" (generated in {generated_s:.0f} s)" if generated_s else "")
            + (" by an earlier run" if reused else "")
        )
        # Static file URLs without a collectstatic manifest: the pages, not the files, count.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(
            ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False, DEBUG=False, STORAGES=storages
        ):
            results, rows = self._measure(scale, end, runs)
        results["runs"] = runs
        results["generate_s"] = round(generated_s, 1) if generated_s else None
        results["total_s"] = round(time.perf_counter() - started, 1)
        self._print(rows)
        machine = self._machine()
        if not no_docs:
            self._write_docs(vendor, scale, results, rows, machine)
        line = " ".join(f"{key}={value}" for key, value in results.items() if value is not None)
        self.stdout.write(f"bench: scale={scale} db={vendor} {line}")

    # ---- the data set ------------------------------------------------------------------

    def _data_set(self, scale: str, rebuild: bool) -> tuple[BenchDataset, bool]:
        """(the data set to measure, whether an earlier run made it)."""
        others_refuse()
        dataset = dataset_current()
        if dataset is not None and not rebuild:
            if dataset.scale != scale:
                raise CommandError(
                    f"This database holds the {dataset.scale} data set: use --rebuild "
                    f"(or a database per scale)."
                )
            if not ManagerTotal.objects.exists() or not MonthTotal.objects.exists():
                # A data set from before these tables: derive them once.
                totals_rebuild()
                analyze()
            return dataset, True
        managers, years = SCALES[scale]
        dataset = dataset_generate(
            scale, managers=managers, days=365 * years, end=timezone.localdate(), out=self.stdout
        )
        return dataset, False

    # ---- measurements ------------------------------------------------------------------

    def _measure(self, scale: str, end: dt.date, runs: int) -> tuple[dict, list]:
        director = User.objects.get(username="bench-director")
        head = User.objects.get(username="bench-head-01")
        team = Team.objects.get(name="Bench team 01")
        year_from = end - dt.timedelta(days=364)
        month_from = end - dt.timedelta(days=29)
        scenarios = {
            "30d": (director, {"date_from": month_from}),
            "365d": (director, {"date_from": year_from}),
            "team": (head, {"date_from": year_from, "team": team.pk}),
        }
        rows: list[tuple] = []
        results: dict[str, object] = {}
        rss_reset = _peak_rss_reset()
        # As kpi_project/wsgi.py does in every worker once the app is loaded.
        gc.collect()
        gc.freeze()
        for name, (user, params) in scenarios.items():
            client = Client()
            client.force_login(user)
            query = {"period": "custom", "date_from": params["date_from"], "date_to": end}
            if "team" in params:
                query["team"] = params["team"]

            def get(panel: str = "", client=client, query=query, url="/dashboard/"):
                data = dict(query)
                if panel == FULL:  # every panel in one response (clients without JavaScript)
                    data["full"] = 1
                elif panel:
                    data["panel"] = panel
                headers = {"HX-Request": "true"} if panel not in ("", FULL) else {}
                response = client.get(url, data, headers=headers, secure=True)
                if response.status_code != 200:
                    raise CommandError(f"{url} {data} answered {response.status_code}")
                return response

            # The bench's URLconf holds the app's URLs and the floor's (the same sums, plain
            # rows). The first response, the whole page and the floor are timed in turn, one
            # of each and again, so that their ratios are those of the same moments; then
            # each fragment.
            with override_settings(ROOT_URLCONF=floor.URLCONF):
                ratio_calls = {
                    "": partial(get),
                    FULL: partial(get, FULL),
                    "floor": partial(get, url=floor.FLOOR_PATH),
                }
                together = timed_together(ratio_calls, runs)
                for panel in ("", FULL, *PANELS, "floor"):
                    if panel == "company" and not user.sees_everything:
                        continue
                    call = ratio_calls.get(panel) or partial(get, panel)
                    call()  # warm, as the cell save's are: the process's catalogue is read
                    with CaptureQueriesContext(connection) as captured:
                        size = len(call().content)
                    # Each request empties the connection's query log: count before the next.
                    queries = len(captured)
                    times = together[panel] if panel in together else timed(call, runs)
                    label = {"": "dash {} PAGE", FULL: "dash {} PAGE full=1", "floor": "floor {}"}
                    label = label.get(panel, "dash {} " + panel).format(name)
                    rows.append(
                        (label, statistics.median(times), percentile(times, 0.95), queries, size)
                    )
                    prefix = {
                        "": f"dash_{name}",
                        FULL: f"dash_{name}_full",
                        "floor": f"floor_{name}",
                    }
                    if panel in prefix:
                        results[f"{prefix[panel]}_p50_ms"] = round(statistics.median(times), 1)
                        results[f"{prefix[panel]}_p95_ms"] = round(percentile(times, 0.95), 1)
                        results[f"{prefix[panel]}_queries"] = queries
            fragments = [r for r in rows if r[0].startswith(f"dash {name} ") and "PAGE" not in r[0]]
            results[f"frag_{name}_max_p50_ms"] = round(max(r[1] for r in fragments), 1)
            if name == "365d":
                # Requests/s per worker for the dashboard alone: serial first responses.
                times = timed(get, RPS_RUNS, warm=0)
                results["dash_365d_rps"] = round(1000 / statistics.mean(times), 1)
        results |= floor.ratios(results, scenarios)

        save = self._save_timer(head, end)
        times = timed(save, runs)
        rows.append(
            (
                "cell save (week grid, head)",
                statistics.median(times),
                percentile(times, 0.95),
                save.queries,
                0,
            )
        )
        results["save_p50_ms"] = round(statistics.median(times), 1)
        results["save_p95_ms"] = round(percentile(times, 0.95), 1)

        def report():
            call_command(
                "kpi_report", "--from", str(year_from), "--to", str(end), stdout=io.StringIO()
            )

        first = timed(report, 1, warm=1)[0]
        times = [first, *timed(report, runs - 1 if first < 1000 else 4, warm=0)]
        rows.append(
            ("kpi_report 365 days", statistics.median(times), percentile(times, 0.95), None, 0)
        )
        results["report_p50_ms"] = round(statistics.median(times), 1)

        data = self._import_file(end - dt.timedelta(days=365 * SCALES[scale][1]))
        # The serving process's peak before the imports; the imports' own peak from here.
        results["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        gc.collect()
        import_base = _rss_mb("VmRSS:")
        import_reset = _peak_rss_reset()
        times = []
        # Five imports, the two files in turn: the first may insert, the others change every
        # value. The median is a changing import.
        for run in range(IMPORT_RUNS):
            start = time.perf_counter()
            # Values above the floor of the usual are checked against the history and
            # confirmed (funnel.plausibility_checks): the import's full work.
            report_ = kpi_import(data[run % 2], by=None, accept_unusual=True)
            times.append(time.perf_counter() - start)
            if not report_.ok:
                raise CommandError(f"import refused: {report_.bad_rows[:3]}")
        rate = IMPORT_ROWS / statistics.median(times)
        rows.append(
            ("import 100,000 rows (s)", statistics.median(times) * 1000, max(times) * 1000, None, 0)
        )
        results["import_rows_per_s"] = round(rate)
        if import_reset:
            import_peak = _peak_rss_mb()
            results["import_peak_rss_mb"] = round(import_peak, 1)
            results["import_rss_growth_mb"] = round(import_peak - import_base, 1)
        seconds, rss = self._big_import(end - dt.timedelta(days=365 * SCALES[scale][1]))
        rows.append(("import 1,000,000 rows, worker (s)", seconds * 1000, seconds * 1000, None, 0))
        results["import_1m_s"] = round(seconds, 1)
        results["import_1m_peak_rss_mb"] = round(rss, 1)
        if not rss_reset:
            results["peak_rss_note"] = "since_start"
        return results, rows

    def _save_timer(self, head: User, end: dt.date):
        manager = User.objects.get(username="bench-m0001")
        channel = Channel.objects.filter(is_active=True).order_by("display_order", "pk").first()
        code = Indicator.objects.filter(channel=channel, kind="stage").order_by("order").first()
        client = Client()
        client.force_login(head)
        counter = iter(range(10**9))

        def save():
            # A new value every time, so each save really writes (history, totals).
            data = {
                "manager": manager.pk,
                "date": (end - dt.timedelta(days=2)).isoformat(),
                "channel": channel.pk,
                "code": code.code,
                "value": str(100 + next(counter) % 50),
                # Above the manager's usual: confirmed, so each save also reads their history
                # (funnel.plausibility_checks), the dearest path of a cell save.
                "confirm": "1",
            }
            response = client.post(
                "/entry/cell/", data, headers={"HX-Request": "true"}, secure=True
            )
            if response.status_code != 200 or "saved" not in response.headers.get("HX-Trigger", ""):
                raise CommandError(f"cell save answered {response.status_code}")

        save()  # warm, as the pages are: the process's catalogue is read (funnel.catalogue)
        with CaptureQueriesContext(connection) as captured:
            save()
        save.queries = len(captured)
        return save

    def _big_import(self, before: dt.date) -> tuple[float, float]:
        """A 1,000,000-row CSV imported in a child process through the background path (an
        ImportUpload run by funnel.uploads.upload_run, as the task does): (seconds, the
        child's peak RSS in MB). The upload is stored here, as the web process stores it:
        the child, like the worker, starts from its id."""
        import resource
        import subprocess
        import sys
        import tempfile

        from funnel.models import ImportUpload

        # The values the last run did not write, so that every run changes all of them (an
        # import of unchanged values writes nothing and would measure only the reading):
        # the file's last value (past the 100,000-row imports' days) tells which ones.
        for variant in (3, 4):
            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as out:
                self._write_rows(out, before, BIG_IMPORT_ROWS, variant=variant)
            with open(out.name, "rb") as written:
                written.seek(-1000, os.SEEK_END)
                tail = written.read().decode().splitlines()[1:]
            # The file's last count (money is stored on the fact, not as a count).
            last = next(line for line in reversed(tail) if not line.endswith(".50"))
            day, username, channel_code, code, value = last.split(",")
            stored = DailyCount.objects.filter(
                fact__date=day,
                fact__manager__username=username,
                fact__channel__code=channel_code,
                indicator__code=code,
            ).values_list("value", flat=True)
            if str(stored.first()) != value:
                break
            Path(out.name).unlink()
        path = Path(out.name)
        try:
            upload_id = ImportUpload.objects.create(
                uploaded_by=User.objects.get(username="bench-director"),
                name=path.name,
                data=path.read_bytes(),
                size=path.stat().st_size,
            ).pk
        finally:
            path.unlink()
        gc.collect()
        try:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "manage.py", "bench", "--import-upload", str(upload_id)],
                cwd=settings.BASE_DIR,
                # As a production worker runs: DEBUG off (no query log).
                env={**os.environ, "DEBUG": "false"},
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - start
        finally:
            ImportUpload.objects.filter(pk=upload_id).delete()
        if done.returncode != 0 or "status=done" not in done.stdout:
            raise CommandError(f"the 1,000,000-row import failed: {done.stdout} {done.stderr}")
        return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    def _import_upload(self, upload_id: int) -> None:
        from funnel.models import ImportUpload
        from funnel.uploads import upload_run

        upload_run(upload_id, dry_run=False, accept_unusual=True)
        # The report only: the file's bytes stay in the database.
        upload = ImportUpload.objects.defer("data").get(pk=upload_id)
        result = upload.result
        self.stdout.write(
            f"status={upload.status} rows={result.get('rows')} bad={result.get('bad_rows', [])[:3]}"
        )

    def _write_rows(self, out, before: dt.date, count: int, variant: int) -> None:
        managers = list(User.objects.filter(role=User.Role.MANAGER).order_by("username")[:50])
        pairs = [
            (c.code, code)
            for c in Channel.objects.filter(is_active=True).order_by("display_order", "pk")
            for code in [
                *Indicator.objects.filter(channel=c).values_list("code", flat=True),
                "revenue",
            ]
        ]
        out.write("date,manager,channel,indicator,value\n")
        written, day = 0, before
        while written < count:
            for manager in managers:
                for channel_code, code in pairs:
                    if written == count:
                        break
                    value = f"{variant * 7 + written % 13}"
                    if code == "revenue":
                        value += ".50"
                    out.write(f"{day},{manager.username},{channel_code},{code},{value}\n")
                    written += 1
            day -= dt.timedelta(days=1)

    def _import_file(self, before: dt.date) -> tuple[bytes, bytes]:
        """Two 100,000-row files over the days before the data set (alternating values,
        so that every run changes what it imports)."""
        files = []
        for variant in (1, 2):
            out = io.StringIO()
            self._write_rows(out, before, IMPORT_ROWS, variant)
            files.append(out.getvalue().encode())
        return files[0], files[1]

    # ---- output ------------------------------------------------------------------------

    def _print(self, rows: list[tuple]) -> None:
        self.stdout.write(f"{'item':<34} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} {'KB':>7}")
        for label, p50, p95, queries, size in rows:
            q = "" if queries is None else str(queries)
            kb = f"{size / 1024:.0f}" if size else ""
            self.stdout.write(f"{label:<34} {p50:>9.1f} {p95:>9.1f} {q:>8} {kb:>7}")

    def _machine(self) -> dict:
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

    def _write_docs(self, vendor, scale, results, rows, machine) -> None:
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
        self.stdout.write(f"wrote {os.path.relpath(DOCS, settings.BASE_DIR)}")


ORDER = ["sqlite-S", "postgresql-S", "postgresql-M", "postgresql-L"]
SUMMARY_KEYS = [
    ("dash_30d_p50_ms", "(a) page, 30 days, all managers, p50 ms"),
    ("dash_365d_p50_ms", "(b) page, 365 days, all managers, p50 ms"),
    ("dash_team_p50_ms", "(c) page, 365 days, one team (its head), p50 ms"),
    ("dash_30d_p95_ms", "(a) p95 ms"),
    ("dash_365d_p95_ms", "(b) p95 ms"),
    ("dash_team_p95_ms", "(c) p95 ms"),
    ("frag_30d_max_p50_ms", "slowest fragment (a), p50 ms"),
    ("frag_365d_max_p50_ms", "slowest fragment (b), p50 ms"),
    ("frag_team_max_p50_ms", "slowest fragment (c), p50 ms"),
    ("dash_30d_full_p50_ms", "(a) whole page (`&full=1`), p50 ms"),
    ("dash_365d_full_p50_ms", "(b) whole page (`&full=1`), p50 ms"),
    ("dash_team_full_p50_ms", "(c) whole page (`&full=1`), p50 ms"),
    ("floor_30d_p50_ms", "(a) floor (the same sums, plain rows), p50 ms"),
    ("floor_365d_p50_ms", "(b) floor, p50 ms"),
    ("floor_team_p50_ms", "(c) floor, p50 ms"),
    ("ratio_30d_full", "(a) whole page / floor, same run"),
    ("ratio_365d_full", "(b) whole page / floor, same run"),
    ("ratio_team_full", "(c) whole page / floor, same run"),
    ("ratio_30d_first", "(a) first response / floor, same run"),
    ("ratio_365d_first", "(b) first response / floor, same run"),
    ("ratio_team_first", "(c) first response / floor, same run"),
    ("dash_365d_rps", f"requests/s per worker, dashboard alone ((b), {RPS_RUNS} serial)"),
    ("dash_365d_queries", "queries per page"),
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
        "The three are timed in turn (one of each, then again), so that whatever the machine",
        "does meanwhile falls on all three alike.",
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
