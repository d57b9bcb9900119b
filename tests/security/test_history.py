"""The history of changes is append-only for everybody, and admin actions leave a log entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from funnel.models import DailyFact, FactChange
from teams.models import User
from tests.factories import channel, write_fact
from tests.security.helpers import HX


@pytest.fixture
def yesterday():
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def history(manager_a, manager_b, head1, yesterday):
    """A history with entries by the manager and by the head."""
    write_fact(manager_a, "active", yesterday, first_contacts=3, revenue=Decimal("10.00"))
    write_fact(manager_a, "active", yesterday, by=head1, first_contacts=4)
    write_fact(manager_b, "inbound", yesterday, leads_received=7)
    return snapshot()


def snapshot() -> list[tuple]:
    return list(
        FactChange.objects.order_by("pk").values_list(
            "pk",
            "fact_id",
            "code",
            "old_value",
            "new_value",
            "changed_by_id",
            "changed_at",
            "source",
        )
    )


# Field names a crafted request might use to reach the history.
CRAFTED = {
    "history": "",
    "changes": "1",
    "changes-0-id": "1",
    "changes-0-DELETE": "on",
    "change_id": "1",
    "old_value": "999",
    "new_value": "999",
    "changed_by": "1",
    "changed_at": "2000-01-01T00:00:00",
    "source": "admin",
    "code": "first_contacts",
    "delete": "1",
}


def _crafted_posts(manager_a, yesterday):
    active = channel("active").pk
    csv = f"date,manager,channel,indicator,value\n{yesterday},manager_a,active,first_contacts,5\n"
    return {
        "funnel:day": {
            **CRAFTED,
            "manager": manager_a.pk,
            "date": yesterday.isoformat(),
            f"c{active}-first_contacts": "5",
        },
        "funnel:cell": {
            **CRAFTED,
            "manager": manager_a.pk,
            "date": yesterday.isoformat(),
            "channel": active,
            "value": "6",
        },
        "funnel:import": {**CRAFTED, "file": csv.encode()},
        "funnel:history": {**CRAFTED, "manager": manager_a.pk, "date": yesterday.isoformat()},
    }


@pytest.mark.parametrize("role", ["manager_a", "manager_b", "head1", "head2", "director"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_crafted_posts_to_entry_endpoints_never_change_or_delete_history(
    request, role, htmx, history, manager_a, yesterday
):
    user: User = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    for name, data in _crafted_posts(manager_a, yesterday).items():
        if "file" in data:
            data = {**data, "file": SimpleUploadedFile("kpi.csv", data["file"])}
        response = client.post(reverse(name), data, headers=HX if htmx else {})
        assert response.status_code < 500, name
        now = snapshot()
        # Existing entries stay exactly as they were; new ones may only be appended.
        assert now[: len(history)] == history, name
        for entry in now[len(history) :]:
            assert entry[5] == user.pk, "a new entry names its real author"


def test_history_page_is_read_only(client, manager_a, history, yesterday):
    client.force_login(manager_a)
    url = reverse("funnel:history") + f"?date={yesterday}"
    assert client.get(url).status_code == 200
    assert client.post(url, CRAFTED).status_code == 405
    assert snapshot() == history


@pytest.fixture
def staff_head(head1):
    """A head who also got staff status: still no way to touch the history."""
    head1.is_staff = True
    head1.save()
    return head1


def test_history_cannot_be_changed_or_deleted_in_the_admin_even_in_bulk(
    admin_client, staff_head, history
):
    changelist = reverse("admin:funnel_factchange_changelist")
    ids = [str(row[0]) for row in history]
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    # No delete permission: the action does not exist, the list is shown again.
    assert response.status_code in (200, 302)
    assert snapshot() == history
    for client_user in ("admin", "staff head"):
        client = admin_client
        if client_user == "staff head":
            client = Client()
            client.force_login(staff_head)
        for row in history:
            change = reverse("admin:funnel_factchange_change", args=[row[0]])
            delete = reverse("admin:funnel_factchange_delete", args=[row[0]])
            assert client.post(change, {"new_value": "0", "code": "x"}).status_code == 403
            assert client.post(delete, {"post": "yes"}).status_code == 403
    assert snapshot() == history


def test_facts_cannot_be_deleted_in_bulk_so_their_history_stays(admin_client, history):
    ids = [str(pk) for pk in DailyFact.objects.values_list("pk", flat=True)]
    admin_client.post(
        reverse("admin:funnel_dailyfact_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert DailyFact.objects.count() == len(ids)
    assert snapshot() == history


def test_deleting_a_manager_with_history_is_refused_by_the_admin(admin_client, manager_a, history):
    response = admin_client.post(
        reverse("admin:teams_user_delete", args=[manager_a.pk]), {"post": "yes"}
    )
    # The facts protect their manager: Django shows what blocks the deletion.
    assert response.status_code == 200
    assert User.objects.filter(pk=manager_a.pk).exists()
    assert snapshot() == history


def test_an_admin_fact_edit_appends_history_and_keeps_the_old_entries(
    admin_client, admin_user, manager_a, history, yesterday
):
    fact = DailyFact.objects.get(manager=manager_a, date=yesterday)
    count = fact.counts.get()
    data = {
        "invoiced_amount": "0",
        "payments_count": "0",
        "revenue": "12.00",
        "variable_costs": "0",
        "history": "rewritten",
        "counts-TOTAL_FORMS": "1",
        "counts-INITIAL_FORMS": "1",
        "counts-MIN_NUM_FORMS": "0",
        "counts-MAX_NUM_FORMS": "1000",
        "counts-0-id": str(count.pk),
        "counts-0-fact": str(fact.pk),
        "counts-0-indicator": str(count.indicator_id),
        "counts-0-value": "4",
    }
    url = reverse("admin:funnel_dailyfact_change", args=[fact.pk])
    assert admin_client.post(url, data).status_code == 302
    now = snapshot()
    assert now[: len(history)] == history
    assert [(e[2], e[3], e[4], e[5], e[7]) for e in now[len(history) :]] == [
        ("revenue", Decimal("10.00"), Decimal("12.00"), admin_user.pk, "admin")
    ]


# ---- admin actions are logged -----------------------------------------------------------------


def _log_for(obj, user) -> list[tuple[int, str]]:
    content_type = ContentType.objects.get_for_model(obj)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_id=str(obj.pk), user=user)
        .order_by("pk")
        .values_list("action_flag", "change_message")
    )


def test_admin_changes_of_facts_are_logged(admin_client, admin_user, manager_a, yesterday):
    data = {
        "date": yesterday.isoformat(),
        "manager": str(manager_a.pk),
        "channel": str(channel("inbound").pk),
        "invoiced_amount": "0",
        "payments_count": "1",
        "revenue": "50.00",
        "variable_costs": "0",
    }
    assert admin_client.post(reverse("admin:funnel_dailyfact_add"), data).status_code == 302
    fact = DailyFact.objects.get()
    change = {
        **{k: v for k, v in data.items() if k not in ("date", "manager", "channel")},
        "revenue": "60.00",
        "counts-TOTAL_FORMS": "0",
        "counts-INITIAL_FORMS": "0",
        "counts-MIN_NUM_FORMS": "0",
        "counts-MAX_NUM_FORMS": "1000",
    }
    url = reverse("admin:funnel_dailyfact_change", args=[fact.pk])
    assert admin_client.post(url, change).status_code == 302
    log = _log_for(fact, admin_user)
    assert [flag for flag, _msg in log] == [ADDITION, CHANGE]
    assert "Revenue" in log[1][1]


def test_admin_changes_of_people_are_logged(admin_client, admin_user, manager_a):
    url = reverse("admin:teams_user_change", args=[manager_a.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "full_name": "Anna A.",
            "role": "manager",
            "channels": [c.pk for c in manager_a.channels.all()],
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "team": manager_a.team_id,
            "groups": [],
            "user_permissions": [],
        }
    )
    assert admin_client.post(url, data).status_code == 302
    [(flag, message)] = _log_for(manager_a, admin_user)
    assert flag == CHANGE
    assert message == '[{"changed": {"fields": ["Full name"]}}]'


def test_admin_changes_of_channels_are_logged(admin_client, admin_user):
    active = channel("active")
    url = reverse("admin:channels_channel_change", args=[active.pk])
    form = admin_client.get(url).context["adminform"].form
    inline = admin_client.get(url).context["inline_admin_formsets"][0].formset
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("is_active", "id")}
    data.update({"name_en": "Outbound sales", "is_active": "on"})
    prefix = inline.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(inline.forms)),
            f"{prefix}-INITIAL_FORMS": str(len(inline.forms)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    for i, indicator_form in enumerate(inline.forms):
        for key, value in indicator_form.initial.items():
            if value is not None:
                data[f"{prefix}-{i}-{key}"] = value
        data[f"{prefix}-{i}-id"] = indicator_form.instance.pk
        data[f"{prefix}-{i}-channel"] = active.pk
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert Channel.objects.get(pk=active.pk).name_en == "Outbound sales"
    [(flag, message)] = _log_for(active, admin_user)
    assert flag == CHANGE
    assert "(English)" in message
