"""The dashboard's cold first load on a throttled phone-like browser (issue 19).

Serves a checkout of the app as in production — gunicorn, WhiteNoise, DEBUG off,
`collectstatic` with the compressed manifest storage into a temporary directory — on the demo
company (`seed_demo`, SQLite in the same temporary directory), and drives the system Chromium
through Playwright with the Chrome DevTools Protocol:

- network: 10 Mbit/s down (1,250,000 bytes/s), 5 Mbit/s up, 80 ms round trip;
- CPU: 4× slowdown (Emulation.setCPUThrottlingRate);
- cold cache: a new browser context for every run, its cache cleared; the director's session
  cookie is the only thing carried over (logged in beforehand, unthrottled).

Each run loads /dashboard/ and measures, from the start of the navigation, the time until the
first chart has a drawn trace (checked on every animation frame) and the bytes that came over
the network (Network.loadingFinished's encodedDataLength: headers and compressed bodies), both
up to the first chart and once the page is quiet. The median of --runs runs is printed as a
Markdown row for docs/benchmarks.md.

    python scripts/bench_load.py                    # this checkout
    git archive f3fb756 | tar -x -C /tmp/before     # the app before issue 19, then:
    python scripts/bench_load.py --baseline /tmp/before --baseline-label "before"

A baseline is served without the Brotli package (as before issue 19: gzip only) and measured
in turn with this checkout, run for run, so that both see the same load. `make bench-load`
measures this checkout (BENCH_LOAD_ARGS="--baseline DIR" for a comparison). --work DIR keeps
the databases and collected static files for the next call (delete DIR/N/static after a change
of static files). Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import HOST, free_port, gunicorn, production_env, stop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DOWN = 10_000_000 // 8  # bytes per second
UP = 5_000_000 // 8
RTT_MS = 80
CPU_SLOWDOWN = 4
PASSWORD = "bench-load"

# Records, on every animation frame, when the first chart shows: its still preview drawn with
# the page (a funnel's bars, dashboards.charts.funnel_preview) or a trace drawn by plotly.js,
# whichever comes first; and when plotly.js has drawn one (the first interactive chart).
FIRST_CHART = """
(() => {
  const look = () => {
    if (window.__firstChart === undefined
        && document.querySelector(".chart .chart-preview rect, .js-plotly-plot .main-svg .trace")) {
      window.__firstChart = performance.now();
    }
    if (document.querySelector(".js-plotly-plot .main-svg .trace")) {
      window.__firstPlotly = performance.now();
    } else {
      requestAnimationFrame(look);
    }
  };
  requestAnimationFrame(look);
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longTasks.push([Math.round(entry.startTime), Math.round(entry.duration)]);
    }
  }).observe({ type: "longtask", buffered: true });
})();
"""


def prepare(checkout: Path, work: Path, brotli: bool) -> dict[str, str]:
    """Settings, database and static files for a production-like server of the checkout."""
    (work / "bench_load_settings.py").write_text(
        "from kpi_project.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(work / 'static')!r}\n"
    )
    if not brotli:
        # WhiteNoise writes .br files only when it can import brotli.
        (work / "brotli.py").write_text("raise ImportError('bench-load: served without Brotli')\n")
    env = production_env(
        f"sqlite:///{work / 'db.sqlite3'}",
        PYTHONPATH=os.pathsep.join([str(work), str(checkout)]),
        DJANGO_SETTINGS_MODULE="bench_load_settings",
        STATIC_MANIFEST="true",
        LANGUAGE_CODE="en",
    )
    commands = []
    if not (work / "db.sqlite3").exists():
        commands += [
            ["migrate", "--no-input", "-v", "0"],
            ["seed_demo", "--force", "--password", PASSWORD],
        ]
    if not (work / "static" / "staticfiles.json").exists():
        commands.append(["collectstatic", "--no-input", "-v", "0"])
    manage = [sys.executable, "manage.py"]
    for command in commands:
        started = time.monotonic()
        subprocess.run(
            manage + command, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"bench-load: {command[0]} {time.monotonic() - started:.0f} s", flush=True)
    return env


def log_in(browser, base: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "director")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"bench-load: the director could not log in ({page.url})")
    state = context.storage_state()
    context.close()
    return state


def one_run(browser, base: str, state: dict, cpu_slowdown: float) -> dict:
    context = browser.new_context(storage_state=state, viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.add_init_script(FIRST_CHART)
    cdp = context.new_cdp_session(page)
    urls: dict[str, str] = {}
    encodings: dict[str, str] = {}
    loaded: list[tuple[float, str, int]] = []  # (time, url, bytes)
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.responseReceived",
        lambda e: encodings.__setitem__(
            e["requestId"],
            {k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", ""),
        ),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: loaded.append(
            (time.monotonic(), urls.get(e["requestId"], "?"), int(e["encodedDataLength"]))
        ),
    )
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": RTT_MS, "downloadThroughput": DOWN, "uploadThroughput": UP},
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_slowdown})
    page.goto(f"{base}/dashboard/", wait_until="commit")
    # Polled from here (the page's CSP forbids Playwright's wait_for_function); the time
    # itself is taken in the page.
    deadline = time.monotonic() + 60
    while (first_chart_ms := page.evaluate("window.__firstChart")) is None:
        if time.monotonic() > deadline:
            raise SystemExit("bench-load: no chart drawn within 60 s")
        time.sleep(0.05)
    at_chart = time.monotonic()
    while (first_plotly_ms := page.evaluate("window.__firstPlotly")) is None:
        if time.monotonic() > deadline:
            raise SystemExit("bench-load: plotly.js drew no chart within 60 s")
        time.sleep(0.05)
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.wait_for_timeout(500)
    charts = page.locator(".js-plotly-plot").count()
    timing = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const plotly = performance.getEntriesByType("resource")
            .find((entry) => entry.name.includes("/plotly"));
          return {
            first_byte_ms: nav.responseStart,
            html_done_ms: nav.responseEnd,
            plotly_done_ms: plotly ? plotly.responseEnd : null,
            dom_ready_ms: nav.domContentLoadedEventEnd,
            long_tasks: window.__longTasks.filter((task) => task[1] >= 200),
          };
        }"""
    )
    context.close()
    plotly = [(url, size) for _, url, size in loaded if "/plotly" in url]
    return {
        "first_chart_ms": first_chart_ms,
        "first_plotly_ms": first_plotly_ms,
        **timing,
        "bytes_to_chart": sum(size for t, _, size in loaded if t <= at_chart),
        "bytes_total": sum(size for _, _, size in loaded),
        "requests": len(loaded),
        "plotly_bytes": sum(size for _, size in plotly),
        "page_bytes": next(
            (size for _, url, size in loaded if url.split("?")[0].endswith("/dashboard/")), 0
        ),
        "plotly_encoding": next(
            (encodings.get(rid, "") for rid, url in urls.items() if "/plotly" in url), ""
        ),
        "charts": charts,
    }


def report(number: int, label: str, result: dict) -> None:
    print(
        f"bench-load: {label}, run {number}: first chart {result['first_chart_ms']:.0f} ms "
        f"(drawn by plotly.js {result['first_plotly_ms']:.0f} ms), "
        f"{result['bytes_to_chart']:,} B to it, {result['bytes_total']:,} B in all "
        f"({result['requests']} responses, plotly.js {result['plotly_bytes']:,} B "
        f"{result['plotly_encoding'] or 'identity'}, page {result['page_bytes']:,} B, "
        f"{result['charts']} charts; first byte {result['first_byte_ms']:.0f} ms, "
        f"HTML {result['html_done_ms']:.0f} ms, plotly.js {result['plotly_done_ms'] or 0:.0f} ms, "
        f"DOM ready {result['dom_ready_ms']:.0f} ms; tasks of 200 ms or more, [start, ms]: "
        f"{result['long_tasks']})",
        flush=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the app to serve")
    parser.add_argument("--label", default="this checkout", help="its row's name")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another checkout (e.g. `git archive` of an older commit), served gzip only, "
        "measured in turn with the first",
    )
    parser.add_argument("--baseline-label", default="baseline (gzip only)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-brotli", action="store_true", help="serve --checkout gzip only")
    parser.add_argument("--cpu-slowdown", type=float, default=CPU_SLOWDOWN)
    parser.add_argument(
        "--work", type=Path, default=None, help="keep (and reuse) databases and static files here"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    targets = [(args.label, args.checkout.resolve(), not args.no_brotli)]
    if args.baseline:
        targets.append((args.baseline_label, args.baseline.resolve(), False))
    top = args.work or Path(tempfile.mkdtemp(prefix="bench-load-"))
    servers, bases = [], []
    results: dict[str, list[dict]] = {label: [] for label, _, _ in targets}
    try:
        for number, (_, checkout, brotli) in enumerate(targets):
            work = top / str(number)
            work.mkdir(parents=True, exist_ok=True)
            env = prepare(checkout, work, brotli=brotli)
            port = free_port()
            servers.append(gunicorn(checkout, env, port, "--workers", "2", label="bench-load"))
            bases.append(f"http://{HOST}:{port}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            states = [log_in(browser, base) for base in bases]
            # In turn, so that both see the same load on a shared machine.
            for number in range(1, args.runs + 1):
                for (label, _, _), base, state in zip(targets, bases, states, strict=True):
                    result = one_run(browser, base, state, args.cpu_slowdown)
                    results[label].append(result)
                    report(number, label, result)
            version = browser.version
            browser.close()
    finally:
        for server in servers:
            stop(server)
        if args.work is None:
            shutil.rmtree(top, ignore_errors=True)

    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"bench-load: Chromium {version}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {load}, CPU slowdown {args.cpu_slowdown:g}×"
    )
    print(
        "| what | first chart, median ms (min–max) | first chart drawn by plotly.js, median ms "
        "| bytes to the first chart | bytes in all | plotly.js bytes (encoding) "
        "| page HTML bytes | runs |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, runs in results.items():

        def median(key: str, runs=runs) -> float:
            return statistics.median(run[key] for run in runs)

        times = [run["first_chart_ms"] for run in runs]
        print(
            f"| {label} | {median('first_chart_ms'):,.0f} ({min(times):,.0f}–{max(times):,.0f}) "
            f"| {median('first_plotly_ms'):,.0f} "
            f"| {median('bytes_to_chart'):,.0f} | {median('bytes_total'):,.0f} "
            f"| {median('plotly_bytes'):,.0f} ({runs[0]['plotly_encoding'] or 'identity'}) "
            f"| {median('page_bytes'):,.0f} | {len(runs)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
