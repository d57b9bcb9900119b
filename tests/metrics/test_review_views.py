"""The review page: who sees which flags, marking them, the note on the manager's day form,
the dashboard's count, a query count that does not grow with the team."""

import datetime as dt

import pytest
from django.urls import reverse

from funnel.models import ReviewDecision
from tests.factories import make_user, write_fact

HTMX = {"HX-Request": "true"}
MARCH = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-31"}
ZERO_DAY = dt.date(2026, 3, 3)


@pytest.fixture
def flagged(manager_a, manager_b, head1):
    """Manager A (team 1) reported all zeros on 3 March; manager B (team 2) 500 first
    contacts on 4 March; head 1 entered manager A's 5 March in December (a late edit)."""
    write_fact(manager_a, "active", ZERO_DAY, first_contacts=0, revenue="0")
    write_fact(manager_b, "active", dt.date(2026, 3, 4), first_contacts=500)
    write_fact(manager_a, "active", dt.date(2026, 3, 5), by=head1, first_contacts=3)


def page(client, user, **params):
    client.force_login(user)
    return client.get(reverse("metrics:review"), {**MARCH, **params})


def kinds(response) -> set[tuple[str, str]]:
    return {(r.manager.username, r.flag.kind) for r in response.context["rows"]}


def test_heads_see_their_teams_and_the_director_everyone(client, head1, head2, director, flagged):
    assert kinds(page(client, head1)) == {("manager_a", "zeros"), ("manager_a", "late_edit")}
    assert kinds(page(client, head2)) == {("manager_b", "unusual")}
    assert kinds(page(client, director)) == {
        ("manager_a", "zeros"),
        ("manager_a", "late_edit"),
        ("manager_b", "unusual"),
    }
    html = page(client, director).content.decode()
    assert "500, above the usual limit of 20" in html
    assert "Changed by a head after the edit window (1×); now 3" in html
    assert f"{reverse('funnel:day')}?manager=" in html
    assert f"{reverse('funnel:history')}?manager=" in html
    # A team filter narrows the director's page.
    assert kinds(page(client, director, team=flagged_team(head2))) == {("manager_b", "unusual")}


def flagged_team(head):
    return head.led_teams.get().pk


def test_managers_and_outsiders_are_refused(client, manager_a, flagged):
    assert page(client, manager_a).status_code == 403
    client.logout()
    response = client.get(reverse("metrics:review"), MARCH)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_an_empty_period_says_so(client, head1, flagged):
    response = page(client, head1, date_from="2026-04-01", date_to="2026-04-30")
    assert "No flags for this period." in response.content.decode()


def mark(client, manager, decision, *, headers=None, note="Please check the zeros", **flag):
    data = {
        "q": "period=custom&date_from=2026-03-01&date_to=2026-03-31",
        "manager": manager.pk,
        "kind": "zeros",
        "date_from": ZERO_DAY.isoformat(),
        "date_to": ZERO_DAY.isoformat(),
        "channel_code": "",
        "code": "",
        "decision": decision,
        "note": note,
        **flag,
    }
    return client.post(reverse("metrics:review_mark"), data, headers=headers or {})


def test_a_head_asks_to_fix_and_the_manager_reads_it_on_their_day_form(
    client, head1, manager_a, flagged
):
    client.force_login(head1)
    response = mark(client, manager_a, "asked_to_fix", headers=HTMX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith("<tr")
    assert "asked to fix" in row
    decision = ReviewDecision.objects.get()
    assert (decision.manager, decision.kind, decision.decided_by) == (manager_a, "zeros", head1)
    assert decision.note == "Please check the zeros"
    # The count of open flags drops by one: 2 → 1.
    count = client.get(reverse("metrics:review"), {**MARCH, "panel": "count"})
    assert "Open flags: 1" in count.content.decode()

    client.force_login(manager_a)
    day = client.get(reverse("funnel:day"), {"date": ZERO_DAY.isoformat()}).content.decode()
    assert "Your head asked you to check this day" in day
    assert "Please check the zeros" in day
    other = client.get(reverse("funnel:day"), {"date": "2026-03-04"}).content.decode()
    assert "Please check the zeros" not in other


def test_marking_without_javascript_redirects_back_and_confirming_replaces_the_decision(
    client, head1, manager_a, flagged
):
    client.force_login(head1)
    mark(client, manager_a, "asked_to_fix")
    response = mark(client, manager_a, "confirmed", note="")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("metrics:review") + "?period=custom")
    decision = ReviewDecision.objects.get()
    assert (decision.decision, decision.note) == ("confirmed", "")
    client.force_login(manager_a)
    day = client.get(reverse("funnel:day"), {"date": ZERO_DAY.isoformat()}).content.decode()
    assert "Your head asked you to check this day" not in day


def test_a_flag_out_of_scope_or_not_raised_or_a_bad_decision_writes_nothing(
    client, head2, head1, manager_a, flagged
):
    client.force_login(head2)
    assert mark(client, manager_a, "confirmed").status_code == 400  # not their team
    client.force_login(head1)
    assert mark(client, manager_a, "confirmed", kind="repeated").status_code == 400
    assert mark(client, manager_a, "maybe").status_code == 400
    assert mark(client, manager_a, "confirmed", note="x" * 501).status_code == 400
    assert not ReviewDecision.objects.exists()


def test_the_dashboard_links_the_count_of_open_flags(client, director, flagged):
    client.force_login(director)
    dashboard = client.get(reverse("metrics:dashboard"), MARCH).content.decode()
    assert 'id="review-count"' in dashboard
    assert "panel=count" in dashboard
    count = client.get(reverse("metrics:review"), {**MARCH, "panel": "count"}, headers=HTMX)
    assert "Open flags: 3" in count.content.decode()


def test_both_languages_render(client, director, flagged):
    client.force_login(director)
    english = client.get(reverse("metrics:review"), MARCH).content.decode()
    assert "Review of reported numbers" in english
    assert "Reported with every value 0" in english
    director.language = "ru"
    director.save()
    russian = client.get(reverse("metrics:review"), MARCH).content.decode()
    assert "Проверка введённых цифр" in russian
    assert "Введены одни нули" in russian


@pytest.mark.parametrize(("managers", "days"), [(1, 1), (6, 15)])
def test_the_page_costs_the_same_queries_whatever_the_team(
    client, head1, team1, django_assert_num_queries, managers, days
):
    for i in range(managers):
        person = make_user(f"rv{i}", team=team1)
        for d in range(days):
            day = dt.date(2026, 3, 2) + dt.timedelta(days=d)
            write_fact(person, "active", day, first_contacts=0 if d % 2 else 5 + d)
            write_fact(person, "inbound", day, by=head1, leads_received=3)
    client.force_login(head1)
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse("metrics:review"), MARCH)
    assert response.status_code == 200
    # The dashboard's "Open flags" fragment: the same without the filter form's choices; the
    # dashboard itself loads it and costs no query more.
    with django_assert_num_queries(QUERIES - 3):
        client.get(reverse("metrics:review"), {**MARCH, "panel": "count"}, headers=HTMX)
    found = [r.flag.kind for r in response.context["rows"]]
    assert found.count("late_edit") == managers * days  # each inbound day edited late
    assert found.count("repeated") == (managers if days >= 5 else 0)  # 3 leads every day


# Session and user (2), the eight reads of metrics.review (people, channels and their stages,
# holidays, facts, counts, history, decisions), the filter form's choices (channels, teams,
# managers).
QUERIES = 12


def test_the_note_on_the_day_form_names_the_indicator_not_its_code(client, manager_a, head1):
    write_fact(manager_a, "active", ZERO_DAY, first_contacts=300)
    ReviewDecision.objects.create(
        manager=manager_a,
        kind=ReviewDecision.Kind.UNUSUAL,
        date_from=ZERO_DAY,
        date_to=ZERO_DAY,
        channel_code="active",
        code="first_contacts",
        decision=ReviewDecision.Decision.ASKED_TO_FIX,
        decided_by=head1,
    )
    client.force_login(manager_a)
    day = client.get(reverse("funnel:day"), {"date": ZERO_DAY.isoformat()}).content.decode()
    note = day[day.index("review-notes") :][:600]
    assert "(First contacts)" in note
    assert "first_contacts" not in note
