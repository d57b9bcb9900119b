"""Settings for the Sales KPI Tracker, read from the environment (django-environ).

Safe by default: DEBUG is off unless set, and with DEBUG off HTTPS redirect, HSTS and
secure cookies are on unless an environment variable turns one off.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The key has a development default only while DEBUG is on; production must set it.
SECRET_KEY = env("SECRET_KEY", default="") or ("dev-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "channels.apps.ChannelsConfig",
    "teams.apps.TeamsConfig",
    "funnel.apps.FunnelConfig",
    "plans.apps.PlansConfig",
    "metrics.apps.MetricsConfig",
    "dashboards.apps.DashboardsConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api.apps.ApiConfig",
    "bot.apps.BotConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "teams.middleware.UserLanguageMiddleware",
    "kpi_project.middleware.PrivateResponsesMiddleware",
    "kpi_project.middleware.ControlCharactersMiddleware",
    "kpi_project.middleware.DateDrillDownMiddleware",
    # Last, so that a lockout is decided after authentication ran.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kpi_project.urls"
WSGI_APPLICATION = "kpi_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kpi_project.context_processors.app",
            ],
        },
    },
]

# No DATABASE_URL: an SQLite file in the project, the embedded default for a single team.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A new PostgreSQL connection per request costs a few milliseconds; keep them open.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Choice lists iterate their querysets; a server-side cursor costs three round trips
    # (DECLARE, FETCH, CLOSE) for a few rows, and breaks behind a transaction-mode pooler.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Dashboards run a handful of small aggregates per request, many requests at once: a
    # parallel plan's worker start-up and gather cost more than they save (measured:
    # 34 ms parallel against 22 ms serial for the leaderboard's sums at 500 managers), and
    # JIT compilation, which big tables' cost estimates switch on, took 40 ms of a 43 ms
    # team query at 3 years of history.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", "-c max_parallel_workers_per_gather=0 -c jit=off"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Falls back to "always a miss" when Redis is down: the app keeps serving.
            "BACKEND": "kpi_project.cache.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
            "TIMEOUT": 300,
            "KEY_PREFIX": "kpi",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The dashboard's panels are kept in the cache under the database snapshot they were read
# from (dashboards/panel_cache.py: never older than the last save; PostgreSQL only).
DASHBOARD_CACHE = env.bool("DASHBOARD_CACHE", default=True)
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)

AUTH_USER_MODEL = "teams.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+address pair after repeated failures.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
# Per username AND address: a stranger's wrong passwords lock only the stranger's address
# out of that account, never the user elsewhere. Behind a TLS proxy the address is the one
# the proxy saw (PROXY_COUNT below), not the proxy's own.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "teams.network.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = env("LANGUAGE_CODE", default="ru")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True
# Currency shown next to money; amounts are stored without it.
CURRENCY = env("CURRENCY", default="₽")
# Managers may change the facts of the last N days (today included); heads any day.
KPI_EDIT_WINDOW_DAYS = env.int("KPI_EDIT_WINDOW_DAYS", default=7)

# Background work (large imports): Django's tasks framework on the database (django-tasks-db),
# run by `python manage.py db_worker` (`make run` starts one beside the server).
# TASKS_BACKEND=immediate runs every task at once in the process that enqueues it (the tests).
TASKS_BACKEND = env("TASKS_BACKEND", default="database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
    }
}
# An upload larger than this is checked and imported in the background, with a progress bar.
KPI_IMPORT_BACKGROUND_BYTES = env.int("KPI_IMPORT_BACKGROUND_BYTES", default=1024 * 1024)
KPI_IMPORT_MAX_BYTES = env.int("KPI_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js is the vendored finance bundle in static/vendor/plotly/ (its README.md), never
# a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed file names need `collectstatic`; on by default in production.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# The REST API (/api/v1/, docs/api.md): personal tokens only, JSON only, throttled per token
# in the default cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.tokens.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["api.tokens.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (and per address without one): N/second, minute, hour or day.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="600/hour")
SPECTACULAR_SETTINGS = {
    "TITLE": "Sales KPI Tracker API",
    "DESCRIPTION": "Daily funnel facts, plans and KPI reports. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from the installed drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.document_errors",
    ],
}

# The Telegram bot (optional; README, "Telegram bot"): without a token it is not started and
# reminders go by e-mail only.
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_BOT_NAME = env("TELEGRAM_BOT_NAME", default="")  # its @username, for t.me links
TELEGRAM_API_URL = env("TELEGRAM_API_URL", default="https://api.telegram.org/bot")
# The webhook (/bot/webhook/) answers only requests carrying this secret.
TELEGRAM_WEBHOOK_SECRET = env("TELEGRAM_WEBHOOK_SECRET", default="")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kpi@localhost")
# Links in e-mails (reminders, digests) point here.
SITE_URL = env("SITE_URL", default="http://localhost:8000")

# Sessions live in the database, the source of truth; with Redis shared by every worker they
# are also read through it (written to both), which spares a query on every request. Never
# through a per-process cache: a session ended in one worker would live on in the others.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# Security: on by default whenever DEBUG is off, each one can be turned off explicitly
# (for example behind a proxy that already redirects to HTTPS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Trusted proxies in front of the app (each appends to X-Forwarded-For): the client's address
# is the PROXY_COUNT-th entry from the right. 0 (the default without BEHIND_PROXY): REMOTE_ADDR.
PROXY_COUNT = env.int("PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
# Password-reset mails: at most this many requests per client address and per e-mail
# address in the window (seconds), counted in the cache; more are answered alike, unsent.
PASSWORD_RESET_PER_ADDRESS = env.int("PASSWORD_RESET_PER_ADDRESS", default=10)
PASSWORD_RESET_PER_ACCOUNT = env.int("PASSWORD_RESET_PER_ACCOUNT", default=3)
PASSWORD_RESET_WINDOW = env.int("PASSWORD_RESET_WINDOW", default=3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Plotly and htmx set inline styles on the elements they draw.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    # httpx and python-telegram-bot log request URLs, which hold the Telegram bot's token:
    # never below WARNING, whatever LOG_LEVEL says.
    "loggers": {name: {"level": "WARNING"} for name in ("httpx", "httpcore", "telegram", "hpack")},
}
