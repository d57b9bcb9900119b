"""scripts/cpu_meter.py: the load test's CPU seconds by part, read from /proc."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import cpu_meter  # noqa: E402
import loadtest  # noqa: E402


def test_a_stat_line_is_read_after_the_last_parenthesis():
    # A process may name itself anything, spaces and parentheses included.
    fields = ["S", "41"] + ["0"] * 9 + [str(3 * cpu_meter.TICKS), str(cpu_meter.TICKS)]
    line = "1234 (gunicorn: worker (x) [app]) " + " ".join(fields + ["0"] * 30)
    assert cpu_meter.stat_fields(line) == ("gunicorn: worker (x) [app]", 41, 4.0)


def test_each_process_counts_from_its_first_reading_or_from_zero_if_it_began_later():
    readings = iter(
        [
            [(10, "python", 1, 5.0, "app"), (20, "postgres", 2, 1.0, "postgres: db x")],
            # 30 started during the run; 20 exits after this reading.
            [
                (10, "python", 1, 6.0, "app"),
                (20, "postgres", 2, 1.5, "postgres: db x"),
                (30, "postgres", 2, 0.2, "postgres: db x"),
            ],
            [(10, "python", 1, 7.5, "app"), (30, "postgres", 2, 0.7, "postgres: db x")],
        ]
    )
    meter = cpu_meter.CpuMeter(
        {"app": lambda pid, *_: pid == 10, "database": lambda _p, name, *_: name == "postgres"},
        interval=3600,
        read=lambda: next(readings),
    )
    meter.start()
    meter.sample()
    meter.stop()
    assert meter.seconds() == {"app": 2.5, "database": 0.5 + 0.7}


def test_the_meter_sees_this_process_burn_cpu():
    me = os.getpid()
    meter = cpu_meter.CpuMeter({"me": lambda pid, *_: pid == me}, interval=0.05)
    meter.start()
    until = time.process_time() + 0.3
    while time.process_time() < until:
        pass
    meter.stop()
    assert 0.2 <= meter.seconds()["me"] <= 1.0


def test_the_cpu_line_gives_ms_a_request_and_the_bound_on_these_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    line = loadtest.cpu_line({"app": 2.0, "database": 0.5, "load generator": 0.5}, 200)
    assert line == (
        "  CPU ms a request: app 10.0, database 2.5, load generator 2.5; all 15.0"
        " → at most 133 req/s on 2 cores"
    )


def test_the_load_test_meters_gunicorn_its_database_backends_and_itself():
    meter = loadtest.cpu_meter(server_pid=500, database="kpi_loadtest_9")
    app, database, me = (meter.parts[name] for name in ("app", "database", "load generator"))
    assert app(500, "python", 1, "")
    assert app(501, "python", 500, "")
    assert not app(7, "x", 1, "")
    title = "postgres: postgres kpi_loadtest_9 127.0.0.1(5000) idle"
    assert database(9, "postgres", 3, title)
    assert not database(9, "postgres", 3, "postgres: postgres kpi_loadtest_90 127.0.0.1(1) idle")
    assert me(os.getpid(), "python", 1, "")
    assert not me(1, "init", 0, "")
