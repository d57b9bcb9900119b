"""The catalogue kept in memory (funnel.catalogue): one query while unchanged, and every change
seen as soon as it commits, never a rolled-back one."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from funnel.catalogue import catalogue, catalogue_changed
from funnel.models import CatalogueVersion, Indicator, ValueLimit
from tests.factories import channel

pytestmark = pytest.mark.django_db


def _codes(channel_code: str) -> list[str]:
    return [i.code for i in catalogue().indicators[channel(channel_code).pk]]


def test_an_unchanged_catalogue_costs_one_query_and_is_the_same_snapshot(
    django_assert_num_queries,
):
    first = catalogue()
    with django_assert_num_queries(1):
        again = catalogue()
    assert again is first


def test_a_read_holds_every_channel_its_stages_in_funnel_order_then_activities():
    active = channel("active")
    stored = list(
        Indicator.objects.filter(channel=active, kind="stage").order_by("order", "id")
    ) + list(Indicator.objects.filter(channel=active, kind="activity").order_by("order", "id"))
    known = catalogue()
    assert [i.pk for i in known.indicators[active.pk]] == [i.pk for i in stored]
    assert all(i.channel is known.channels[active.pk] for i in known.indicators[active.pk])
    stages = [i.code for i in stored if i.kind == "stage"]
    assert known.stage_positions([active.pk]) == {
        (active.pk, code): n for n, code in enumerate(stages)
    }
    assert set(known.channels) == set(type(active).objects.values_list("pk", flat=True))


def test_a_saved_indicator_is_seen_at_the_next_read(django_assert_num_queries):
    active = channel("active")
    catalogue()
    Indicator.objects.create(
        channel=active, kind="activity", order=99, code="webinars", name_en="W", name_ru="В"
    )
    with django_assert_num_queries(4):  # the token changed: read afresh
        known = catalogue()
    assert known.indicators[active.pk][-1].code == "webinars"


def test_a_changed_and_a_deleted_maximum_are_seen():
    active = channel("active")
    limit = ValueLimit.objects.create(channel=active, code="revenue", max_per_day=Decimal("5"))
    assert catalogue().limits[(active.pk, "revenue")] == Decimal("5")
    limit.max_per_day = Decimal("7")
    limit.save()
    assert catalogue().limits_of([active.pk]) == {(active.pk, "revenue"): Decimal("7")}
    limit.delete()
    assert (active.pk, "revenue") not in catalogue().limits


def test_a_renamed_channel_and_a_reordered_stage_are_seen():
    active = channel("active")
    catalogue()
    active.name_en = "Outbound, renamed"
    active.save()
    assert catalogue().channels[active.pk].name_en == "Outbound, renamed"
    first, second = Indicator.objects.filter(channel=active, kind="stage").order_by("order")[:2]
    first.order, second.order = second.order, first.order
    first.save()
    second.save()
    positions = catalogue().stage_positions([active.pk])
    assert positions[(active.pk, second.code)] < positions[(active.pk, first.code)]


def test_a_rolled_back_change_is_never_seen_after_the_rollback():
    active = channel("active")
    before = _codes("active")
    with transaction.atomic():
        Indicator.objects.create(
            channel=active, kind="activity", order=99, code="gone", name_en="G", name_ru="Г"
        )
        # Read inside the change's own transaction: it sees the new indicator.
        assert "gone" in _codes("active")
        transaction.set_rollback(True)
    assert _codes("active") == before


def test_another_process_change_is_seen_by_its_token():
    """Another process's committed change reaches this one only through the token: a raw
    update (no signal here) plus a new token, as that process's signal would write it."""
    active = channel("active")
    catalogue()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE funnel_indicator SET name_en = %s WHERE channel_id = %s AND code = %s",
            ["Changed elsewhere", active.pk, _codes("active")[0]],
        )
    assert catalogue().indicators[active.pk][0].name_en != "Changed elsewhere"
    catalogue_changed()
    assert catalogue().indicators[active.pk][0].name_en == "Changed elsewhere"


def test_without_a_token_row_nothing_is_kept(django_assert_num_queries):
    CatalogueVersion.objects.all().delete()
    catalogue()
    with django_assert_num_queries(4):
        catalogue()
    catalogue_changed()  # writes the row again
    catalogue()
    with django_assert_num_queries(1):
        catalogue()


def test_tokens_are_random_so_a_rolled_back_one_is_not_reused():
    tokens = set()
    for _ in range(5):
        with transaction.atomic():
            catalogue_changed()
            tokens.add(CatalogueVersion.objects.get().token)
            transaction.set_rollback(True)
    assert len(tokens) == 5
