"""gunicorn's settings for the app, read from the working directory by
`gunicorn kpi_project.wsgi --bind ADDRESS` (README, Deployment; `make serve`; the load test).

Threaded workers: a request waiting on PostgreSQL (a row lock of the totals, a round trip)
leaves its worker's other threads to serve. 2 × cores + 1 processes, each with its own
database connections (one per thread, kept CONN_MAX_AGE seconds): mind PostgreSQL's
max_connections. The app is loaded once before the fork. WEB_CONCURRENCY and
GUNICORN_THREADS override the counts.

One queue for all workers: a worker accepts a connection only while it has a free thread
(worker_connections = threads) and closes it after the answer (no keep-alive), so a request
waits in the listening socket's backlog for the first free worker, in arrival order. With
keep-alive a connection stays with the worker that accepted it, busy or not: under the load
test some clients waited two to three times longer than others (p95 2–3 × p50; one queue:
1.4 ×, docs/benchmarks.md). A proxy in front (TLS) opens a connection per request anyway.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
preload_app = True
timeout = 60
worker_connections = threads
keepalive = 0
