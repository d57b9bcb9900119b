import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from channels.models import Channel
from funnel.models import DailyCount, DailyFact, FactChange, Indicator
from tests.factories import channel, write_fact

# As under `make run`: the debug cursor formats every statement (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("debug_cursor")

DAY = dt.date(2026, 11, 2)
GOOD_STAGES = ["first", "second", "third", "invoices_issued"]


def channel_post(stages, activities=(), *, code="web", is_active=True, main="first", existing=()):
    """POST data of the channel form with its indicator inline."""
    rows = [("stage", order, c) for order, c in enumerate(stages, start=1)]
    rows += [("activity", order, c) for order, c in enumerate(activities, start=1)]
    data = {
        "code": code,
        "name_en": "Web",
        "name_ru": "Сайт",
        "kind": "inbound",
        "main_indicator": main,
        "colour": "#123456",
        "display_order": "9",
        "indicators-TOTAL_FORMS": str(len(existing) + len(rows)),
        "indicators-INITIAL_FORMS": str(len(existing)),
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for i, indicator in enumerate(existing):
        data.update(
            {
                f"indicators-{i}-id": str(indicator.pk),
                f"indicators-{i}-kind": indicator.kind,
                f"indicators-{i}-order": str(indicator.order),
                f"indicators-{i}-code": indicator.code,
                f"indicators-{i}-name_en": indicator.name_en,
                f"indicators-{i}-name_ru": indicator.name_ru,
            }
        )
    for i, (kind, order, c) in enumerate(rows, start=len(existing)):
        data.update(
            {
                f"indicators-{i}-kind": kind,
                f"indicators-{i}-order": str(order),
                f"indicators-{i}-code": c,
                f"indicators-{i}-name_en": c.title(),
                f"indicators-{i}-name_ru": c,
            }
        )
    return data


def add_channel(client, data):
    return client.post(reverse("admin:channels_channel_add"), data)


def errors_of(response) -> str:
    """Every error of the admin form and its inline, as one string."""
    ctx = response.context
    texts = [str(e) for e in ctx["errors"]]
    for formset in ctx["inline_admin_formsets"]:
        texts += [str(e) for e in formset.formset.non_form_errors()]
    return " ".join(texts)


def test_admin_creates_a_channel_with_four_stages_and_an_activity(admin_client):
    response = add_channel(admin_client, channel_post(GOOD_STAGES, ["calls"]))
    assert response.status_code == 302
    web = Channel.objects.get(code="web")
    assert list(web.indicators.filter(kind="stage").values_list("code", flat=True)) == GOOD_STAGES
    assert list(web.indicators.filter(kind="activity").values_list("code", flat=True)) == ["calls"]


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (["first", "second", "invoices_issued"], "needs 4 to 6 funnel stages; this one has 3"),
        (
            ["first", "a", "b", "c", "d", "e", "invoices_issued"],
            "needs 4 to 6 funnel stages; this one has 7",
        ),
        (["first", "invoices_issued", "b", "c"], "must be “invoices_issued”, the won deal"),
        (["first", "a", "A", "invoices_issued"], "The code “A” is used twice"),
        (["first", "a", "revenue", "invoices_issued"], "“revenue” is reserved"),
    ],
)
def test_admin_refuses_a_bad_funnel_with_a_clear_message(admin_client, stages, message):
    response = add_channel(admin_client, channel_post(stages))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert not Channel.objects.filter(code="web").exists()


def test_exact_duplicate_codes_are_a_form_error_not_a_server_error(admin_client):
    data = channel_post(GOOD_STAGES, ["first"])
    response = add_channel(admin_client, data)
    assert response.status_code == 200
    assert not Channel.objects.filter(code="web").exists()


def test_an_inactive_channel_may_have_fewer_stages(admin_client):
    response = add_channel(admin_client, channel_post(["first", "x"], is_active=False))
    assert response.status_code == 302
    assert Channel.objects.get(code="web").indicators.count() == 2


def test_main_indicator_must_be_one_of_the_channel_codes(admin_client):
    response = add_channel(admin_client, channel_post(GOOD_STAGES, main="nothing"))
    assert response.status_code == 200
    assert "“nothing” is not a stage or activity" in errors_of(response)


def test_two_stages_with_the_same_order_are_refused(admin_client):
    data = channel_post(GOOD_STAGES)
    data["indicators-1-order"] = "1"
    response = add_channel(admin_client, data)
    assert response.status_code == 200
    assert "same order" in errors_of(response)


def test_editing_a_default_channel_keeps_its_rules(admin_client):
    inbound = channel("inbound")
    existing = list(inbound.indicators.order_by("order"))
    data = channel_post([], code="inbound", main="leads_received", existing=existing)
    data["indicators-4-DELETE"] = "on"  # removes invoices_issued, leaving 4 stages
    response = admin_client.post(reverse("admin:channels_channel_change", args=[inbound.pk]), data)
    assert response.status_code == 200
    assert "must be “invoices_issued”" in errors_of(response)
    assert inbound.indicators.count() == 5


def test_admin_error_messages_are_translated(admin_client, admin_user):
    admin_user.language = "ru"
    admin_user.save()
    response = add_channel(admin_client, channel_post(GOOD_STAGES[1:]))
    assert response.status_code == 200
    assert "Активному каналу нужно от 4 до 6 этапов воронки; сейчас их 3." in errors_of(response)
    translation.activate("en")


def fact_post(fact: DailyFact, counts: dict[str, int], **money) -> dict:
    existing = list(fact.counts.select_related("indicator"))
    indicators = {i.code: i for i in Indicator.objects.filter(channel=fact.channel)}
    new = [code for code in counts if code not in {c.indicator.code for c in existing}]
    data = {
        "invoiced_amount": str(fact.invoiced_amount),
        "payments_count": str(fact.payments_count),
        "revenue": str(fact.revenue),
        "variable_costs": str(fact.variable_costs),
        "counts-TOTAL_FORMS": str(len(existing) + len(new)),
        "counts-INITIAL_FORMS": str(len(existing)),
        "counts-MIN_NUM_FORMS": "0",
        "counts-MAX_NUM_FORMS": "1000",
    }
    data.update({k: str(v) for k, v in money.items()})
    for i, count in enumerate(existing):
        value = counts.get(count.indicator.code, count.value)
        data.update(
            {
                f"counts-{i}-id": str(count.pk),
                f"counts-{i}-fact": str(fact.pk),
                f"counts-{i}-indicator": str(count.indicator_id),
                f"counts-{i}-value": str(value),
            }
        )
    for i, code in enumerate(new, start=len(existing)):
        data.update(
            {
                f"counts-{i}-fact": str(fact.pk),
                f"counts-{i}-indicator": str(indicators[code].pk),
                f"counts-{i}-value": str(counts[code]),
            }
        )
    return data


def test_admin_fact_edit_goes_through_the_write_service(admin_client, admin_user, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="100.00")
    fact = DailyFact.objects.get()
    data = fact_post(fact, {"first_contacts": 12, "meetings_set": 3}, revenue="150.50")
    response = admin_client.post(reverse("admin:funnel_dailyfact_change", args=[fact.pk]), data)
    assert response.status_code == 302
    fact.refresh_from_db()
    assert fact.revenue == Decimal("150.50")
    assert fact.updated_by == admin_user
    counts = {c.indicator.code: c.value for c in fact.counts.select_related("indicator")}
    assert counts == {"first_contacts": 12, "meetings_set": 3}
    admin_changes = FactChange.objects.filter(source="admin").order_by("code")
    assert [(c.code, c.old_value, c.new_value, c.changed_by) for c in admin_changes] == [
        ("first_contacts", Decimal(10), Decimal(12), admin_user),
        ("meetings_set", None, Decimal(3), admin_user),
        ("revenue", Decimal("100.00"), Decimal("150.50"), admin_user),
    ]


def test_admin_adds_a_fact_through_the_write_service(admin_client, admin_user, manager_a):
    data = {
        "date": "2026-11-02",
        "manager": str(manager_a.pk),
        "channel": str(channel("inbound").pk),
        "invoiced_amount": "0",
        "payments_count": "2",
        "revenue": "2000.10",
        "variable_costs": "0",
    }
    response = admin_client.post(reverse("admin:funnel_dailyfact_add"), data)
    assert response.status_code == 302
    fact = DailyFact.objects.get()
    assert (fact.payments_count, fact.revenue) == (2, Decimal("2000.10"))
    assert set(FactChange.objects.values_list("code", "source")) == {
        ("payments_count", "admin"),
        ("revenue", "admin"),
    }
    assert response["Location"] == reverse("admin:funnel_dailyfact_change", args=[fact.pk])


def test_admin_cannot_add_a_fact_for_a_channel_the_manager_does_not_report_on(
    admin_client, manager_a
):
    manager_a.channels.remove(channel("partner"))
    data = {
        "date": "2026-11-02",
        "manager": str(manager_a.pk),
        "channel": str(channel("partner").pk),
        "invoiced_amount": "0",
        "payments_count": "0",
        "revenue": "0",
        "variable_costs": "0",
    }
    response = admin_client.post(reverse("admin:funnel_dailyfact_add"), data)
    assert response.status_code == 200
    assert "does not report on this channel" in str(response.context["errors"])
    assert not DailyFact.objects.exists()


def test_admin_refuses_negative_money_and_future_days_as_form_errors(admin_client, manager_a):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    data = {
        "date": tomorrow.isoformat(),
        "manager": str(manager_a.pk),
        "channel": str(channel("active").pk),
        "invoiced_amount": "0",
        "payments_count": "0",
        "revenue": "-1",
        "variable_costs": "0",
    }
    response = admin_client.post(reverse("admin:funnel_dailyfact_add"), data)
    assert response.status_code == 200
    errors = str(response.context["errors"])
    assert "future day" in errors
    assert not DailyFact.objects.exists()


def test_admin_count_for_another_channels_indicator_is_refused(admin_client, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    fact = DailyFact.objects.get()
    data = fact_post(fact, {})
    data.update(
        {
            "counts-TOTAL_FORMS": "2",
            "counts-1-fact": str(fact.pk),
            "counts-1-indicator": str(
                Indicator.objects.get(channel__code="inbound", code="leads_received").pk
            ),
            "counts-1-value": "4",
        }
    )
    response = admin_client.post(reverse("admin:funnel_dailyfact_change", args=[fact.pk]), data)
    assert response.status_code == 200
    assert DailyCount.objects.count() == 1


def test_facts_cannot_be_deleted_in_the_admin(admin_client, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    fact = DailyFact.objects.get()
    response = admin_client.post(reverse("admin:funnel_dailyfact_delete", args=[fact.pk]))
    assert response.status_code == 403
    assert DailyFact.objects.count() == 1


def test_history_admin_is_read_only_for_everybody(admin_client, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    change = FactChange.objects.get()
    url = reverse("admin:funnel_factchange_change", args=[change.pk])
    assert admin_client.get(url).status_code == 200  # view only
    post = admin_client.post(url, {"code": "x", "new_value": "1", "source": "admin"})
    assert post.status_code == 403
    delete = admin_client.post(reverse("admin:funnel_factchange_delete", args=[change.pk]))
    assert delete.status_code == 403
    assert admin_client.get(reverse("admin:funnel_factchange_add")).status_code == 403
    change.refresh_from_db()
    assert (change.code, change.new_value) == ("first_contacts", Decimal(10))


def test_fact_list_and_change_page_render_with_filters(admin_client, manager_a, team1):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="5.00")
    fact = DailyFact.objects.get()
    listing = admin_client.get(
        reverse("admin:funnel_dailyfact_changelist"),
        {"manager__team__id__exact": team1.pk, "q": "manager_a"},
    )
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    page = admin_client.get(reverse("admin:funnel_dailyfact_change", args=[fact.pk]))
    assert page.status_code == 200
    assert "first_contacts" in page.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "admin:funnel_dailyfact_changelist",
        "admin:funnel_factchange_changelist",
        "admin:channels_channel_changelist",
        "admin:channels_channel_add",
        "admin:funnel_dailyfact_add",
        "admin:teams_team_changelist",
        "admin:teams_user_changelist",
        "admin:plans_plan_changelist",
        "admin:plans_planchange_changelist",
        "admin:plans_holiday_changelist",
        "admin:plans_monthlyexpense_changelist",
    ],
)
def test_admin_pages_open_for_staff_and_send_others_to_the_admin_login(
    client, admin_user, manager_a, name
):
    anonymous = client.get(reverse(name))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    client.force_login(manager_a)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(admin_user)
    assert client.get(reverse(name)).status_code == 200
