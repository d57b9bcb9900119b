"""gunicorn's settings for the app, read from the working directory by
`gunicorn kpi_project.wsgi --bind ADDRESS` (README, Deployment; `make serve`; the load test).

Threaded workers: a request waiting on PostgreSQL (a row lock of the totals, a round trip)
leaves its worker's other threads to serve, and a kept-alive connection is served again
without a new TCP handshake. 2 × cores + 1 processes, each with its own database connections
(one per thread, kept CONN_MAX_AGE seconds): mind PostgreSQL's max_connections. The app is
loaded once before the fork. WEB_CONCURRENCY and GUNICORN_THREADS override the counts.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
preload_app = True
timeout = 60
keepalive = 5
