"""Private servers for `scripts/loadtest.py`: a PostgreSQL cluster (initdb into a temporary
directory) and a redis-server, each on a free loopback port, started and removed by the
load test itself, so that a fault run can restart the database and pause Redis without
touching any server somebody else uses.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from serving import HOST, free_port


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise SystemExit(f"loadtest: {name} not found (PostgreSQL server binaries)")
    return found


class PrivatePostgres:
    """initdb + pg_ctl on a free port; as the `postgres` user when run as root (initdb
    refuses root). Trust authentication on loopback: the cluster lives for one run."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="loadtest-pg-"))
        self.data = self.root / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://postgres@{HOST}:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        if not self.data.exists():
            self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST} -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )

    def crash(self) -> None:
        """Stop at once, as a crash does (no shutdown checkpoint; recovery at the start)."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """redis-server on a free port, no persistence; paused with SIGSTOP (a hung server: the
    clients' sockets stay open and time out), resumed with SIGCONT."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise SystemExit("loadtest: redis-server not found")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("loadtest: redis-server did not start")

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)


def fault_plan(postgres: PrivatePostgres, redis: PrivateRedis, seconds: int, log) -> None:
    """In a thread during the run: at 30 % PostgreSQL crashes and is down for 3 s, then
    starts again (crash recovery); at 65 % Redis hangs for 4 s."""
    started = time.monotonic()

    def at(share: float) -> None:
        time.sleep(max(0.0, started + seconds * share - time.monotonic()))

    at(0.30)
    log("fault: PostgreSQL crashes (immediate stop)")
    postgres.crash()
    time.sleep(3)
    postgres.start()
    log(f"fault: PostgreSQL up again after {time.monotonic() - started - seconds * 0.30:.1f} s")
    at(0.65)
    log("fault: Redis paused (SIGSTOP) for 4 s")
    redis.pause()
    time.sleep(4)
    redis.resume()
    log("fault: Redis resumed")
