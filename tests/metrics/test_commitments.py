"""Commitment accuracy: the formula (exact values and its properties), the one-query read,
and the column on the leaderboard and the line on the one-to-one sheet."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.commitments import commitment_accuracy, commitment_read
from plans.commitments import commitments_switch
from plans.models import Commitment
from teams.models import User
from tests.factories import channel, write_fact
from tests.metrics.conftest import MARCH

D = Decimal
MAR_3, MAR_4, MAR_5 = dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)


def commit(manager, day, value, channel_code="active", code="prospects_added"):
    return Commitment.objects.create(
        manager=manager, date=day, channel=channel(channel_code), code=code, value=value
    )


# --- the formula --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "accuracy", "bias", "leaning"),
    [
        ([(10, 10)], D(1), D(0), ""),  # fact = commitment: 100 %
        ([(10, 0)], D(0), D(-1), "over"),  # nothing done of 10 promised: 0 %
        ([(10, 12)], D("0.8"), D("0.2"), "under"),
        ([(10, 8), (10, 10)], D("0.9"), D("-0.1"), "over"),
        ([(10, 5), (10, 15)], D("0.5"), D(0), ""),  # misses both ways cancel in the bias only
        ([(10, 25)], D(0), D("1.5"), "under"),  # 150 % off is clamped at 0, not −50 %
        ([(0, 7), (4, 3)], D("0.75"), D("-0.25"), "over"),  # a commitment of 0 is left out
    ],
)
def test_accuracy_and_bias_exact_values(pairs, accuracy, bias, leaning):
    found = commitment_accuracy(pairs)
    assert (found.accuracy, found.bias, found.leaning) == (accuracy, bias, leaning)
    assert found.count == sum(1 for c, _f in pairs if c > 0)


def test_a_third_is_as_exact_as_a_decimal_division():
    assert commitment_accuracy([(3, 2)]).accuracy == D(2) / D(3)


@pytest.mark.parametrize("pairs", [[], [(0, 5)], [(0, 0), (0, 3)]])
def test_no_commitment_above_zero_has_no_accuracy(pairs):
    assert commitment_accuracy(pairs) is None


counts = st.integers(min_value=0, max_value=500)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(counts, counts), max_size=20))
def test_accuracy_is_at_most_one_and_one_only_when_every_fact_meets_its_commitment(pairs):
    counted = [(c, f) for c, f in pairs if c > 0]
    found = commitment_accuracy(pairs)
    if not counted:
        assert found is None
        return
    assert 0 <= found.accuracy <= 1
    assert (found.accuracy == 1) == all(c == f for c, f in counted)
    # The bias is the facts' total against the commitments' total.
    committed = sum(c for c, _f in counted)
    expected = Fraction(sum(f for _c, f in counted) - committed, committed)
    assert found.bias == D(expected.numerator) / D(expected.denominator)


# --- the read -----------------------------------------------------------------------------


def test_switched_off_there_is_nothing_to_show(manager_a):
    commit(manager_a, MAR_3, 10)
    assert commitment_read(manager_ids=[manager_a.pk], date_from=MAR_3, date_to=MAR_5) == (
        False,
        {},
    )


def test_the_read_pairs_each_commitment_with_its_days_fact_in_one_query(
    manager_a, manager_a2, manager_b, django_assert_num_queries
):
    commitments_switch(True)
    write_fact(manager_a, "active", MAR_3, prospects_added=8, first_contacts=30)
    write_fact(manager_a, "active", MAR_4, prospects_added=10)
    commit(manager_a, MAR_3, 10)
    commit(manager_a, MAR_4, 10)
    commit(manager_a, MAR_5, 0)  # left out
    commit(manager_a2, MAR_4, 4)  # no fact that day: counts as 0
    commit(manager_a2, MAR_5, 6, "inbound", "leads_received")  # another channel
    commit(manager_b, MAR_5, 4)  # not asked for
    ids = [manager_a.pk, manager_a2.pk]
    with django_assert_num_queries(1):
        on, found = commitment_read(manager_ids=ids, date_from=MAR_3, date_to=MAR_5)
    assert on is True
    assert set(found) == set(ids)
    assert (found[manager_a.pk].accuracy, found[manager_a.pk].bias) == (D("0.9"), D("-0.1"))
    assert found[manager_a.pk].count == 2
    assert (found[manager_a2.pk].accuracy, found[manager_a2.pk].count) == (D(0), 2)
    active_only = commitment_read(
        manager_ids=ids, date_from=MAR_3, date_to=MAR_4, channel_ids=[channel("active").pk]
    )[1]
    assert active_only[manager_a2.pk].count == 1


def test_switched_on_without_commitments_still_says_on(manager_a, django_assert_num_queries):
    commitments_switch(True)
    with django_assert_num_queries(1):
        assert commitment_read(manager_ids=[manager_a.pk], date_from=MAR_3, date_to=MAR_5) == (
            True,
            {},
        )


# --- the leaderboard and the one-to-one sheet ---------------------------------------------


@pytest.fixture
def promises(manager_a, manager_a2, manager_b):
    """Manager A over-promises (90 %, −10 %), A2 under-promises (80 %, +20 %), B made none."""
    write_fact(manager_a, "active", MAR_3, prospects_added=8, revenue="100.00")
    write_fact(manager_a, "active", MAR_4, prospects_added=10)
    write_fact(manager_a2, "active", MAR_4, prospects_added=6, revenue="50.00")
    write_fact(manager_b, "active", MAR_4, prospects_added=6, revenue="70.00")
    commit(manager_a, MAR_3, 10)
    commit(manager_a, MAR_4, 10)
    commit(manager_a, MAR_5, 0)
    commit(manager_a2, MAR_4, 5)


def squeeze(html: str) -> str:
    """Runs of ASCII white space as one space (the no-break spaces of numbers stay)."""
    return re.sub(r"[ \t\n]+", " ", html)


def board_row(html: str, username: str) -> str:
    found = re.search(rf'<tr data-manager="{username}">(.*?)</tr>', html, re.S)
    assert found, username
    return squeeze(found.group(1))


def leaderboard(client, user) -> str:
    client.force_login(user)
    query = "&".join(f"{k}={v}" for k, v in MARCH.items())
    url = f"{reverse('metrics:dashboard')}?{query}&panel=leaderboard"
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_the_leaderboard_shows_accuracy_with_the_leaning_in_words(client, director, promises):
    commitments_switch(True)
    html = leaderboard(client, director)
    assert "Commitment accuracy" in html
    assert '90.0\u00a0% <span class="small">over-promises by 10.0\u00a0%' in board_row(
        html, "manager_a"
    )
    assert '80.0\u00a0% <span class="small">under-promises by 20.0\u00a0%' in board_row(
        html, "manager_a2"
    )
    assert "promises" not in board_row(html, "manager_b")
    assert '<td class="num">—</td>' in board_row(html, "manager_b")


def test_the_leaderboard_speaks_russian(client, director, promises):
    commitments_switch(True)
    director.language = "ru"
    director.save()
    html = leaderboard(client, director)
    assert "Точность обещаний" in html
    assert "завышает обещания на 10,0\u00a0%" in board_row(html, "manager_a")
    assert "занижает обещания на 20,0\u00a0%" in board_row(html, "manager_a2")


def test_switched_off_the_leaderboard_has_no_commitment_column(client, director, promises):
    html = leaderboard(client, director)
    assert "Commitment accuracy" not in html
    assert "promises" not in html


def test_the_one_to_one_sheet_shows_the_managers_accuracy(
    client, head1, team1, manager_a, promises, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 3, 11))
    team1.heads.add(head1)
    client.force_login(head1)
    sheet = reverse("metrics:one_to_one", kwargs={"manager": manager_a.pk})
    assert "sheet-commitments" not in client.get(sheet).content.decode()
    commitments_switch(True)
    html = squeeze(client.get(sheet).content.decode())
    assert 'Commitment accuracy: <span class="commitment">90.0\u00a0%' in html
    assert "over-promises by 10.0\u00a0%" in html
    assert "2 morning commitments" in html
    head1.language = "ru"
    head1.save()
    html = squeeze(client.get(sheet).content.decode())
    assert "Точность обещаний" in html
    assert "завышает обещания на 10,0\u00a0%" in html


def test_the_leaderboard_export_has_the_accuracy_while_switched_on(client, director, promises):
    client.force_login(director)
    url = f"{reverse('metrics:dashboard')}export/leaderboard.csv"

    def rows():
        text = client.get(url, MARCH).content.decode("utf-8-sig")
        return {row[1]: row for row in csv.reader(io.StringIO(text))}

    off = rows()
    assert not any("Commitment" in name for name in off["Manager"])
    commitments_switch(True)
    on = rows()
    header = on["Manager"]
    accuracy = header.index("Commitment accuracy, %")
    bias = header.index("Commitment bias (fact against commitment), %")
    assert bias == accuracy + 1
    by_name = {User.objects.get(username=u).board_name: u for u in ("manager_a", "manager_a2")}
    assert {by_name[n]: (on[n][accuracy], on[n][bias]) for n in by_name} == {
        "manager_a": ("90.0", "-10.0"),
        "manager_a2": ("80.0", "20.0"),
    }
