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
import math
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from channels.models import Channel
from dashboards.management.commands import _bench_floor as floor
from dashboards.management.commands._bench_data import (
    analyze,
    dataset_current,
    dataset_generate,
    others_refuse,
)
from dashboards.management.commands._bench_docs import RPS_RUNS, docs_write, machine
from dashboards.models import BenchDataset
from funnel.imports import kpi_import
from funnel.models import (
    DailyCount,
    DailyFact,
    DailyTotal,
    Indicator,
    ManagerTotal,
    MonthTotal,
)
from funnel.summaries.rebuild import totals_rebuild
from teams.models import Team, User

SCALES = {"S": (50, 1), "M": (500, 1), "L": (500, 3)}
IMPORT_ROWS = 100_000
IMPORT_RUNS = 5
BIG_IMPORT_ROWS = 1_000_000
FULL = "full=1"  # the page with every panel in one response
COMPUTED, FULL_COMPUTED = "computed", "full=1 computed"  # the same with the cache off
# The pages timed in turn with the floor: their row's label and their results' key, of a
# scenario; every other panel is a fragment ("dash <scenario> <panel>", no key).
TIMED = {
    "": ("dash {} PAGE", "dash_{}"),
    FULL: ("dash {} PAGE full=1", "dash_{}_full"),
    COMPUTED: ("dash {} PAGE computed", "dash_{}_computed"),
    FULL_COMPUTED: ("dash {} PAGE full=1 computed", "dash_{}_full_computed"),
    "floor": ("floor {}", "floor_{}"),
}
PANELS = ("cards", "company", "funnel", "trend", "leaderboard", "conversions", "plans", "missing")


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
        if not no_docs:
            path = docs_write(vendor, scale, results, rows, machine())
            self.stdout.write(f"wrote {os.path.relpath(path, settings.BASE_DIR)}")
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
            # each fragment. The two pages are timed as served (their panels from the cache
            # when nothing was saved since they were kept, as in these warm runs) and
            # computed (the cache off, as after a save: dashboards/panel_cache.py).
            def computed(panel: str = "", get=get):
                with override_settings(DASHBOARD_CACHE=False):
                    return get(panel)

            with override_settings(ROOT_URLCONF=floor.URLCONF):
                ratio_calls = {
                    "": partial(get),
                    FULL: partial(get, FULL),
                    COMPUTED: partial(computed),
                    FULL_COMPUTED: partial(computed, FULL),
                    "floor": partial(get, url=floor.FLOOR_PATH),
                }
                together = timed_together(ratio_calls, runs)
                for panel in ("", FULL, COMPUTED, FULL_COMPUTED, *PANELS, "floor"):
                    if panel == "company" and not user.sees_everything:
                        continue
                    call = ratio_calls.get(panel) or partial(get, panel)
                    call()  # warm, as the cell save's are: the process's catalogue is read
                    with CaptureQueriesContext(connection) as captured:
                        size = len(call().content)
                    # Each request empties the connection's query log: count before the next.
                    queries = len(captured)
                    times = together[panel] if panel in together else timed(call, runs)
                    label, key = TIMED.get(panel, ("dash {} " + panel, None))
                    rows.append(
                        (
                            label.format(name),
                            statistics.median(times),
                            percentile(times, 0.95),
                            queries,
                            size,
                        )
                    )
                    if key is not None:
                        key = key.format(name)
                        results[f"{key}_p50_ms"] = round(statistics.median(times), 1)
                        results[f"{key}_p95_ms"] = round(percentile(times, 0.95), 1)
                        results[f"{key}_queries"] = queries
            fragments = [r for r in rows if r[0].startswith(f"dash {name} ") and "PAGE" not in r[0]]
            results[f"frag_{name}_max_p50_ms"] = round(max(r[1] for r in fragments), 1)
            if name == "365d":
                # Requests/s per worker for the dashboard alone: serial first responses.
                times = timed(get, RPS_RUNS, warm=0)
                results["dash_365d_rps"] = round(1000 / statistics.mean(times), 1)
                times = timed(computed, RPS_RUNS, warm=0)
                results["dash_365d_computed_rps"] = round(1000 / statistics.mean(times), 1)
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
