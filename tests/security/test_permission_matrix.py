"""Who gets what, for every route of the URL configuration and every role.

MATRIX has ONE entry per named route of our apps (the admin is checked as a group below,
generated from admin.site._registry). A route in the URLconf without an entry fails
`test_every_route_has_a_matrix_entry`: add it to MATRIX, with the answer each role must get.

Each row lists the answer for the roles in ROLES order:
    anonymous, manager A (team 1), manager B (team 2), head of team 1, head of team 2,
    director, admin (staff superuser).
An answer is a status code (200, 400, 403, 404, 405), LOGIN (302 to a login page) or
`to("url-name")` (302 to that page: a write that succeeded, or a role's start page).
Resources in URLs belong to manager A of team 1 (see `World`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api.models import ApiToken
from api.tokens import token_create
from bot.models import TelegramLink
from dashboards.board import link_create
from dashboards.models import BoardLink
from funnel.models import (
    DailyCount,
    DailyFact,
    FactChange,
    ImportUpload,
    ReviewDecision,
    ValueLimit,
)
from plans.commitments import commitments_switch
from plans.models import (
    Commitment,
    DepartmentSettings,
    Holiday,
    MonthlyExpense,
    Plan,
    PlanChange,
)
from teams.models import Team, User
from tests.factories import channel, make_team, make_user, write_fact

ROLES = ("anonymous", "manager_a", "manager_b", "head1", "head2", "director", "admin")
LOGIN = "login"
HX = {"HX-Request": "true"}
PASSWORD = "pass-1234-word"


@dataclass(frozen=True)
class To:
    """A 302 to the page named `name` (its path, any query string)."""

    name: str

    def __repr__(self) -> str:
        return f"to({self.name!r})"


def to(name: str) -> To:
    return To(name)


def R(anon, manager_a, manager_b, head1, head2, director, admin_):  # noqa: N802
    """One row of answers, in ROLES order."""
    return dict(
        zip(ROLES, (anon, manager_a, manager_b, head1, head2, director, admin_), strict=True)
    )


@dataclass
class World:
    """The cast plus one resource of each kind, owned by manager A / team 1."""

    users: dict[str, User | None]
    team1: Team
    manager_a: User
    yesterday: dt.date
    active_id: int

    def first_contacts(self) -> int | None:
        count = DailyCount.objects.filter(
            fact__manager=self.manager_a,
            fact__date=self.yesterday,
            fact__channel_id=self.active_id,
            indicator__code="first_contacts",
        ).first()
        return count.value if count else None

    @property
    def next_month(self) -> dt.date:
        return (self.yesterday.replace(day=1) + dt.timedelta(days=32)).replace(day=1)

    def commitment_today(self) -> int | None:
        found = Commitment.objects.filter(
            manager=self.manager_a, date=timezone.localdate(), channel_id=self.active_id
        ).first()
        return found.value if found else None

    def next_month_revenue_plan(self) -> Decimal | None:
        """Next month is not frozen, so a head's plan cell writes without a reason."""
        plan = Plan.objects.filter(
            manager=self.manager_a, month=self.next_month, indicator="revenue"
        ).first()
        return plan.value if plan else None


@dataclass
class Entry:
    """How to call one route and what each role gets, per method.

    `data(world, n)` builds the POST body; `n` differs per role so that `probe` (a value read
    before and after the request) shows whose write landed. A role writes when its answer is
    a success (200 or a redirect other than LOGIN) unless `writers` says otherwise.
    """

    expect: dict[str, dict[str, object]]
    path: Callable[[World], str] = lambda w: ""
    query: Callable[[World], dict] = lambda w: {}
    data: Callable[[World, int], dict] = lambda w, n: {}
    probe: Callable[[World], object] | None = None
    writers: dict[str, bool] | None = None
    files: Callable[[World, int], dict] = field(default=lambda w, n: {})
    # An API route: each role calls it with a token of its own and sends JSON.
    api: bool = False


def _entry_query(w: World) -> dict:
    return {"manager": w.manager_a.pk, "date": w.yesterday.isoformat()}


def _import_csv(w: World, n: int) -> dict:
    body = (
        f"date,manager,channel,indicator,value\n{w.yesterday},manager_a,active,first_contacts,{n}\n"
    )
    return {"file": SimpleUploadedFile("kpi.csv", body.encode(), content_type="text/csv")}


def _head1_upload(w: World, name: str) -> str:
    """The address `name` of a checked upload of head 1 setting manager A's first contacts."""
    body = (
        f"date,manager,channel,indicator,value\n{w.yesterday},manager_a,active,first_contacts,17\n"
    )
    upload, _created = ImportUpload.objects.get_or_create(
        uploaded_by=w.users["head1"],
        name="matrix.csv",
        defaults={"data": body.encode(), "size": len(body), "status": "checked"},
    )
    return reverse(name, args=[upload.token])


def _board_link(w: World, name: str) -> str:
    """The address `name` of a fresh wallboard link of head 1 to team 1."""
    _link, raw = link_create(user=w.users["head1"], label="matrix TV", team=w.team1)
    return reverse(name, args=[raw])


def _revoked_links(w: World) -> int:
    return BoardLink.objects.exclude(revoked_at=None).count()


# Redirect targets used below: a save goes back to its page, "/" sends each role to its start.
DAY, WEEK, DASH = to("funnel:day"), to("funnel:week"), to("metrics:dashboard")
PLANS = to("metrics:plans")


def _api_fact(w: World, n: int) -> dict:
    item = {"date": w.yesterday.isoformat(), "manager": "manager_a", "channel": "active"}
    return {"values": [{**item, "indicator": "first_contacts", "value": n}]}


def _api_plan(w: World, n: int) -> dict:
    return {
        "month": f"{w.next_month:%Y-%m}",
        "manager": w.manager_a.pk,
        "channel": "active",
        "indicator": "revenue",
        "value": n,
    }


def _commit_path(w: World) -> str:
    """The commitment page, with the department's switch on (it is off by default)."""
    commitments_switch(True)
    return reverse("metrics:commit")


def _commit_data(w: World, n: int) -> dict:
    main = channel("active").main_indicator
    return {"manager": w.manager_a.pk, f"c{w.active_id}_{main}": str(n)}


API_EVERYONE = {"GET": R(401, 200, 200, 200, 200, 200, 200)}

# fmt: off
MATRIX: dict[str, Entry] = {
    "home": Entry(expect={
        #        anon   A    B    head1 head2 director admin
        "GET": R(LOGIN, DAY, DAY, DASH, DASH, DASH, DASH),
    }),
    "language_set": Entry(
        data=lambda w, n: {"language": "ru", "next": "/entry/"},
        expect={
            "GET": R(405, 405, 405, 405, 405, 405, 405),
            "POST": R(*[DAY] * 7),
        },
    ),
    "login": Entry(
        data=lambda w, n: {"username": "manager_a", "password": PASSWORD},
        expect={"GET": R(*[200] * 7), "POST": R(*[to("home")] * 7)},
    ),
    "logout": Entry(expect={"GET": R(*[405] * 7), "POST": R(*[LOGIN] * 7)}),
    "password_change": Entry(
        data=lambda w, n: {
            "old_password": PASSWORD,
            "new_password1": "another-pass-9876",
            "new_password2": "another-pass-9876",
        },
        expect={
            "GET": R(LOGIN, 200, 200, 200, 200, 200, 200),
            "POST": R(LOGIN, *[to("password_change_done")] * 6),
        },
    ),
    "password_change_done": Entry(expect={"GET": R(LOGIN, 200, 200, 200, 200, 200, 200)}),
    "password_reset": Entry(
        data=lambda w, n: {"email": "nobody@example.com"},
        expect={"GET": R(*[200] * 7), "POST": R(*[to("password_reset_done")] * 7)},
    ),
    "password_reset_done": Entry(expect={"GET": R(*[200] * 7)}),
    # An invalid link shows the "link was invalid" page, to everyone.
    "password_reset_confirm": Entry(
        path=lambda w: reverse("password_reset_confirm", args=["MQ", "bad-token"]),
        expect={"GET": R(*[200] * 7)},
    ),
    "password_reset_complete": Entry(expect={"GET": R(*[200] * 7)}),
    "profile": Entry(
        data=lambda w, n: {"name": f"token {n}"},
        expect={"GET": R(LOGIN, *[200] * 6), "POST": R(LOGIN, *[200] * 6)},
    ),
    # The schema and its reference page describe the API and hold no data.
    "api-schema": Entry(expect={"GET": R(*[200] * 7)}),
    "api-docs": Entry(expect={"GET": R(*[200] * 7)}),
    # Telegram's webhook: switched off without a bot token and a secret (as in the tests).
    "bot:webhook": Entry(expect={"GET": R(*[405] * 7), "POST": R(*[404] * 7)}),
    "bot:telegram": Entry(
        data=lambda w, n: {"action": "notify", "notify": "email"},
        expect={"GET": R(LOGIN, *[405] * 6), "POST": R(LOGIN, *[to("profile")] * 6)},
    ),
    "api:me": Entry(api=True, expect=API_EVERYONE),
    "api:channels": Entry(api=True, expect=API_EVERYONE),
    "api:teams": Entry(api=True, expect=API_EVERYONE),
    "api:people": Entry(api=True, expect=API_EVERYONE),
    "api:report": Entry(
        api=True,
        query=lambda w: {
            "date_from": w.yesterday.isoformat(), "date_to": w.yesterday.isoformat(),
            "manager": w.manager_a.pk,
        },
        expect={"GET": R(401, 200, 404, 200, 404, 200, 200)},
    ),
    "api:facts": Entry(
        api=True,
        query=lambda w: {"manager": w.manager_a.pk},
        data=_api_fact,
        probe=World.first_contacts,
        # Manager B and head 2 do not know manager A: the batch is refused (400).
        expect={
            "GET": R(401, 200, 404, 200, 404, 200, 200),
            "POST": R(401, 200, 400, 200, 400, 200, 200),
            "PUT": R(401, 405, 405, 405, 405, 405, 405),
        },
    ),
    "api:plans": Entry(
        api=True,
        query=lambda w: {"manager": w.manager_a.pk, "month": f"{w.next_month:%Y-%m}"},
        data=_api_plan,
        probe=World.next_month_revenue_plan,
        expect={
            "GET": R(401, 200, 404, 200, 404, 200, 200),
            "POST": R(401, 403, 403, 200, 404, 200, 200),
        },
    ),
    "funnel:day": Entry(
        query=_entry_query,
        data=lambda w, n: {f"c{w.active_id}-first_contacts": str(n)},
        probe=World.first_contacts,
        expect={
            #        anon   A    B    head1 head2 director admin
            "GET": R(LOGIN, 200, 404, 200, 404, 200, 200),
            "POST": R(LOGIN, DAY, 404, DAY, 404, DAY, DAY),
            "PUT": R(LOGIN, 405, 405, 405, 405, 405, 405),
        },
    ),
    "funnel:week": Entry(
        query=lambda w: {"manager": w.manager_a.pk, "week": w.yesterday.isoformat()},
        expect={
            "GET": R(LOGIN, 200, 404, 200, 404, 200, 200),
            "POST": R(LOGIN, 405, 405, 405, 405, 405, 405),
        },
    ),
    "funnel:cell": Entry(
        data=lambda w, n: {
            "manager": w.manager_a.pk,
            "date": w.yesterday.isoformat(),
            "channel": w.active_id,
            "code": "first_contacts",
            "value": str(n),
        },
        probe=World.first_contacts,
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, WEEK, 404, WEEK, 404, WEEK, WEEK),
        },
    ),
    "funnel:history": Entry(
        query=_entry_query,
        expect={"GET": R(LOGIN, 200, 404, 200, 404, 200, 200)},
    ),
    # An upload is checked and previewed: nothing is written until "Import" (import_run).
    "funnel:import": Entry(
        files=_import_csv,
        probe=World.first_contacts,
        writers=R(*[False] * 7),
        expect={
            "GET": R(LOGIN, 403, 403, 200, 200, 200, 200),
            "POST": R(LOGIN, 403, 403, 200, 200, 200, 200),
        },
    ),
    # Head 1's checked upload: only its uploader sees it and imports it.
    "funnel:import_status": Entry(
        path=lambda w: _head1_upload(w, "funnel:import_status"),
        expect={
            "GET": R(LOGIN, 403, 403, 200, 404, 404, 404),
            "POST": R(LOGIN, 405, 405, 405, 405, 405, 405),
        },
    ),
    "funnel:import_run": Entry(
        path=lambda w: _head1_upload(w, "funnel:import_run"),
        probe=World.first_contacts,
        writers=R(False, False, False, True, False, False, False),
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, 403, 403, 200, 404, 404, 404),
        },
    ),
    "funnel:template": Entry(
        query=lambda w: {"team": w.team1.pk, "month": f"{w.yesterday:%Y-%m}"},
        expect={"GET": R(LOGIN, 403, 403, 200, 404, 200, 200)},
    ),
    "metrics:dashboard": Entry(
        query=lambda w: {"team": w.team1.pk, "period": "this_month"},
        # Head 2 asking for team 1 gets the page with a form error and no numbers (200).
        expect={"GET": R(LOGIN, 403, 403, 200, 200, 200, 200)},
    ),
    "metrics:export": Entry(
        path=lambda w: reverse("metrics:export", kwargs={"table": "leaderboard", "fmt": "csv"}),
        expect={"GET": R(LOGIN, 403, 403, 200, 200, 200, 200)},
    ),
    "metrics:leaks": Entry(
        query=lambda w: {"team": w.team1.pk, "period": "this_month"},
        # Head 2 asking for team 1 gets the page with a form error and no numbers (200).
        expect={"GET": R(LOGIN, 403, 403, 200, 200, 200, 200)},
    ),
    # The review of reported numbers: leaders only, each within their teams.
    "metrics:review": Entry(
        query=lambda w: {"team": w.team1.pk, "period": "this_month"},
        # Head 2 asking for team 1 gets the page with a form error and no flags (200).
        expect={"GET": R(LOGIN, 403, 403, 200, 200, 200, 200)},
    ),
    # A decision on a flag the filters do not raise (manager A's one fact raises none):
    # refused for managers, a 400 with nothing written for leaders (view tests mark real ones).
    "metrics:review_mark": Entry(
        data=lambda w, n: {
            "q": f"team={w.team1.pk}&period=this_month",
            "manager": w.manager_a.pk,
            "kind": "zeros",
            "date_from": w.yesterday.isoformat(),
            "date_to": w.yesterday.isoformat(),
            "decision": "confirmed",
            "note": f"note {n}",
        },
        probe=lambda w: ReviewDecision.objects.count(),
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, 403, 403, 400, 400, 400, 400),
        },
    ),
    # Manager A's sheet: the heads of their team, the director and admins; head 2 a 404.
    "metrics:one_to_one": Entry(
        path=lambda w: reverse("metrics:one_to_one", kwargs={"manager": w.manager_a.pk}),
        expect={"GET": R(LOGIN, 403, 403, 200, 404, 200, 200)},
    ),
    # A manager's own numbers: heads, the director and admins have no numbers of their own.
    "metrics:my": Entry(expect={"GET": R(LOGIN, 200, 200, 403, 403, 403, 403)}),
    "metrics:my_export": Entry(
        path=lambda w: reverse("metrics:my_export", kwargs={"table": "plans", "fmt": "xlsx"}),
        expect={"GET": R(LOGIN, 200, 200, 403, 403, 403, 403)},
    ),
    "metrics:norms": Entry(
        query=lambda w: {"manager": w.manager_a.pk},
        expect={"GET": R(LOGIN, 200, 404, 200, 404, 200, 200)},
    ),
    # Manager A commits for their own day; heads of their team and leaders above may look,
    # never commit for them (403); anyone else does not find them (404).
    "metrics:commit": Entry(
        path=_commit_path,
        query=lambda w: {"manager": w.manager_a.pk},
        data=_commit_data,
        probe=World.commitment_today,
        expect={
            "GET": R(LOGIN, 200, 404, 200, 404, 200, 200),
            "POST": R(LOGIN, to("metrics:commit"), 404, 403, 404, 403, 403),
        },
    ),
    "metrics:discipline": Entry(
        query=lambda w: {"team": w.team1.pk},
        expect={"GET": R(LOGIN, 403, 403, 200, 404, 200, 200)},
    ),
    "metrics:plans": Entry(
        query=lambda w: {"team": w.team1.pk},
        expect={"GET": R(LOGIN, 403, 403, 200, 404, 200, 200)},
    ),
    "metrics:plan_cell": Entry(
        # GET shows the stored cell (the grid asks for it as a fragment).
        query=lambda w: {
            "manager": w.manager_a.pk,
            "channel": "active",
            "indicator": "revenue",
            "month": f"{w.next_month:%Y-%m}",
        },
        data=lambda w, n: {
            "manager": w.manager_a.pk,
            "channel": "active",
            "indicator": "revenue",
            "month": f"{w.next_month:%Y-%m}",
            "value": str(n),
        },
        probe=World.next_month_revenue_plan,
        expect={
            "GET": R(LOGIN, 403, 403, PLANS, 404, PLANS, PLANS),
            "POST": R(LOGIN, 403, 403, PLANS, 404, PLANS, PLANS),
        },
    ),
    "metrics:plan_it": Entry(
        query=lambda w: {"who": f"manager-{w.manager_a.pk}"},
        expect={"GET": R(LOGIN, 403, 403, 200, 404, 200, 200)},
    ),
    "metrics:plan_it_use": Entry(
        # The history (3 first contacts) is too short: the levers are typed in.
        data=lambda w, n: {
            "who": f"manager-{w.manager_a.pk}",
            "month": f"{w.next_month:%Y-%m}",
            "channel": "active",
            "target": str(n * 1000),
            "check": "1000",
            **{f"conv-{i}": "50" for i in range(6)},
        },
        probe=World.next_month_revenue_plan,
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, 403, 403, PLANS, 404, PLANS, PLANS),
        },
    ),
    "metrics:plan_copy": Entry(
        data=lambda w, n: {"team": w.team1.pk, "month": f"{w.next_month:%Y-%m}"},
        # Nothing to copy (no plans last month): every answer writes nothing.
        probe=World.next_month_revenue_plan,
        writers=R(*[False] * 7),
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, 403, 403, PLANS, 404, PLANS, PLANS),
        },
    ),
    # A leader's own wallboard (their scope, names shown) and its minute's poll.
    "board:mine": Entry(expect={
        "GET": R(LOGIN, 403, 403, 200, 200, 200, 200),
        "POST": R(LOGIN, 405, 405, 405, 405, 405, 405),
    }),
    "board:mine_live": Entry(expect={
        "GET": R(LOGIN, 403, 403, 200, 200, 200, 200),
        "POST": R(LOGIN, 405, 405, 405, 405, 405, 405),
    }),
    "board:links": Entry(
        data=lambda w, n: {"label": f"TV {n}", "rotate_seconds": "15", "language": "en"},
        probe=lambda w: BoardLink.objects.count(),
        expect={
            "GET": R(LOGIN, 403, 403, 200, 200, 200, 200),
            "POST": R(LOGIN, 403, 403, 200, 200, 200, 200),
        },
    ),
    # Head 1's link: only its creator revokes it (the admin does it in the admin site).
    "board:revoke": Entry(
        path=lambda w: reverse(
            "board:revoke",
            args=[link_create(user=w.users["head1"], label="TV", team=w.team1)[0].pk],
        ),
        probe=_revoked_links,
        expect={
            "GET": R(LOGIN, 405, 405, 405, 405, 405, 405),
            "POST": R(LOGIN, 403, 403, to("board:links"), 404, 404, 404),
        },
    ),
    # The board behind a link: its token is the key, for whoever holds the address, signed
    # in or not (a wrong, revoked or orphaned token is a 404: tests/dashboards/test_board.py).
    # Read-only: nothing else is answered.
    "board:board": Entry(
        path=lambda w: _board_link(w, "board:board"),
        expect={"GET": R(*[200] * 7), "POST": R(*[405] * 7), "PUT": R(*[405] * 7)},
    ),
    "board:live": Entry(
        path=lambda w: _board_link(w, "board:live"),
        expect={"GET": R(*[200] * 7), "POST": R(*[405] * 7)},
    ),
}
# fmt: on


# ---- the URL configuration ---------------------------------------------------------------


def _routes(resolver=None, namespace: str | None = None, prefix: str = ""):
    """(name with namespace or None, route pattern) for every URL of the URLconf."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, prefix + str(pattern.pattern), namespace


def our_routes() -> dict[str | None, str]:
    """Every route outside the admin (the admin is checked as a group)."""
    return {name: route for name, route, namespace in _routes() if namespace != admin.site.name}


def test_every_route_has_a_matrix_entry():
    routes = our_routes()
    unnamed = [route for name, route in routes.items() if name is None]
    assert not unnamed, f"routes without a name (name them, then add them to MATRIX): {unnamed}"
    missing = sorted(set(routes) - set(MATRIX))
    assert not missing, (
        f"routes without an entry in MATRIX: {missing} — add it to MATRIX in {__file__} "
        "with the answer of every role"
    )
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


def test_the_url_walk_finds_the_entry_pages_and_the_auth_views():
    routes = our_routes()
    assert {"funnel:day", "funnel:cell", "funnel:import", "login", "password_change"} <= set(routes)


# ---- running the matrix ------------------------------------------------------------------


@pytest.fixture
def world(manager_a, manager_a2, manager_b, head1, head2, director, admin_user, team1) -> World:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    write_fact(manager_a, "active", yesterday, first_contacts=3, revenue=Decimal("100.00"))
    users = {
        "anonymous": None,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "head1": head1,
        "head2": head2,
        "director": director,
        "admin": admin_user,
    }
    return World(users, team1, manager_a, yesterday, channel("active").pk)


def _request(client: Client, method: str, url: str, data: dict, headers: dict, api: bool):
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "POST" and api:
        return client.post(url, data, content_type="application/json", headers=headers)
    if method == "POST":
        return client.post(url, data, headers=headers)
    return client.generic(method, url, headers=headers)


def answer_matches(expected, response, *, htmx: bool = False) -> bool:
    location = urlsplit(response.get("Location", "")).path
    if expected == LOGIN:
        return response.status_code == 302 and location in (
            reverse("login"),
            reverse("admin:login"),
        )
    if isinstance(expected, To):
        # An HTMX save answers with the fresh fragment instead of a redirect.
        if htmx and response.status_code == 200:
            return True
        return response.status_code == 302 and location == reverse(expected.name)
    return response.status_code == expected


def describe(response) -> str:
    where = response.get("Location", "")
    return f"{response.status_code}{' → ' + where if where else ''}"


def run_entry(name: str, entry: Entry, world: World, *, htmx: bool = False) -> list[str]:
    url = (entry.path(world) or reverse(name)) + (
        "?" + urlencode(entry.query(world)) if entry.query(world) else ""
    )
    failures = []
    for method, row in entry.expect.items():
        for n, role in enumerate(ROLES, start=10):
            client = Client()
            headers = HX if htmx else {}
            user = world.users[role]
            if user is not None and entry.api:
                _token, raw = token_create(user=user, name=f"matrix {method} {n}")
                headers = {**headers, "Authorization": f"Bearer {raw}"}
            elif user is not None:
                client.force_login(user)
            data = {**entry.data(world, n), **entry.files(world, n)} if method == "POST" else {}
            before = entry.probe(world) if entry.probe and method == "POST" else None
            response = _request(client, method, url, data, headers, entry.api)
            if not answer_matches(row[role], response, htmx=htmx):
                failures.append(
                    f"{method} {url} as {role}: expected {row[role]!r}, got {describe(response)}"
                )
            if entry.probe and method == "POST":
                wrote = entry.probe(world) != before
                expected = (
                    entry.writers[role]
                    if entry.writers
                    else isinstance(row[role], To) or row[role] == 200
                )
                if wrote != expected:
                    failures.append(
                        f"{method} {url} as {role}: {'wrote' if wrote else 'did not write'}"
                    )
    return failures


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_expected_answer(name, world, settings):
    settings.AXES_ENABLED = False  # a login POST per role must not count towards a lockout
    failures = run_entry(name, MATRIX[name], world)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_htmx_requests_get_the_same_answers_as_plain_ones(name, world, settings):
    settings.AXES_ENABLED = False
    failures = run_entry(name, MATRIX[name], world, htmx=True)
    assert not failures, "\n".join(failures)


def test_a_refused_write_leaves_no_history(world):
    """The writes the matrix refused (B, head 2) left no trace; the allowed ones did."""
    before = FactChange.objects.count()
    client = Client()
    client.force_login(world.users["manager_b"])
    client.post(reverse("funnel:cell"), MATRIX["funnel:cell"].data(world, 99))
    assert FactChange.objects.count() == before
    assert world.first_contacts() == 3


# ---- the admin, as a group ---------------------------------------------------------------


def _admin_objects(world: World) -> dict[type, object]:
    """One instance of every model registered in the admin (created where needed)."""
    fact = DailyFact.objects.filter(manager=world.manager_a).first()
    month = world.yesterday.replace(day=1)
    plan = Plan.objects.create(
        month=month,
        channel_id=world.active_id,
        manager=world.manager_a,
        indicator="revenue",
        value=1,
    )
    made = {
        Group: Group.objects.create(name="auditors"),
        AccessAttempt: AccessAttempt.objects.create(
            username="x", ip_address="10.0.0.1", user_agent="t", failures_since_start=1
        ),
        AccessLog: AccessLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="t"),
        AccessFailureLog: AccessFailureLog.objects.create(
            username="x", ip_address="10.0.0.1", user_agent="t"
        ),
        Team: world.team1,
        User: world.manager_a,
        ReviewDecision: ReviewDecision.objects.create(
            manager=world.manager_a,
            kind="zeros",
            date_from=world.yesterday,
            date_to=world.yesterday,
            decision="asked_to_fix",
        ),
        DailyFact: fact,
        FactChange: fact.changes.first(),
        Holiday: Holiday.objects.create(date=dt.date(2026, 1, 1), name="New year"),
        Plan: plan,
        PlanChange: PlanChange.objects.create(plan=plan, new_value=2, reason="market"),
        MonthlyExpense: MonthlyExpense.objects.create(month=month, expenses=1, reserves=1),
        DepartmentSettings: DepartmentSettings.objects.create(commitments_enabled=True),
        Commitment: Commitment.objects.create(
            manager=world.manager_a,
            date=world.yesterday,
            channel_id=world.active_id,
            code="first_contacts",
            value=4,
        ),
        type(channel("active")): channel("active"),
        ValueLimit: ValueLimit.objects.create(
            channel_id=world.active_id, code="first_contacts", max_per_day=500
        ),
        ApiToken: token_create(user=world.manager_a, name="admin check")[0],
        BoardLink: link_create(user=world.users["head1"], label="admin check", team=world.team1)[0],
        TelegramLink: TelegramLink.objects.create(user=world.manager_a, chat_id=4242),
        DBTaskResult: DBTaskResult.objects.create(
            args_kwargs={"args": [1, True], "kwargs": {}},
            task_path="funnel.tasks.upload_task",
            backend_name="default",
            run_after=timezone.now(),
        ),
    }
    return made


# Admin pages that even a superuser must not open: the history records are append-only and
# axes' records are written by axes alone.
# The background tasks' results are the worker's (django-tasks-db: no adding by hand).
ADMIN_ADD_REFUSED = {
    FactChange,
    ReviewDecision,
    PlanChange,
    Commitment,  # written on the commitment page only
    DepartmentSettings,  # one row: it exists, so no second one
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    DBTaskResult,
    BoardLink,  # made by heads on their links page, where the token is shown once
    TelegramLink,  # made by its person through the bot
}


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m._meta.model_name}"
)
def test_admin_pages_of_every_registered_model_are_for_the_admin_only(model, world, settings):
    # The task results' pages name each task through its backend: the production one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    objects = _admin_objects(world)
    assert model in objects, (
        f"no instance of {model.__name__} for the admin check: add one to _admin_objects"
    )
    info = (model._meta.app_label, model._meta.model_name)
    urls = {
        "changelist": (reverse("admin:{}_{}_changelist".format(*info)), 200),
        "add": (
            reverse("admin:{}_{}_add".format(*info)),
            403 if model in ADMIN_ADD_REFUSED else 200,
        ),
        "change": (reverse("admin:{}_{}_change".format(*info), args=[objects[model].pk]), 200),
    }
    failures = []
    for role in ROLES:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        for kind, (url, admin_status) in urls.items():
            response = client.get(url)
            expected = admin_status if role == "admin" else LOGIN
            if not answer_matches(expected, response):
                failures.append(
                    f"{kind} {url} as {role}: expected {expected}, got {describe(response)}"
                )
    assert not failures, "\n".join(failures)


def test_admin_index_is_for_the_admin_only(world):
    for role in ROLES:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        response = client.get(reverse("admin:index"))
        assert answer_matches(200 if role == "admin" else LOGIN, response), (
            role,
            describe(response),
        )


def test_a_staff_head_without_model_permissions_sees_no_admin_data(world, team1):
    """is_staff alone opens the admin index, but no model page: permissions decide."""
    head = make_user("staffhead", role=User.Role.HEAD, channels=(), is_staff=True)
    make_team("Team 3", heads=(head,))
    client = Client()
    client.force_login(head)
    assert client.get(reverse("admin:index")).status_code == 200
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 403, model
