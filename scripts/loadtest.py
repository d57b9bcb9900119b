"""Load test: gunicorn on PostgreSQL and Redis, 50 managers saving week-grid cells and 5
heads loading dashboards for a bounded time, over loopback only. Then: zero lost or
duplicated writes.

    DATABASE_URL=postgres://USER@HOST:5432/kpi python scripts/loadtest.py --seconds 60
    python scripts/loadtest.py --seconds 60 --faults

Redis is a private redis-server the run starts on a free port (--no-redis: without a cache).
With --faults the database is a private PostgreSQL cluster too (initdb into a temporary
directory, DATABASE_URL not needed): during the run it crashes and restarts, and Redis hangs
for a few seconds (scripts/faults.py); a 503 is then the expected answer, and the cells it
left in doubt are not checked. Servers other people use are never touched.

The run creates its own database next to DATABASE_URL's (`<name>_loadtest_<pid>`), migrates
it, fills it with its own people, and drops it at the end (--keep keeps it). At the end every
cell must hold the last value its manager sent, the history must have exactly one entry per
change, and the maintained totals must equal a fresh aggregation. Prints p50/p95 latencies
per request kind and `loadtest: requests=N errors=E lost=L p50_ms=… p95_ms=…`; the exit status
is non-zero on any error or lost write.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_meter import CpuMeter  # noqa: E402
from faults import PrivatePostgres, PrivateRedis, fault_plan  # noqa: E402
from serving import HOST, Browser, free_port, gunicorn, production_env, stop  # noqa: E402

MAX_SECONDS = 600
TEAMS = 5
MANAGERS_PER_TEAM = 10
CODES = ("first_contacts", "meetings_set", "leads_received", "qualified_leads", "revenue")
# The dashboard's lazy panels, each fetched by a head after the page (?panel=NAME, htmx).
HEAD_PANELS = (
    *("trend", "leaderboard", "conversions", "plans"),
    *("missing", "money", "margin", "leaks"),
)
# The cell's answer to a value above the manager's usual: saved only with "Save anyway".
UNUSUAL_CELL = 'class="cell-confirm"'


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help=f"duration, 1..{MAX_SECONDS}")
    parser.add_argument("--managers", type=int, default=TEAMS * MANAGERS_PER_TEAM)
    parser.add_argument("--heads", type=int, default=TEAMS)
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads a worker (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--keep-alive", type=int, default=None, help="seconds (default: gunicorn.conf.py)"
    )
    parser.add_argument("--think-ms", type=int, default=50, help="mean pause between requests")
    parser.add_argument("--keep", action="store_true", help="keep the load-test database")
    parser.add_argument("--no-redis", action="store_true", help="run without a Redis cache")
    parser.add_argument(
        "--faults", action="store_true", help="private PostgreSQL and Redis; crash and hang them"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")
    if not 1 <= args.managers <= 500 or not 1 <= args.heads <= TEAMS:
        parser.error(f"--managers 1..500, --heads 1..{TEAMS}")
    return args


def gunicorn_options(args: argparse.Namespace) -> list[str]:
    """The counts given on the command line; gunicorn.conf.py's otherwise."""
    options = []
    if args.workers is not None:
        options += ["--workers", str(args.workers)]
    if args.threads is not None:
        options += ["--threads", str(args.threads)]
    if args.keep_alive is not None:
        options += ["--keep-alive", str(args.keep_alive)]
    return options


# ---- the database ---------------------------------------------------------------------------


def database_urls(url: str) -> tuple[str, str, str]:
    """(the server's URL, the load-test database's URL, its name); PostgreSQL only."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or not parts.path.strip("/"):
        sys.exit("loadtest: set DATABASE_URL=postgres://USER@HOST:PORT/DB (PostgreSQL only)")
    name = f"{parts.path.strip('/')}_loadtest_{os.getpid()}"
    return url, urlunsplit(parts._replace(path="/" + name)), name


def admin_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


# ---- one simulated person -------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: bool = False
    refused_at: list[float] = field(default_factory=list)  # monotonic times of 5xx answers

    def record(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if isinstance(status, int) and status >= 500:
                self.refused_at.append(time.monotonic())

    def failed(self) -> None:
        with self.lock:
            self.statuses["network"] += 1

    def unavailable(self, response) -> bool:
        """A 503 with Retry-After: the expected answer while the database is down (--faults)."""
        return self.faults and response.status == 503 and bool(response.getheader("Retry-After"))

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


@dataclass
class Cell:
    sent: list[str] = field(default_factory=list)  # values confirmed saved, in order
    uncertain: bool = False  # a request whose outcome is unknown (network error, 503)
    # Values sent after the last confirmed one whose outcome is unknown.
    tried: list[str] = field(default_factory=list)

    def confirmed(self, value: str) -> None:
        self.sent.append(value)
        self.tried.clear()

    def doubtful(self, value: str) -> None:
        self.uncertain = True
        self.tried.append(value)


def cell_save(browser, key, body, cells, stats) -> None:
    """One cell sent as the grid sends it; an unusual value is then saved with "Save anyway"
    (confirm=1), as its manager would, and counted as a request of its own (cell-confirm)."""
    value = body["value"]
    kind = "cell"
    for _attempt in range(2):
        try:
            response, text = browser.request(
                kind, "POST", "/entry/cell/", body, **{"HX-Request": "true"}
            )
        except (OSError, http.client.HTTPException) as error:
            cells[key].doubtful(value)
            stats.error(f"{kind} {key}: {error!r}")
            return
        if response.status == 200 and "counts-saved" in (response.getheader("HX-Trigger") or ""):
            cells[key].confirmed(value)
            return
        if stats.unavailable(response):
            cells[key].doubtful(value)  # refused, unless the crash came after the commit
            return
        if response.status == 200 and kind == "cell" and UNUSUAL_CELL in text:
            body, kind = {**body, "confirm": "1"}, "cell-confirm"
            continue
        cells[key].doubtful(value)
        stats.error(f"{kind} {key} answered {response.status}: {text[:200]!r}")
        return


def manager_loop(browser, manager, days, deadline, think, cells, stats, rng) -> None:
    while time.monotonic() < deadline:
        day = rng.choice(days)
        channel_id, code = rng.choice(manager["rows"])
        if code == "revenue":
            value = f"{rng.randint(0, 99_999)}.{rng.randint(0, 99):02d}"
        else:
            value = str(rng.randint(0, 200))
        key = (manager["id"], day, channel_id, code)
        body = {"date": day, "channel": channel_id, "code": code, "value": value}
        cell_save(browser, key, body, cells, stats)
        time.sleep(rng.expovariate(1 / think) if think else 0)


def head_requests() -> list[tuple[str, str, dict[str, str]]]:
    """(kind, path, headers) of one dashboard visit: the page, then each lazy panel as the
    page's htmx asks for it when it scrolls into view."""
    visit = [("dashboard", "/dashboard/", {})]
    for panel in HEAD_PANELS:
        path = "/dashboard/?" + urlencode({"panel": panel})
        visit.append((f"panel:{panel}", path, {"HX-Request": "true"}))
    return visit


def head_loop(browser, deadline, think, stats, rng) -> None:
    visit = head_requests()
    while time.monotonic() < deadline:
        for kind, path, headers in visit:
            try:
                response, text = browser.request(kind, "GET", path, **headers)
            except (OSError, http.client.HTTPException) as error:
                stats.error(f"{kind}: {error!r}")
                break
            if response.status != 200 and not stats.unavailable(response):
                stats.error(f"{kind} answered {response.status}: {text[:200]!r}")
            if time.monotonic() >= deadline:
                break
        time.sleep(rng.expovariate(1 / think) if think else 0)


# ---- setup and checks (Django in this process, on the load-test database) -------------------


def setup_people(args, password: str) -> tuple[list[dict], list[dict], list[str]]:
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from channels.models import Channel
    from funnel.models import Indicator
    from teams.models import Team, User

    hashed = make_password(password)  # once: hashing 55 passwords would take a minute
    channels = list(Channel.objects.filter(code__in=["active", "inbound"]))
    codes = set(CODES)
    rows = [
        (i.channel_id, i.code)
        for i in Indicator.objects.filter(channel__in=channels, code__in=codes)
    ] + [(c.pk, "revenue") for c in channels]
    teams = [Team.objects.create(name=f"Load team {t + 1}") for t in range(TEAMS)]
    managers, heads = [], []
    for n in range(args.managers):
        user = User.objects.create(
            username=f"load_m{n:03d}", password=hashed, role=User.Role.MANAGER, team=teams[n % 5]
        )
        user.channels.set(channels)
        managers.append({"id": user.pk, "username": user.username, "rows": rows})
    for t in range(args.heads):
        user = User.objects.create(username=f"load_h{t}", password=hashed, role=User.Role.HEAD)
        teams[t].heads.add(user)
        heads.append({"id": user.pk, "username": user.username})
    today = timezone.localdate()
    # Inside every manager's edit window, never today (a run may cross midnight).
    days = [(today - dt.timedelta(days=back)).isoformat() for back in range(1, 6)]
    return managers, heads, days


def check_writes(cells: dict[tuple, Cell]) -> tuple[int, int, list[str]]:
    """(cells checked, lost or duplicated writes, a few descriptions)."""
    from funnel.models import MONEY_CODES, DailyCount, DailyFact, FactChange
    from funnel.summaries.verify import totals_differences

    stored: dict[tuple, Decimal] = {}
    for fact in DailyFact.objects.filter(manager__username__startswith="load_m"):
        for code in MONEY_CODES:
            stored[(fact.manager_id, fact.date.isoformat(), fact.channel_id, code)] = getattr(
                fact, code
            )
    counts = DailyCount.objects.filter(fact__manager__username__startswith="load_m")
    for manager_id, date, channel_id, code, value in counts.values_list(
        "fact__manager_id", "fact__date", "fact__channel_id", "indicator__code", "value"
    ):
        stored[(manager_id, date.isoformat(), channel_id, code)] = value
    history: dict[tuple, int] = defaultdict(int)
    for manager_id, date, channel_id, code in FactChange.objects.values_list(
        "fact__manager_id", "fact__date", "fact__channel_id", "code"
    ):
        history[(manager_id, date.isoformat(), channel_id, code)] += 1

    problems: list[str] = []
    checked = 0
    for key, cell in cells.items():
        initial = Decimal(0) if key[3] in MONEY_CODES else None
        if cell.uncertain:
            # The last confirmed value stays unless a request in doubt landed after it.
            checked += 1
            last = Decimal(cell.sent[-1]) if cell.sent else initial
            allowed = {last, *map(Decimal, cell.tried)}
            found = stored.get(key, initial)
            found = None if found is None else Decimal(found)
            if found not in allowed:
                problems.append(
                    f"{key}: stored {found}, expected one of {sorted(map(str, allowed))}"
                )
            continue
        if not cell.sent:
            continue
        checked += 1
        expected = Decimal(cell.sent[-1])
        if stored.get(key) is None or Decimal(stored[key]) != expected:
            problems.append(f"{key}: sent {expected} last, stored {stored.get(key)}")
            continue
        # A change is recorded once; re-sending the same value records nothing. Money starts
        # at 0 on a new fact, a count as "not entered".
        values = [Decimal(0) if key[3] in MONEY_CODES else None, *map(Decimal, cell.sent)]
        changes = sum(1 for before, after in itertools.pairwise(values) if before != after)
        if history[key] != changes:
            problems.append(f"{key}: {changes} changes sent, {history[key]} in the history")
    for key in history.keys() - cells.keys():
        problems.append(f"{key}: history for a cell that nobody saved")
    differences, _found = totals_differences(limit=5)
    if differences:
        problems.append(f"{differences} differences between the totals and the facts")
    return checked, len(problems), problems


def cpu_meter(server_pid: int, database: str) -> CpuMeter:
    """The run's CPU by part: gunicorn (its master and workers), the PostgreSQL backends
    of the load-test database (their process title names it), and this process."""
    me = os.getpid()
    return CpuMeter(
        {
            "app": lambda pid, _name, ppid, _cmd: server_pid in (pid, ppid),
            "database": lambda _pid, name, _ppid, cmd: (
                name == "postgres" and f" {database} " in cmd
            ),
            "load generator": lambda pid, _name, _ppid, _cmd: pid == me,
        }
    )


def cpu_line(seconds: dict[str, float], requests: int) -> str:
    """CPU milliseconds a request by part, and the requests/s that much CPU allows on this
    machine's cores if nothing else ran: the measure of the app that other load moves least."""
    each = {part: 1000 * total / max(requests, 1) for part, total in seconds.items()}
    total = sum(each.values())
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{part} {ms:.1f}" for part, ms in each.items())
    bound = f"{1000 * cores / total:.0f}" if total else "—"
    return f"  CPU ms a request: {parts}; all {total:.1f} → at most {bound} req/s on {cores} cores"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


# ---- the run ------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    postgres = redis = None
    if args.faults:
        postgres = PrivatePostgres()
        postgres.start()
        print(f"loadtest: private PostgreSQL on {HOST}:{postgres.port} ({postgres.root})")
    if not args.no_redis or args.faults:
        redis = PrivateRedis()
        redis.start()
        print(f"loadtest: private Redis on {HOST}:{redis.port}")
    try:
        return run(args, postgres, redis)
    finally:
        if redis is not None:
            redis.remove()
        if postgres is not None:
            postgres.remove()


def run(args, postgres: PrivatePostgres | None, redis: PrivateRedis | None) -> int:
    server_url, url, name = database_urls(
        postgres.url if postgres else os.environ.get("DATABASE_URL", "")
    )
    port = free_port()
    env = production_env(url, STATIC_MANIFEST="false")
    if redis is not None:
        env["REDIS_URL"] = redis.url
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    logdir = Path(tempfile.mkdtemp(prefix="loadtest-"))

    print(f"loadtest: database {name}, gunicorn on {HOST}:{port} {gunicorn_options(args)}")
    admin_sql(server_url, f'CREATE DATABASE "{name}"')
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        os.environ["DJANGO_SETTINGS_MODULE"] = "kpi_project.settings"
        django.setup()
        password = secrets.token_urlsafe(16)
        managers, heads, days = setup_people(args, password)
        from django.db import connections

        connections.close_all()

        server = gunicorn(
            ROOT,
            env,
            port,
            *gunicorn_options(args),
            *("--error-logfile", str(logdir / "gunicorn.log")),
            label="loadtest",
        )

        stats = Stats(faults=args.faults)
        people = [(m, Browser(port, stats)) for m in managers]
        leaders = [(h, Browser(port, stats)) for h in heads]
        for person, browser in people + leaders:
            browser.login(person["username"], password)
        login_latencies = stats.latencies.pop("login")

        cells: dict[tuple, Cell] = defaultdict(Cell)
        deadline = time.monotonic() + args.seconds
        think = args.think_ms / 1000
        threads = [
            threading.Thread(
                target=manager_loop,
                args=(b, m, days, deadline, think, cells, stats, random.Random(m["id"])),
            )
            for m, b in people
        ] + [
            threading.Thread(target=head_loop, args=(b, deadline, think, stats, random.Random(i)))
            for i, (_h, b) in enumerate(leaders)
        ]
        if args.faults:
            threads.append(
                threading.Thread(target=fault_plan, args=(postgres, redis, args.seconds, print))
            )
        meter = cpu_meter(server.pid, name)
        meter.start()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
        meter.stop()
        stop(server)
        server = None

        checked, lost, problems = check_writes(cells)
        connections.close_all()
        everything = [s for values in stats.latencies.values() for s in values]
        requests = len(everything)
        doubtful = sum(1 for cell in cells.values() if cell.uncertain)
        print(
            f"loadtest: {elapsed:.1f} s, {checked} cells checked ({doubtful} left in doubt by a "
            f"refused or failed request), {requests / elapsed:.0f} req/s, load average "
            + " ".join(f"{load:.2f}" for load in os.getloadavg())
        )
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items(), key=str))
        print(f"  answers by status: {statuses}")
        if stats.refused_at:
            seconds = sorted({int(t - started) for t in stats.refused_at})
            print(f"  5xx answers in second(s) {seconds} of the run")
        print(f"  {'kind':<18} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for kind, values in sorted({**stats.latencies, "login": login_latencies}.items()):
            print(
                f"  {kind:<18} {len(values):>8} {percentile(values, 0.5):>8.1f} "
                f"{percentile(values, 0.95):>8.1f} {max(values) * 1000:>8.1f}"
            )
        print(cpu_line(meter.seconds(), requests))
        for message in (stats.errors + problems)[:20]:
            print(f"  ! {message}")
        print(
            f"loadtest: requests={requests} errors={len(stats.errors)} lost={lost} "
            f"unavailable={stats.statuses.get(503, 0)} "
            f"p50_ms={statistics.median(everything) * 1000 if everything else 0:.1f} "
            f"p95_ms={percentile(everything, 0.95):.1f}"
        )
        return 1 if stats.errors or lost else 0
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"loadtest: kept database {name}; gunicorn log in {logdir}")
        else:
            # Django may not be set up yet when the setup failed early.
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
