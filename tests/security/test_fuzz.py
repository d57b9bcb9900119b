"""Hostile input against every form and import endpoint: never a 500, never a partial write.

Each example sends one generated request; whenever the answer is not a success, nothing a
fact write touches (facts, counts, history, totals) may have changed, and the maintained
totals must still equal a fresh aggregation of the facts.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.inputs import has_control
from channels.models import Channel
from funnel.models import DailyFact, Indicator
from tests.factories import channel, write_fact
from tests.security.helpers import HX, assert_totals_exact, fact_state

# FUZZ_EXAMPLES=500 for a deeper run by hand.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1e9",
    "1E-2",
    "NaN",
    "Infinity",
    "-inf",
    "0x10",
    "١٢٣",
    "１２",
    "1 234,50",
    "1,234.50",
    "12.345",
    "0.001",
    "2147483647",
    "2147483648",
    "999999999999.99",
    "1000000000000",
    "9" * 40,
    "\x00",
    "1\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "𝟙𝟚",
    "☃",
    "[]",
    "{}",
    "None",
    "true",
]

valid_values = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.decimals(min_value=0, max_value=10**6, places=2).map(str),
)
values = st.one_of(
    valid_values,
    valid_values,
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
TODAY = timezone.localdate()
dates = st.one_of(
    # Mostly days near today (inside and just outside the edit window), to reach real saves.
    st.integers(min_value=-10, max_value=2).map(
        lambda n: (TODAY + dt.timedelta(days=n)).isoformat()
    ),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.sampled_from(["", "today", "2024-02-30", "0000-01-01", "9999-12-31", "2024-1-1", "-1"]),
    st.text(max_size=12),
)


@pytest.fixture
def cast(manager_a, manager_a2, manager_b, head1, head2, director, admin_user):
    """The cast with some facts already there, so that overwrites and zeroing are fuzzed too."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    write_fact(manager_a, "active", yesterday, first_contacts=3, revenue=Decimal("10.50"))
    write_fact(manager_b, "inbound", yesterday, leads_received=7)
    return {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "head1": head1,
        "head2": head2,
        "director": director,
        "admin": admin_user,
    }


def id_pool(cast) -> st.SearchStrategy[str]:
    """Real ids of every kind (others' included), and ids that are not ids."""
    ids = [str(u.pk) for u in cast.values()]
    ids += [str(pk) for pk in Channel.objects.values_list("pk", flat=True)]
    return st.one_of(
        st.sampled_from(ids),
        st.sampled_from(["", "0", "-1", "99999999", "9" * 30, "1.5", "1e3", "abc", " 1"]),
        st.text(max_size=8),
    )


# Codes of the default channels (every channel's own and others'), money codes, and junk.
KNOWN_CODES = [
    *("first_contacts", "meetings_set", "negotiations_held", "proposals_sent"),
    *("contracts_agreed", "invoices_issued", "prospects_added", "contact_attempts"),
    *("proposals_reviewed", "leads_received", "qualified_leads", "consultations_held"),
    *("occasion_contacts", "offers_made", "orders_agreed", "partner_contacts"),
    *("dm_meetings_set", "dm_attempts"),
    *("invoiced_amount", "payments_count", "revenue", "variable_costs", "margin"),
]


def codes() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KNOWN_CODES), st.text(max_size=20))


def login(role: str, cast) -> Client:
    client = Client()
    client.force_login(cast[role])
    return client


def succeeded(response) -> bool:
    """A save answers with a redirect, or with the fragment and its "saved" event under HTMX."""
    if response.status_code == 302:
        return True
    return response.status_code == 200 and "counts-saved" in response.get("HX-Trigger", "")


def controls(data: dict) -> bool:
    """Control characters in a field: every request with them is a 400 (channels.inputs)."""
    return any(has_control(str(k)) or has_control(str(v)) for k, v in data.items())


def check(response, before) -> None:
    assert response.status_code < 500, response.content[:500]
    if not succeeded(response):
        assert fact_state() == before, f"a refused request wrote ({response.status_code})"
    assert_totals_exact()


roles = st.sampled_from(["manager_a", "manager_b", "head1", "head2", "director", "admin"])


def test_day_form_post_survives_anything(cast):
    active, inbound = channel("active").pk, channel("inbound").pk

    @FUZZ
    @given(
        role=roles,
        htmx=st.booleans(),
        manager=st.one_of(st.none(), st.sampled_from([str(cast["manager_a"].pk)]), id_pool(cast)),
        date=dates,
        fields=st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        f"c{active}-first_contacts",
                        f"c{active}-revenue",
                        f"c{active}-payments_count",
                        f"c{inbound}-leads_received",
                        f"c{inbound}-variable_costs",
                    ]
                ),
                st.builds(lambda c, k: f"c{c}-{k}", id_pool(cast), codes()),
                st.text(max_size=10),
            ),
            values,
            max_size=6,
        ),
    )
    def run(role, htmx, manager, date, fields):
        client = login(role, cast)
        before = fact_state()
        data = {"date": date, **fields}
        if manager is not None:
            data["manager"] = manager
        response = client.post(reverse("funnel:day"), data, headers=HX if htmx else {})
        check(response, before)

    run()


def test_week_grid_cell_post_survives_anything(cast):
    @FUZZ
    @given(
        role=roles,
        htmx=st.booleans(),
        data=st.fixed_dictionaries(
            {},
            optional={
                "manager": id_pool(cast),
                "date": dates,
                "channel": id_pool(cast),
                "code": codes(),
                "value": values,
            },
        ),
    )
    def run(role, htmx, data):
        client = login(role, cast)
        before = fact_state()
        response = client.post(reverse("funnel:cell"), data, headers=HX if htmx else {})
        check(response, before)

    run()


def test_a_valid_cell_lands_exactly_and_others_ids_never_do(cast):
    """A positive control for the fuzzing above: the generator does reach real saves."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = {
        "date": yesterday.isoformat(),
        "channel": channel("inbound").pk,
        "code": "leads_received",
        "value": "9",
        "manager": cast["manager_b"].pk,
    }
    before = fact_state()
    response = login("manager_a", cast).post(reverse("funnel:cell"), data, headers=HX)
    assert response.status_code == 404
    assert fact_state() == before
    response = login("head2", cast).post(reverse("funnel:cell"), data, headers=HX)
    assert succeeded(response)
    fact = DailyFact.objects.get(manager=cast["manager_b"], date=yesterday)
    assert fact.counts.get(indicator__code="leads_received").value == 9
    assert_totals_exact()


csv_cells = st.one_of(values, codes(), dates, st.sampled_from(["manager_a", "manager_b", "head1"]))
csv_rows = st.lists(
    st.one_of(
        # Plausible rows with one hostile part, and plain junk.
        st.tuples(
            dates,
            st.sampled_from(["manager_a", "manager_b", "manager_a2", "nobody", ""]),
            st.sampled_from(["active", "inbound", "partner", "repeat_vip", "nope", ""]),
            codes(),
            values,
        ).map(list),
        st.lists(csv_cells, max_size=7),
    ),
    max_size=8,
)


def _csv(rows: list[list[str]], header: bool) -> bytes:
    lines = ["date,manager,channel,indicator,value"] if header else []
    for row in rows:
        lines.append(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in row))
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")


def test_import_upload_survives_anything(cast):
    @FUZZ
    @given(
        role=st.sampled_from(["head1", "head2", "director", "admin"]),
        htmx=st.booleans(),
        dry_run=st.sampled_from(["", "on", "yes", "0", "☃"]),
        body=st.one_of(
            st.builds(_csv, csv_rows, st.booleans()),
            st.binary(max_size=300),
            st.just(b"\xef\xbb\xbfdate,manager,channel,indicator,value\r\n"),
        ),
        name=st.text(min_size=1, max_size=30),
    )
    def run(role, htmx, dry_run, body, name):
        client = login(role, cast)
        before = fact_state()
        # A browser never sends a file named "", "." or "..": Django refuses to build one.
        name = name.replace("/", "_")
        upload = SimpleUploadedFile(name if name not in {"", ".", ".."} else "f", body)
        data = {"file": upload, "dry_run": dry_run}
        response = client.post(reverse("funnel:import"), data, headers=HX if htmx else {})
        assert response.status_code < 500
        # An upload is only checked: nothing is written before "Import".
        assert fact_state() == before
        upload = response.context["upload"] if response.context else None
        if upload is not None and upload.status == "checked":
            run_url = reverse("funnel:import_run", args=[upload.token])
            assert client.post(run_url, headers=HX if htmx else {}).status_code < 500
        assert_totals_exact()

    run()


def test_language_switch_survives_anything(cast):
    @FUZZ
    @given(
        role=st.sampled_from([None, "manager_a", "head1"]),
        data=st.fixed_dictionaries(
            {},
            optional={
                "language": st.one_of(st.sampled_from(["ru", "en", "de", "RU", ""]), st.text()),
                "next": st.one_of(
                    st.sampled_from(
                        ["/", "//evil.example", "https://evil.example/", "/entry/", "javascript:x"]
                    ),
                    st.text(),
                ),
            },
        ),
    )
    def run(role, data):
        client = login(role, cast) if role else Client()
        response = client.post(reverse("language_set"), data)
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            location = response["Location"]
            # Never sent off the site.
            assert location.startswith("/"), location
            assert location[1:2] not in ("/", "\\"), location

    run()


def test_login_survives_anything(cast, settings):
    settings.AXES_FAILURE_LIMIT = 1000

    @FUZZ
    @given(
        data=st.fixed_dictionaries(
            {},
            optional={
                "username": st.one_of(st.sampled_from(["manager_a", "admin", ""]), st.text()),
                "password": st.one_of(st.just("wrong"), st.text()),
                "next": st.one_of(st.just("//evil.example"), st.text()),
            },
        )
    )
    def run(data):
        response = Client().post(reverse("login"), data)
        assert response.status_code in ((400,) if controls(data) else (200, 429))

    run()


def test_password_change_survives_anything(cast):
    @FUZZ
    @given(
        data=st.fixed_dictionaries(
            {},
            optional={
                "old_password": st.one_of(st.just("pass-1234-word"), st.text()),
                "new_password1": st.one_of(st.just("a-new-pass-word-77"), st.text()),
                "new_password2": st.one_of(st.just("a-new-pass-word-77"), st.text()),
            },
        )
    )
    def run(data):
        manager = cast["manager_a"]
        client = login("manager_a", cast)
        response = client.post(reverse("password_change"), data)
        assert response.status_code in ((400,) if controls(data) else (200, 302))
        manager.refresh_from_db()
        if response.status_code == 302:
            assert manager.check_password(data["new_password1"])
            manager.set_password("pass-1234-word")
            manager.save()
        else:
            assert manager.check_password("pass-1234-word")

    run()


def test_admin_fact_change_survives_anything(cast):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    fact = DailyFact.objects.get(manager=cast["manager_a"], date=yesterday)
    count = fact.counts.get()
    url = reverse("admin:funnel_dailyfact_change", args=[fact.pk])
    indicator_ids = list(Indicator.objects.values_list("pk", flat=True))

    @FUZZ
    @given(
        money=st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(
                ("invoiced_amount", "payments_count", "revenue", "variable_costs"), values
            ),
        ),
        indicator=st.one_of(st.sampled_from([str(i) for i in indicator_ids]), st.text(max_size=5)),
        value=values,
        total_forms=st.sampled_from(["1", "2", "0", "x", "1000"]),
    )
    def run(money, indicator, value, total_forms):
        client = login("admin", cast)
        before = fact_state()
        data = {
            **money,
            "counts-TOTAL_FORMS": total_forms,
            "counts-INITIAL_FORMS": "1",
            "counts-MIN_NUM_FORMS": "0",
            "counts-MAX_NUM_FORMS": "1000",
            "counts-0-id": str(count.pk),
            "counts-0-fact": str(fact.pk),
            "counts-0-indicator": indicator,
            "counts-0-value": value,
        }
        response = client.post(url, data)
        assert response.status_code < 500
        if response.status_code != 302:
            assert fact_state() == before
        assert_totals_exact()

    run()
