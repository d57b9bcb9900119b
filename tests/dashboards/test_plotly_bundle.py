"""plotly.js is the vendored finance bundle, pinned by checksum, and WhiteNoise serves the
collected static files compressed with Brotli (and gzip) to browsers that accept it."""

import hashlib
import json
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from whitenoise.compress import Compressor
from whitenoise.middleware import WhiteNoiseMiddleware

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor" / "plotly"
PIN = json.loads((VENDOR / "vendor.json").read_text())
BUNDLE = f"vendor/plotly/{PIN['file']}"


def test_the_vendored_bundle_is_the_pinned_finance_build_with_its_licence():
    data = (VENDOR / PIN["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == PIN["sha256"]
    assert PIN["package"] == "plotly.js-finance-dist-min"
    assert f"plotly.js (finance - minified) v{PIN['version']}" in data[:200].decode()
    assert "MIT License" in (VENDOR / "LICENSE").read_text()
    readme = (VENDOR / "README.md").read_text()
    assert PIN["version"] in readme
    assert PIN["sha256"] in readme
    # The finance build is a third of the full plotly.js (4,815,814 bytes).
    assert len(data) < 1_400_000


def test_only_the_light_bundle_is_served():
    assert finders.find(BUNDLE) == str(VENDOR / PIN["file"])
    assert finders.find("plotly/plotly.min.js") is None


def test_the_dashboard_fetches_the_bundle_from_its_head_with_the_nonce(client, director):
    # Preloaded by the head (the download starts with the page, not after its last byte);
    # dashboard.js adds it, with its own nonce, once the page is painted.
    client.force_login(director)
    body = client.get("/dashboard/").content.decode()
    head = body.split("</head>", 1)[0]
    assert f'<link rel="preload" href="/static/{BUNDLE}" as="script" nonce="' in head
    assert '<script defer id="dashboard-js" src="/static/js/dashboard.js" nonce="' in head
    assert f'data-plotly="/static/{BUNDLE}"' in head
    assert body.count(BUNDLE) == 2
    assert "plotly.min.js" not in body


def test_the_template_partial_loads_the_bundle_with_the_nonce(client, director):
    # The wallboard's page takes it through the shared partial.
    from django.template.loader import render_to_string

    html = render_to_string("_plotly.html", {"csp_nonce": "n0nce"})
    assert f'<script src="/static/{BUNDLE}" nonce="n0nce"></script>' in html


def test_collectstatic_writes_brotli_and_gzip_and_whitenoise_serves_brotli(tmp_path):
    # The real storage of production on a small file (the 1.3 MB bundle takes seconds to
    # compress); the bundle goes through the same compressor.
    assert Compressor(quiet=True).should_compress(BUNDLE)
    source = tmp_path / "source"
    (source / "js").mkdir(parents=True)
    shutil.copy(ROOT / "static" / "js" / "dashboard.js", source / "js" / "dashboard.js")
    root = tmp_path / "root"
    storage = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    with override_settings(
        STATIC_ROOT=root,
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": storage}},
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", "--no-input", verbosity=0)
        hashed = json.loads((root / "staticfiles.json").read_text())["paths"]["js/dashboard.js"]
        assert (root / f"{hashed}.br").exists()
        assert (root / f"{hashed}.gz").exists()
        middleware = WhiteNoiseMiddleware(lambda request: None)
        request = RequestFactory().get(
            f"/static/{hashed}", headers={"accept-encoding": "gzip, deflate, br"}
        )
        response = middleware(request)
        assert response["Content-Encoding"] == "br"
        assert "immutable" in response["Cache-Control"]
        request = RequestFactory().get(f"/static/{hashed}", headers={"accept-encoding": "gzip"})
        assert middleware(request)["Content-Encoding"] == "gzip"
