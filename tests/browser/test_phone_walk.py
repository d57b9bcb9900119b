"""Every page of the URL configuration on a 375 px phone, in English and Russian, as every
role that may open it: nothing scrolls sideways (wide tables scroll in their own box with the
first column sticky), no console error, and axe-core finds no serious or critical violation.

The pages come from the URLconf (the routes of tests/security/test_permission_matrix.py): a
route without parameters is walked as it is; a route with parameters must have an entry in
PARAMS, and a route that is not a page (a POST-only write, a download, JSON, a fragment) in
NOT_PAGES — a route in neither fails the walk with a message saying so.

By hand: WALK_ONLY=metrics:dashboard,funnel:day walks only those routes, WALK_TIMES=1 prints
each page's load time, SCREENSHOTS=1 refreshes the phone screenshots of the README.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from dashboards.board import link_create
from funnel.models import ImportUpload
from plans.commitments import commitments_switch
from teams.models import User
from tests.browser.conftest import reveal_every_panel
from tests.factories import make_user, write_fact
from tests.security.test_permission_matrix import our_routes

pytestmark = [pytest.mark.browser, pytest.mark.one_db, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 667}
LONG_NAME = "Константинопольская-Благовещенская Анастасия Владимировна"
LONG_TEAM = "Отдел корпоративных продаж Северо-Западного федерального округа"

# Routes that are not pages a person reads, and why.
NOT_PAGES = {
    "home": "redirects each role to its start page (walked there)",
    "language_set": "POST only",
    "logout": "POST only",
    "api-schema": "the OpenAPI document (YAML)",
    "bot:webhook": "Telegram's webhook (POST, JSON)",
    "bot:telegram": "POST only (the form is on the profile page)",
    "funnel:cell": "POST only (the week grid's save)",
    "funnel:import_run": "POST only",
    "funnel:template": "an XLSX download",
    "metrics:export": "a CSV/XLSX download",
    "metrics:my_export": "a CSV/XLSX download",
    "metrics:plan_cell": "an HTMX fragment of the plan grid",
    "metrics:plan_copy": "POST only",
    "metrics:plan_it_use": "POST only",
    "metrics:review_mark": "POST only (the review's confirm / ask-to-fix buttons)",
    "board:live": "an HTMX fragment of the wallboard (its panels, polled every minute)",
    "board:mine_live": "an HTMX fragment of the wallboard (its panels, polled every minute)",
    "board:revoke": "POST only",
}
NOT_PAGE_NAMESPACES = {"api": "the REST API answers JSON only"}

# Pages whose markup is a library's, in English only: checked for width and script errors,
# not for language and accessibility.
NOT_OURS = {"api-docs": "drf-spectacular's Swagger UI, the API reference for developers"}

# Pages in a language of their own, whoever looks: a wallboard speaks its link's language.
OWN_LANGUAGE = {"board:board": "a wallboard link carries its language (the TV has no one to ask)"}

# Pages only an anonymous visitor is walked on (the auth pages before signing in).
ANONYMOUS_PAGES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}

# Routes with parameters: the path to walk, built from the walk's data.
PARAMS: dict[str, Callable[[dict], str]] = {
    "password_reset_confirm": lambda w: reverse("password_reset_confirm", args=["MQ", "bad"]),
    "metrics:one_to_one": lambda w: reverse("metrics:one_to_one", args=[w["long"].pk]),
    "funnel:import_status": lambda w: reverse("funnel:import_status", args=[w["upload"].token]),
    "board:board": lambda w: reverse("board:board", args=[w["board_token"]]),
}
# Extra query strings: the richest form of a page (the norms of a manager with a plan).
QUERIES: dict[str, Callable[[dict], str]] = {
    "metrics:norms": lambda w: f"?manager={w['long'].pk}",
}

# Runs in the page: what sticks out of the screen, tables, signals only in colour.
MEASURE = (Path(__file__).parent / "phone_walk.js").read_text("utf-8")

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


def walk_list() -> list[tuple[str, str]]:
    """(route name, route) of every page to walk; fails on a route the walk cannot build."""
    unknown = []
    pages = []
    for name, route in sorted(our_routes().items(), key=lambda item: str(item[0])):
        namespace = name.split(":")[0] if ":" in name else None
        if name in NOT_PAGES or namespace in NOT_PAGE_NAMESPACES:
            continue
        if "<" in route and name not in PARAMS:
            unknown.append(f"{name} ({route})")
            continue
        pages.append((name, route))
    assert not unknown, (
        f"routes with parameters the phone walk does not know: {unknown} — add each to PARAMS "
        f"(how to build its path) or to NOT_PAGES (why it is not a page) in {__file__}"
    )
    return pages


def test_the_walk_knows_every_route():
    pages = dict(walk_list())
    assert {"funnel:day", "metrics:dashboard", "metrics:plans", "login"} <= set(pages)
    stale = (
        set(NOT_PAGES)
        | set(PARAMS)
        | set(QUERIES)
        | set(NOT_OURS)
        | set(OWN_LANGUAGE)
        | ANONYMOUS_PAGES
    ) - set(our_routes())
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def walk_data(company):
    """The sample company with the longest names a Russian company has."""
    today = timezone.localdate()
    north = company["teams"][0]
    north.name = LONG_TEAM
    north.save(update_fields=["name"])
    long = make_user("long", team=north, channels=("active", "inbound"), full_name=LONG_NAME)
    for back in range(1, 30):
        day = today - dt.timedelta(days=back)
        if day.weekday() < 5:
            write_fact(long, "active", day, first_contacts=12, revenue=Decimal("98765.43"), by=long)
    director = company["director"]
    director.full_name = "Марина Александровна Соколова-Преображенская"
    director.save(update_fields=["full_name"])
    body = b"date,manager,channel,indicator,value\n"
    upload = ImportUpload.objects.create(
        uploaded_by=company["heads"][0], name="kpi.csv", data=body, size=len(body)
    )
    _link, board_token = link_create(
        user=director, label="Телевизор в переговорной", team=None, show_names=True
    )
    commitments_switch(True)
    users = {
        "director": director,
        "head": company["heads"][0],
        "manager": long,
    }
    return {"long": long, "upload": upload, "users": users, "board_token": board_token}


def _context(browser: Browser, live_server, user: User | None, language: str):
    if user is not None:
        user.language = language
        user.save(update_fields=["language"])
    context = browser.new_context(
        viewport=PHONE,
        # Panels that fade in (the wallboard) are measured as they are, not half-faded.
        reduced_motion="reduce",
        locale="ru-RU" if language == "ru" else "en-GB",
        device_scale_factor=1,
    )
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        cookies.append({"name": "sessionid", "value": session, "url": live_server.url})
    context.add_cookies(cookies)
    return context


class Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, where: str, what) -> None:
        self.items.append(f"{where}: {what}")


# Phone screenshots for the README, taken on the way when SCREENSHOTS=1: (route, role) → name.
SCREENSHOT_PAGES = {
    ("metrics:dashboard", "director"): "dashboard",
    ("funnel:day", "manager"): "day",
}

# Counts the HTMX requests still under way: panels that load themselves once the page is
# there (the dashboard's reporting discipline) are measured too.
HTMX_PENDING = """
window.__htmxPending = 0;
document.addEventListener("htmx:beforeRequest", () => { window.__htmxPending += 1; });
document.addEventListener("htmx:afterSettle", () => { window.__htmxPending -= 1; });
document.addEventListener("htmx:afterRequest", (event) => {
  if (!event.detail.successful) window.__htmxPending -= 1;
});
"""


def _screenshot(page: Page, filename: str) -> None:
    """The page as a phone shows it, for the README (SCREENSHOTS=1 refreshes them)."""
    if page.locator(".chart").count():
        page.locator(".js-plotly-plot").last.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The first screen of a tall phone (the whole page would be metres long).
    page.set_viewport_size({"width": PHONE["width"], "height": 812})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / filename)
    page.set_viewport_size(PHONE)


def _visit(page: Page, url: str, errors: list[str]):
    errors.clear()
    response = page.goto(url)
    page.wait_for_function("() => window.__htmxPending <= 0")
    # Panels load when scrolled to (the dashboard's below the fold, its discipline panel):
    # all of them, so that the whole page is measured and audited.
    reveal_every_panel(page)
    page.wait_for_function("() => window.__htmxPending <= 0")
    return response


def test_every_page_fits_a_phone_without_errors_or_accessibility_faults(
    browser: Browser, live_server, walk_data
):
    started = time.monotonic()
    pages = walk_list()
    only = os.environ.get("WALK_ONLY")
    if only:
        pages = [(n, r) for n, r in pages if n in only.split(",")]
    axe_source = AXE.read_text("utf-8") + "\n;void 0;"
    problems = Problems()
    walked: dict[str, set[str]] = {name: set() for name, _ in pages}
    axed: set[tuple[str, str]] = set()
    spent = {"load": 0.0, "axe": 0.0}
    roles: list[tuple[str, User | None]] = [
        ("anonymous", None),
        *walk_data["users"].items(),
    ]
    for language in ("en", "ru"):
        for role, user in roles:
            context = _context(browser, live_server, user, language)
            page = context.new_page()
            page.add_init_script(HTMX_PENDING)
            errors: list[str] = []
            page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
            page.on("pageerror", lambda error, e=errors: e.append(str(error)))
            for name, _route in pages:
                if (role == "anonymous") != (name in ANONYMOUS_PAGES):
                    continue
                if name in NOT_OURS and walked[name]:
                    continue  # a library's page: once is enough
                path = PARAMS[name](walk_data) if name in PARAMS else reverse(name)
                path += QUERIES[name](walk_data) if name in QUERIES else ""
                mark = time.monotonic()
                response = _visit(page, f"{live_server.url}{path}", errors)
                spent["load"] += time.monotonic() - mark
                if os.environ.get("WALK_TIMES"):
                    print(f"{time.monotonic() - mark:5.2f} {path} {role} {language}")
                if (
                    response.status != 200
                    or urlsplit(page.url).path != urlsplit(path).path
                    or "text/html" not in response.headers.get("content-type", "")
                ):
                    continue  # not this role's page (refused, or sent elsewhere)
                where = f"{path} as {role} in {language}"
                walked[name].add(role)
                lang = page.evaluate("document.documentElement.lang")
                if name not in NOT_OURS and name not in OWN_LANGUAGE and lang != language:
                    problems.add(where, "page not in the language asked for")
                measure = page.evaluate(MEASURE)
                if measure["scrollWidth"] > measure["innerWidth"]:
                    problems.add(
                        where,
                        f"scrolls sideways: {measure['scrollWidth']} px > "
                        f"{measure['innerWidth']} px; sticking out: {measure['out']}",
                    )
                for table in measure["tables"]:
                    problems.add(where, table)
                for signal in measure["colourOnly"]:
                    problems.add(where, f"a signal only in colour: {signal}")
                if (name, language) not in axed and name not in NOT_OURS:
                    axed.add((name, language))
                    mark = time.monotonic()
                    page.evaluate(axe_source)
                    for violation in page.evaluate(AXE_RUN):
                        problems.add(where, f"axe: {violation}")
                    spent["axe"] += time.monotonic() - mark
                if errors:
                    problems.add(where, f"console errors: {errors}")
                if (name, role) in SCREENSHOT_PAGES and os.environ.get("SCREENSHOTS") == "1":
                    _screenshot(page, f"{SCREENSHOT_PAGES[name, role]}-phone-{language}.png")
            context.close()
    elapsed = time.monotonic() - started
    nobody = sorted(name for name, who in walked.items() if not who)
    assert not nobody, f"pages no role could open in the walk (fix the walk's data): {nobody}"
    assert not problems.items, f"{len(problems.items)} problems:\n" + "\n".join(problems.items)
    print(
        f"phone walk: {sum(map(len, walked.values()))} pages × roles in 2 languages, "
        f"{elapsed:.1f} s (loading {spent['load']:.1f} s, axe {spent['axe']:.1f} s)"
    )


FOCUS = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return [element.tagName, style.outlineStyle, parseFloat(style.outlineWidth)];
}"""


def test_keyboard_focus_is_visible_on_links_fields_and_buttons(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    seen = set()
    # From the user name (focused on load) back to the brand link, then forward to the button.
    for key in ["Shift+Tab"] * 3 + ["Tab"] * 5:
        page.keyboard.press(key)
        tag, outline, width = page.evaluate(FOCUS)
        seen.add(tag)
        assert outline != "none", tag
        assert width >= 2, tag
    assert {"A", "INPUT", "BUTTON"} <= seen
