"""The Russian interface is complete: every string in the code has a Russian translation.

Runs makemessages the way `make messages` does into a scratch copy of the project and
checks each fresh msgid against the committed catalogs (translated, not fuzzy), and that
the compiled .mo files are as new as their .po files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("channels", "teams", "funnel", "plans", "metrics", "dashboards", "api", "bot")
DJANGO_ADMIN = str(Path(sys.executable).parent / "django-admin")
CATALOG = Path("locale/ru/LC_MESSAGES/django.po")

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="gettext tools missing (apt-get install gettext)"
)


def _makemessages(cwd: Path, *ignore: str) -> None:
    # The django-admin script, not `python -m django`: -m would put the app folder first
    # on sys.path, where funnel/selectors.py shadows the standard library's selectors.
    args = ["makemessages", "-l", "ru", "--no-location"]
    for pattern in ignore:
        args += ["-i", pattern]
    # Without settings, as `django-admin makemessages` runs in the Makefile.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([DJANGO_ADMIN, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def fresh_catalogs(tmp_path_factory) -> dict[str, polib.POFile]:
    scratch = tmp_path_factory.mktemp("messages")
    for name in (*APPS, "templates", "kpi_project"):
        shutil.copytree(
            ROOT / name, scratch / name, ignore=shutil.ignore_patterns("locale", "__pycache__")
        )
    (scratch / "locale").mkdir()
    for app in APPS:
        (scratch / app / "locale").mkdir()
        _makemessages(scratch / app)
    _makemessages(scratch, *APPS)
    return {place: polib.pofile(str(scratch / place / CATALOG)) for place in (*APPS, ".")}


@pytest.mark.parametrize("place", [*APPS, "."])
def test_every_string_has_a_russian_translation(fresh_catalogs, place):
    committed = {entry.msgid: entry for entry in polib.pofile(str(ROOT / place / CATALOG))}
    missing = []
    for entry in fresh_catalogs[place]:
        known = committed.get(entry.msgid)
        if known is None or not known.translated() or "fuzzy" in known.flags:
            missing.append(entry.msgid)
    assert not missing, f"untranslated in {place}/{CATALOG}: {missing}"


@pytest.mark.parametrize("place", [*APPS, "."])
def test_compiled_catalogs_match_their_sources(place):
    po = polib.pofile(str(ROOT / place / CATALOG))
    mo = polib.mofile(str((ROOT / place / CATALOG).with_suffix(".mo")))
    compiled = {entry.msgid: entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get(entry.msgid) == entry.msgstr, entry.msgid
