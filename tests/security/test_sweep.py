"""No input gives a 5xx: a hypothesis sweep over every route of the URL configuration.

SWEEP lists, for every named route outside the admin, the parameters its view reads (query
string and form fields alike: each is sent both ways) and what kind each is. A route in the
URLconf without an entry fails `test_every_route_is_swept`, as the permission matrix does.
The admin's pages come from admin.site._registry: every changelist with the parameters its
filters, search, ordering and date hierarchy read, and every add page.

Each example picks a role (anonymous, the six roles of the matrix), a method, plain or HTMX,
and a value for each parameter: a good one, or a hostile one (dates at the ends of the
calendar, NUL and other controls, huge and negative numbers, other scripts' digits, long
strings). The answer must be below 500. SWEEP_EXAMPLES=300 for a deeper run by hand.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards.board import token_hash
from dashboards.models import BoardLink
from plans.commitments import commitments_switch
from tests.factories import channel, write_fact
from tests.security.test_permission_matrix import our_routes

SWEEP_SETTINGS = settings(
    max_examples=int(os.environ.get("SWEEP_EXAMPLES", 10)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
ROLES = ("anonymous", "manager_a", "manager_b", "head1", "head2", "director", "admin")
TODAY = timezone.localdate()

HOSTILE = [
    "",
    "\x00",
    "1\x00",
    "a\x1b[2J",
    "\x7f",
    "-1",
    "0",
    "9" * 30,
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "NaN",
    "١٢٣",
    "１２",
    "²",
    "𝟙𝟚",
    "x" * 5000,
    "' OR 1=1 --",
    "<script>",
    "☃",
    "%00",
]
EXTREME_DATES = [
    "0001-01-01",
    "0001-01-31",
    "1999-12-31",
    "2101-01-01",
    "9999-12-01",
    "9999-12-31",
    "2026-02-30",
    "٢٠٢٦-٠١-٠١",
    "2026-1-1",
    "20261201",
]
EXTREME_MONTHS = ["0001-01", "9999-12", "1999-12", "2101-01", "2026-13", "2026-00", "٢٠٢٦-٠١"]

hostile = st.one_of(*[st.sampled_from(HOSTILE)] * 3, st.text(max_size=30))
near_days = st.integers(min_value=-40, max_value=5).map(
    lambda n: (TODAY + dt.timedelta(days=n)).isoformat()
)
KINDS = {
    "date": st.one_of(near_days, st.sampled_from(EXTREME_DATES), st.dates().map(str)),
    "month": st.one_of(
        st.just(f"{TODAY:%Y-%m}"),
        st.sampled_from(EXTREME_MONTHS),
        st.dates().map(lambda d: f"{d:%Y-%m}"),
    ),
    "number": st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.decimals(allow_nan=True).map(str),
    ),
    "text": st.text(max_size=60),
    "period": st.sampled_from(
        [
            "custom",
            "custom",
            "custom",
            "this_month",
            "last_month",
            "this_quarter",
            "this_year",
            "week",
            "bogus",
        ]
    ),
    "step": st.sampled_from(["day", "week", "month", "year"]),
    "code": st.sampled_from(["first_contacts", "revenue", "leads_received", "margin", "x"]),
    "channel_code": st.sampled_from(["active", "inbound", "partner", "repeat_vip", "nope"]),
    "language": st.sampled_from(["ru", "en", "de"]),
    "flag": st.sampled_from(["on", "1", "true", ""]),
}


def ids(world) -> st.SearchStrategy[str]:
    pool = [str(pk) for pk in world["ids"]]
    return st.sampled_from(pool)


def _shift(anchor: dt.date, days: int) -> str:
    try:
        return (anchor + dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return anchor.isoformat()


def dates_near(anchor: dt.date) -> st.SearchStrategy[str]:
    """Dates around one anchor per example, so that a range's two ends are both extreme."""
    return st.integers(min_value=-3, max_value=40).map(lambda n: _shift(anchor, n))


anchors = st.one_of(
    st.just(TODAY),
    st.sampled_from(
        [dt.date(1, 1, 1), dt.date(9999, 12, 1), dt.date(1999, 12, 31), dt.date(2100, 12, 30)]
    ),
    st.dates(),
)


def value_of(kind: str, world, anchor: dt.date, *, hostile_too=True) -> st.SearchStrategy[str]:
    if kind == "id":
        good = ids(world)
    elif kind == "date":
        good = st.one_of(dates_near(anchor), dates_near(anchor), KINDS["date"])
    elif kind == "month":
        good = st.one_of(st.just(f"{anchor:%Y-%m}"), KINDS["month"])
    else:
        good = KINDS[kind]
    return st.one_of(good, good, hostile) if hostile_too else good


FILTERS = {
    "period": "period",
    "date_from": "date",
    "date_to": "date",
    "channel": "id",
    "team": "id",
    "manager": "id",
    "granularity": "step",
    "stage": "code",
    "d_code": "code",
    "d_channel": "id",
    "d_manager": "id",
    "d_from": "date",
    "d_to": "date",
    "panel": "text",
    "all": "text",
}
ENTRY = {"manager": "id", "date": "date"}
PLAN = {"manager": "id", "channel": "channel_code", "indicator": "code", "month": "month"}
WHATIF = {
    "who": "text",
    "month": "month",
    "channel": "channel_code",
    "target": "number",
    "conv-0": "number",
    "check": "number",
    "activity": "number",
    "managers": "number",
}
EXPORT_ARGS = {
    "table": ["leaderboard", "conversions", "plans", "facts", "x"],
    "fmt": ["csv", "xlsx"],
}

# fmt: off
SWEEP: dict[str, dict] = {
    "home": {},
    "language_set": {"language": "language", "next": "text"},
    "login": {"username": "text", "password": "text", "next": "text"},
    "logout": {},
    "password_change": {"old_password": "text", "new_password1": "text", "new_password2": "text"},
    "password_change_done": {},
    "password_reset": {"email": "text"},
    "password_reset_done": {},
    "password_reset_confirm": {"new_password1": "text", "new_password2": "text"},
    "password_reset_complete": {},
    "funnel:day": {**ENTRY, "c{channel}-first_contacts": "number", "c{channel}-revenue": "number"},
    "funnel:week": {"manager": "id", "week": "date"},
    "funnel:cell": {**ENTRY, "channel": "id", "code": "code", "value": "number"},
    "funnel:history": {**ENTRY, "channel": "id", "code": "code"},
    "funnel:import": {"dry_run": "flag"},
    "metrics:dashboard": FILTERS,
    "metrics:export": FILTERS,
    "metrics:my": FILTERS,
    "metrics:my_export": FILTERS,
    "metrics:norms": {"manager": "id"},
    "metrics:commit": {"manager": "id", "c{channel}_first_contacts": "number",
                       "c{channel}_prospects_added": "number"},
    "metrics:discipline": {"team": "id", "manager": "id", "channel": "id", "from": "date",
                           "to": "date"},
    "metrics:plans": {"team": "id", "month": "month"},
    "metrics:plan_cell": {**PLAN, "value": "number", "reason": "text", "team": "id"},
    "metrics:plan_copy": {"team": "id", "month": "month", "reason": "text"},
    "metrics:plan_it": WHATIF,
    "metrics:plan_it_use": {**WHATIF, "reason": "text"},
    "metrics:leaks": FILTERS,
    "metrics:review": FILTERS,
    "metrics:review_mark": {"q": "text", "manager": "id", "kind": "text", "date_from": "date",
                            "date_to": "date", "channel_code": "text", "code": "text",
                            "decision": "text", "note": "text"},
    "metrics:one_to_one": {"period": "text"},
    "funnel:template": {"team": "id", "month": "month"},
    "funnel:import_status": {},
    "funnel:import_run": {"accept": "flag"},
    "profile": {"name": "text", "action": "text", "token": "id", "notify": "text"},
    "bot:telegram": {"action": "text", "notify": "text"},
    "bot:webhook": {"update_id": "number"},
    "api-schema": {},
    "api-docs": {},
    "api:me": {},
    "api:channels": {},
    "api:teams": {},
    "api:people": {},
    "api:report": {"date_from": "date", "date_to": "date", "as_of": "date", "team": "id",
                   "manager": "id", "channel": "channel_code"},
    "api:facts": {"date_from": "date", "date_to": "date", "manager": "id",
                  "channel": "channel_code", "page": "number"},
    "api:plans": {"month": "month", "manager": "id", "channel": "channel_code"},
    "board:mine": {"team": "id"},
    "board:mine_live": {"team": "id"},
    "board:links": {"label": "text", "team": "id", "show_names": "flag",
                    "rotate_seconds": "number", "language": "language"},
    "board:revoke": {},
    "board:board": {"team": "id"},
    "board:live": {"team": "id"},
}
# fmt: on


def test_every_route_is_swept():
    routes = our_routes()
    missing = sorted(set(routes) - set(SWEEP))
    assert not missing, f"routes the sweep does not know: {missing}; add them to SWEEP"
    stale = sorted(set(SWEEP) - set(routes))
    assert not stale, f"SWEEP entries for routes that no longer exist: {stale}"


def _admin_params(model_admin) -> dict[str, str]:
    """The query parameters an admin changelist reads, from its ModelAdmin."""
    params = {"q": "text", "o": "text", "p": "number", "all": "flag", "e": "text"}
    for item in model_admin.list_filter:
        name = item[0] if isinstance(item, tuple) else item
        if isinstance(name, str):
            for lookup in ("__exact", "__id__exact", "__isnull"):
                params[name + lookup] = "text"
    if model_admin.date_hierarchy:
        for part, kind in (("year", "number"), ("month", "number"), ("day", "number")):
            params[f"{model_admin.date_hierarchy}__{part}"] = kind
        params[f"{model_admin.date_hierarchy}__gte"] = "date"
    return params


ADMIN_PAGES = {
    f"admin:{m._meta.app_label}_{m._meta.model_name}_{page}": _admin_params(ma)
    for m, ma in admin.site._registry.items()
    for page in ("changelist", "add", "change", "delete", "history")
}
OBJECT_IDS = ["1", "2", "3", "0", "-1", "9" * 25, "x", "١", "1.5"]


@pytest.fixture
def world(manager_a, manager_a2, manager_b, head1, head2, director, admin_user, team1, team2):
    yesterday = TODAY - dt.timedelta(days=1)
    write_fact(manager_a, "active", yesterday, first_contacts=3, revenue=Decimal("100.00"))
    users = {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "head1": head1,
        "head2": head2,
        "director": director,
        "admin": admin_user,
    }
    BoardLink.objects.create(
        label="TV", token_hash=token_hash(BOARD_TOKEN), created_by=head1, team=team1, language="en"
    )
    pool = {u.pk for u in users.values()} | {team1.pk, team2.pk, channel("active").pk}
    return {"users": users, "ids": sorted(pool), "channel": channel("active").pk}


# A wallboard link of head 1 with this token exists in the world (see `world`).
BOARD_TOKEN = "B" * 43


def _path(name: str, draw_arg) -> str:
    if name in ("metrics:export", "metrics:my_export"):
        return reverse(name, kwargs={k: draw_arg(v) for k, v in EXPORT_ARGS.items()})
    if name.startswith("admin:") and name.endswith(("_change", "_delete", "_history")):
        return reverse(name, args=[draw_arg(OBJECT_IDS)])
    if name in ("funnel:import_status", "funnel:import_run"):
        return reverse(name, args=[draw_arg(["00000000-0000-0000-0000-000000000000"])])
    if name in ("board:board", "board:live"):
        return reverse(name, args=[draw_arg([BOARD_TOKEN, "A" * 43])])
    if name == "board:revoke":
        return reverse(name, args=[draw_arg(["1", "2", "0", "9" * 25])])
    if name == "metrics:one_to_one":
        return reverse(name, args=[draw_arg(["1", "2", "3", "0", "9" * 25])])
    if name == "password_reset_confirm":
        return reverse(name, args=[draw_arg(["MQ", "x", "Mg"]), draw_arg(["set-password", "x"])])
    return reverse(name)


def _request(name, role, method, htmx, values, world, data) -> None:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = _path(name, lambda choices: data.draw(st.sampled_from(choices)))
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        response = client.get(url, values, headers=headers)
    else:
        response = client.post(url, values, headers=headers)
    assert response.status_code < 500, (
        f"{method} {url} {values!r} as {role}: {response.status_code}"
    )


def _sweep(name: str, params: dict[str, str], world, roles=ROLES) -> None:
    @SWEEP_SETTINGS
    @given(
        role=st.sampled_from(roles),
        method=st.sampled_from(["GET", "POST"]),
        htmx=st.booleans(),
        anchor=anchors,
        data=st.data(),
    )
    def run(role, method, htmx, anchor, data):
        # All parameters good (around the anchor), then one, several or all made hostile.
        keys = [key.format(channel=world["channel"]) for key in params]
        values = {
            key: data.draw(value_of(kind, world, anchor, hostile_too=False), label=key)
            for key, kind in zip(keys, params.values(), strict=True)
        }
        for key in (
            data.draw(st.sets(st.sampled_from(keys), min_size=1, max_size=3)) if keys else []
        ):
            values[key] = data.draw(hostile, label=f"hostile {key}")
        for key in data.draw(st.lists(st.sampled_from(keys), max_size=2)) if keys else []:
            values.pop(key, None)
        _request(name, role, method, htmx, values, world, data)

    run()


@pytest.mark.parametrize("name", sorted(SWEEP))
def test_no_input_gives_a_server_error(name, world, settings):
    settings.AXES_FAILURE_LIMIT = 10_000
    if name == "metrics:commit":
        commitments_switch(True)  # off, the page is a 404 whatever the input
    _sweep(name, SWEEP[name], world)


@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_no_admin_input_gives_a_server_error(name, world):
    # Others are sent to the admin's login page before any parameter is read (the matrix).
    _sweep(name, ADMIN_PAGES[name], world, roles=("admin",))


@pytest.mark.parametrize("name", sorted(SWEEP) + sorted(ADMIN_PAGES))
def test_control_characters_in_any_parameter_are_a_400(name, world):
    """NUL in every parameter a page reads, as each role that may read them: a 400 with the
    reason, before any view or database sees it (PostgreSQL refuses NUL in text)."""
    params = {**SWEEP.get(name, {}), **ADMIN_PAGES.get(name, {}), "extra": "text"}
    values = {key.format(channel=world["channel"]): "1\x00" for key in params}
    roles = ("admin",) if name in ADMIN_PAGES else ("anonymous", "manager_a", "head1", "admin")
    for role in roles:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(world["users"][role])
        url = _path(name, lambda choices: choices[0])
        for method in ("get", "post"):
            if method == "post" and name.startswith("api"):
                # The API takes JSON only (a form is a 415): the NUL goes in its query.
                response = client.post(f"{url}?{urlencode(values)}", {})
            else:
                response = getattr(client, method)(url, values)
            assert response.status_code == 400, f"{method} {url} as {role}"
            assert "The request contains control characters" in response.content.decode()


# ---- the ends of the calendar, on every route that reads a date or a month ---------------

EXTREME_ANCHORS = [
    dt.date(1, 1, 1),
    dt.date(9999, 12, 1),
    dt.date(1999, 12, 1),
    dt.date(2101, 1, 1),
]
DATED = sorted(n for n, params in SWEEP.items() if {"date", "month"} & set(params.values()))
# Views that read their parameters from a POSTed form as well (the others read the URL only).
READS_THE_FORM = {"funnel:day", "funnel:week", "funnel:cell", "funnel:history"}
READS_THE_FORM |= {"metrics:plan_cell", "metrics:plan_copy", "metrics:plan_it_use"}
RANGE_MESSAGE = "Enter a date between the years 2000 and 2100."


def _extreme_values(params: dict[str, str], anchor: dt.date, world) -> dict[str, str]:
    values, dates = {}, 0
    for key, kind in params.items():
        if kind == "date":
            values[key] = _shift(anchor, 30 * dates)
            dates += 1
        elif kind == "month":
            values[key] = f"{anchor.year:04d}-{anchor.month:02d}"
        elif kind == "period":
            values[key] = "custom"
        elif key in ("manager", "d_manager"):
            values[key] = str(world["users"]["manager_a"].pk)
        elif key in ("channel", "d_channel"):
            values[key] = "active" if kind == "channel_code" else str(world["channel"])
    return values


@pytest.mark.parametrize("name", DATED)
def test_dates_at_the_ends_of_the_calendar_are_refused_with_a_message(name, world):
    """Years outside 2000..2100 are refused, with the reason, by every role that may ask."""
    for anchor in EXTREME_ANCHORS:
        values = _extreme_values(SWEEP[name], anchor, world)
        for role in ("manager_a", "head1", "director"):
            client = Client(raise_request_exception=False)
            client.force_login(world["users"][role])
            url = _path(name, lambda choices: choices[0])
            for method in ("get", "post"):
                response = getattr(client, method)(url, values)
                where = f"{method} {url} {values} as {role}"
                assert response.status_code < 500, f"{where}: {response.status_code}"
                read = method == "get" or name in READS_THE_FORM
                if read and response.status_code in (200, 400):
                    assert RANGE_MESSAGE in response.content.decode(), where


# ---- each nasty value in every parameter at once --------------------------------------------

NASTY = ["9" * 30, "9999", "-9223372036854775809", "١٢٣", "²", "x" * 5000, "1e400", "0001-01-01"]
CHANGELISTS = sorted(n for n in ADMIN_PAGES if n.endswith("_changelist"))


@pytest.mark.parametrize("name", sorted(SWEEP) + CHANGELISTS)
def test_each_nasty_value_in_every_parameter_at_once(name, world):
    """What a random sweep may miss: every parameter of a page set to one nasty value."""
    params = {**SWEEP.get(name, {}), **ADMIN_PAGES.get(name, {})}
    roles = ("admin",) if name in ADMIN_PAGES else ("manager_a", "director")
    methods = ("get", "post") if name in READS_THE_FORM else ("get",)
    url = _path(name, lambda choices: choices[0])
    for role in roles:
        client = Client(raise_request_exception=False)
        client.force_login(world["users"][role])
        for nasty in NASTY:
            values = {key.format(channel=world["channel"]): nasty for key in params}
            for method in methods:
                response = getattr(client, method)(url, values)
                assert response.status_code < 500, f"{method} {url} {nasty[:40]!r} as {role}"
