# Sales KPI Tracker — short targets. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
# A Python >= 3.12 (Django 6 needs it): PYTHON312 if given, else pyenv's, else the PATH's.
FIND_PYTHON = $(or $(PYTHON312),$(shell for p in "$$(pyenv root 2>/dev/null)/versions/$$(cat .python-version)/bin/python" $$HOME/.pyenv/versions/3.1[23]*/bin/python python3.13 python3.12 python3; do \
	command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; done))
TEST_ENV := env -u DATABASE_URL -u REDIS_URL

.PHONY: install run serve test test-sqlite test-postgres checks lint fmt migrate demo bench bench-load messages clean vendor-plotly

$(VENV)/.installed: pyproject.toml
	@py="$(FIND_PYTHON)"; if [ -z "$$py" ]; then echo "No Python >= 3.12 found; set PYTHON312=/path/to/python3.12" >&2; exit 1; fi; \
	  [ -x $(PYTHON) ] || "$$py" -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet ".[dev]"
	@touch $@

install: $(VENV)/.installed  ## venv with pinned dependencies

.env:
	cp .env.example .env

migrate: install .env
	$(PYTHON) manage.py migrate --no-input

demo: migrate  ## demo company (refuses to touch real data)
	$(PYTHON) manage.py seed_demo

run: migrate  ## install, migrate, demo data, dev server and task worker on SQLite
	@# A database with real users keeps its data: seed_demo says so in one line and skips.
	-$(PYTHON) manage.py seed_demo --skip-if-real
	@# The worker of background tasks (large imports) runs beside the server and stops with it.
	@$(PYTHON) manage.py db_worker --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  trap 'exit 130' INT TERM; \
	  $(PYTHON) manage.py runserver 127.0.0.1:8000

serve: install  ## production-like: gunicorn (gunicorn.conf.py) + whitenoise (needs SECRET_KEY, ALLOWED_HOSTS)
	$(PYTHON) manage.py collectstatic --no-input
	$(VENV)/bin/gunicorn kpi_project.wsgi --bind 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Each app keeps its own catalog (<app>/locale); locale/ holds templates/, kpi_project/ and
# funnel/admin.py (funnel/locale belongs to the entry pages).
# Each app keeps its own catalog; the project catalog covers templates/ and kpi_project/.
ROOT_MESSAGES_IGNORE := -i .venv -i staticfiles -i tests -i channels -i teams -i metrics -i funnel -i plans -i dashboards -i api -i bot
messages: install  ## refresh and compile the Russian catalogs
	@for app in channels teams funnel plans metrics dashboards api bot; do \
	  if [ -d $$app/locale ]; then (cd $$app && ../$(VENV)/bin/django-admin makemessages -l ru --no-obsolete) || exit 1; fi; \
	done
	$(VENV)/bin/django-admin makemessages -l ru --no-obsolete $(ROOT_MESSAGES_IGNORE)
	$(VENV)/bin/django-admin compilemessages --ignore=.venv

# The suite on SQLite (DATABASE_URL and REDIS_URL unset) and on the PostgreSQL of DATABASE_URL.
# Tests marked one_db, and those that touch no database, run on SQLite only (tests/conftest.py).
PYTEST_SQLITE := $(TEST_ENV) $(PYTHON) -m pytest
PYTEST_POSTGRES := $(PYTHON) -m pytest
TEST_LOGS := .test-logs

checks: install  ## migrations check and system check
	$(TEST_ENV) SECRET_KEY=check DEBUG=false $(PYTHON) manage.py makemigrations --check --dry-run
	$(TEST_ENV) SECRET_KEY=check DEBUG=false $(PYTHON) manage.py check

test-sqlite: checks
	$(PYTEST_SQLITE)

test-postgres: install
	@if [ -n "$$DATABASE_URL" ]; then echo "== the suite on $${DATABASE_URL%%@*}@…"; $(PYTEST_POSTGRES); \
	  else echo "DATABASE_URL not set: PostgreSQL run skipped"; fi

# With DATABASE_URL the two databases' runs go side by side (one core each), each into its own
# log; a failing run's log is printed whole, and either failing fails the target.
test: lint checks  ## lint, checks, pytest on SQLite and, with DATABASE_URL, on PostgreSQL at once
	@if [ -z "$$DATABASE_URL" ]; then \
	  $(PYTEST_SQLITE) || exit $$?; echo "DATABASE_URL not set: PostgreSQL run skipped"; exit 0; fi; \
	mkdir -p $(TEST_LOGS); \
	echo "== pytest on SQLite and on $${DATABASE_URL%%@*}@… side by side:" \
	  "$(TEST_LOGS)/sqlite.log, $(TEST_LOGS)/postgres.log"; \
	$(PYTEST_SQLITE) --output test-results/sqlite >$(TEST_LOGS)/sqlite.log 2>&1 & sqlite=$$!; \
	$(PYTEST_POSTGRES) --output test-results/postgres >$(TEST_LOGS)/postgres.log 2>&1 & postgres=$$!; \
	trap 'kill $$sqlite $$postgres 2>/dev/null; exit 130' INT TERM; \
	wait $$sqlite; sqlite_rc=$$?; wait $$postgres; postgres_rc=$$?; \
	for run in sqlite postgres; do \
	  rc=$${run}_rc; rc=$${!rc}; \
	  if [ $$rc -ne 0 ]; then echo "== $$run: FAILED (exit $$rc), its log:"; cat $(TEST_LOGS)/$$run.log; \
	  else echo "== $$run:"; tail -n 1 $(TEST_LOGS)/$$run.log; fi; \
	done; \
	[ $$sqlite_rc -eq 0 ] && [ $$postgres_rc -eq 0 ]

# A database of its own: DATABASE_URL (PostgreSQL) or, without it, bench.sqlite3 (S only).
bench: install .env  ## benchmarks; SCALE=S|M|L, writes docs/benchmarks.md
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/bench.sqlite3}" \
	  $(PYTHON) manage.py bench --scale $(or $(SCALE),S)

# The vendored plotly.js finance bundle (static/vendor/plotly/README.md): fetched again with
# npm at the pinned version and checked byte for byte against the recorded SHA-256.
vendor-plotly: install  ## re-fetch and verify the vendored plotly.js bundle
	$(PYTHON) scripts/vendor_plotly.py

# The director's dashboard, cold, in Chromium throttled like a phone on mobile data
# (docs/benchmarks.md, "First load of the dashboard"); loopback only, about 5 minutes.
bench-load: install  ## first chart time and bytes of a cold dashboard load; BENCH_LOAD_ARGS=...
	$(PYTHON) scripts/bench_load.py $(BENCH_LOAD_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .test-logs test-results

.PHONY: loadtest loadtest-faults
loadtest: install  ## gunicorn + PostgreSQL (DATABASE_URL) + a private Redis, 50 managers and 5 heads, loopback; LOADTEST_SECONDS=60
	$(PYTHON) scripts/loadtest.py --seconds $(or $(LOADTEST_SECONDS),60)

# A private PostgreSQL (initdb in a temporary directory) and Redis, started by the script:
# the database crashes and restarts, Redis hangs, and no write may be lost. docs/reliability.md
loadtest-faults: install  ## the load test with a database crash and a Redis hang; LOADTEST_SECONDS=60
	$(PYTHON) scripts/loadtest.py --seconds $(or $(LOADTEST_SECONDS),60) --faults
