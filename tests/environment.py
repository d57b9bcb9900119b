"""Environment for the test suite, loaded as a pytest plugin (`-p tests.environment`)
so that it runs before pytest-django reads the settings. A developer's .env is ignored."""

import os

os.environ["READ_DOT_ENV"] = "false"

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "false")
# Tests talk plain HTTP to the test client and live server.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("LANGUAGE_CODE", "en")
# Background tasks run at once, in the test; one test goes through the database worker.
os.environ.setdefault("TASKS_BACKEND", "immediate")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
