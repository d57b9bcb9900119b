"""The bench keeps what it generated in a table of its own and stays off real databases."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from channels.models import Channel
from dashboards.dashboard import Dashboard, filters_for
from dashboards.forms import DashboardFilterForm
from dashboards.management.commands import _bench_data as bench_data
from dashboards.management.commands import _bench_docs as bench_docs
from dashboards.management.commands import _bench_floor as floor
from dashboards.management.commands import bench
from dashboards.models import BenchDataset
from funnel.models import DailyCount, DailyFact, DailyTotal, FactChange, Indicator
from teams.models import Team, User

END = dt.date(2026, 3, 4)


def _tiny(scale: str = "S") -> BenchDataset:
    return bench_data.dataset_generate(
        scale, managers=2, days=3, end=END, out=OutputWrapper(io.StringIO())
    )


def test_the_bench_refuses_a_database_with_a_real_user(manager_a):
    with pytest.raises(CommandError, match="holds other users"):
        call_command("bench", "--scale", "S", "--runs", "1", "--no-docs", stdout=io.StringIO())
    with pytest.raises(CommandError, match="holds other users"):
        _tiny()
    assert not BenchDataset.objects.exists()
    assert not User.objects.filter(username__startswith="bench-").exists()
    assert not DailyFact.objects.exists()


def test_the_bench_records_its_data_set_in_its_table(db):
    dataset = _tiny()

    assert list(BenchDataset.objects.values_list("scale", "end")) == [("S", END)]
    assert dataset.generate_seconds >= 0
    # Two managers × the four default channels × three days, written through facts_write.
    assert DailyFact.objects.count() == 2 * 4 * 3
    assert set(DailyFact.objects.values_list("date", flat=True)) == {
        END - dt.timedelta(days=2),
        END - dt.timedelta(days=1),
        END,
    }
    assert FactChange.objects.filter(source=FactChange.Source.DEMO).exists()
    assert DailyTotal.objects.exists()
    # Nobody but the bench's own people, and no marker person carrying its state.
    assert set(User.objects.values_list("username", flat=True)) == {
        "bench-director",
        "bench-head-01",
        "bench-m0001",
        "bench-m0002",
    }


def test_a_later_run_reuses_the_recorded_data_set_or_asks_for_a_rebuild(db):
    dataset = _tiny()
    command = bench.Command(stdout=io.StringIO())

    assert command._data_set("S", rebuild=False) == (dataset, True)
    with pytest.raises(CommandError, match="holds the S data set"):
        command._data_set("M", rebuild=False)

    again = _tiny()
    assert list(BenchDataset.objects.all()) == [again]
    assert DailyFact.objects.count() == 2 * 4 * 3


def _floor_rows(user, **params) -> list[list[str]]:
    client = Client()
    client.force_login(user)
    query = {"period": "custom", "date_from": END - dt.timedelta(days=2), "date_to": END}
    with override_settings(ROOT_URLCONF=floor.URLCONF):
        response = client.get(floor.FLOOR_PATH, {**query, **params}, secure=True)
    assert response.status_code == 200
    html = response.content.decode()
    # No base template, no charts.
    assert "<link" not in html
    assert "<script" not in html
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def _dashboard_rows(user, **params) -> list[list[str]]:
    today = timezone.localdate()
    query = {"period": "custom", "date_from": END - dt.timedelta(days=2), "date_to": END}
    form = DashboardFilterForm({**query, **params}, user=user, mine=False, today=today)
    assert form.is_valid()
    filters = filters_for(cleaned=form.cleaned_data, viewer=user, mine=False, today=today)
    rows = floor.floor_rows(Dashboard(filters))
    return [["None" if cell is None else str(cell) for cell in row] for row in rows]


def test_the_floor_renders_the_dashboards_own_sums_as_plain_rows(db):
    _tiny()
    director = User.objects.get(username="bench-director")
    rows = _floor_rows(director)

    facts = DailyFact.objects.filter(date__range=(END - dt.timedelta(days=2), END))
    revenue = facts.aggregate(total=Sum("revenue"))["total"]
    by_manager = dict(facts.values_list("manager__username").annotate(Sum("revenue")))
    # The cards: revenue, margin, profitability, average check, in the dashboard's order.
    assert [row[:2] for row in rows[:4]] == [
        ["card", "revenue"],
        ["card", "margin"],
        ["card", "profitability"],
        ["card", "average_check"],
    ]
    assert Decimal(rows[0][2]) == revenue > 0
    # Each channel's stages: the counts of the three days, stage by stage.
    channel = Channel.objects.filter(is_active=True).order_by("display_order", "pk").first()
    first = Indicator.objects.filter(channel=channel, kind="stage").order_by("order").first()
    count = DailyCount.objects.filter(fact__in=facts, indicator=first).aggregate(n=Sum("value"))
    assert ["stage", channel.code, first.code, str(count["n"])] == next(
        row[:4] for row in rows if row[:3] == ["stage", channel.code, first.code]
    )
    funnels = [row for row in rows if row[0] == "funnel"]
    assert [row[1] for row in funnels] == [
        c.code for c in Channel.objects.filter(is_active=True).order_by("display_order", "pk")
    ]
    assert sum(Decimal(row[3]) for row in funnels) == revenue
    # The leaderboard: both managers, ranked, with their revenue of the three days.
    leaders = [row for row in rows if row[0] == "leader"]
    assert sorted((row[2], Decimal(row[3])) for row in leaders) == sorted(by_manager.items())
    assert [row[1] for row in leaders] == ["1", "2"]
    # Every number is the dashboard's own, read through the same properties.
    assert rows == _dashboard_rows(director)


def test_the_floor_of_a_head_has_the_filters_of_the_heads_page(db):
    _tiny()
    head = User.objects.get(username="bench-head-01")
    team = Team.objects.get(name="Bench team 01")

    rows = _floor_rows(head, team=team.pk)

    assert rows == _dashboard_rows(head, team=team.pk)
    assert len([row for row in rows if row[0] == "leader"]) == 2
    # A manager has no dashboard of others, nor its floor.
    client = Client()
    client.force_login(User.objects.get(username="bench-m0001"))
    with override_settings(ROOT_URLCONF=floor.URLCONF):
        assert client.get(floor.FLOOR_PATH, secure=True).status_code == 403


def _stored(results: dict) -> dict:
    machine = dict.fromkeys(("cpu", "cores", "ram", "database", "python", "django"), "x")
    machine |= {"load": "0.50 0.40 0.30", "date": "2026-03-04 10:00"}
    return {"postgresql-S": {"results": results, "rows": [], "machine": machine}}


def test_the_ratios_to_the_floor_are_those_of_one_run():
    results = {
        "dash_30d_p50_ms": 36.0,
        "dash_30d_full_p50_ms": 45.0,
        "floor_30d_p50_ms": 30.0,
        "dash_365d_p50_ms": 50.0,
        "dash_365d_full_p50_ms": 80.0,
        "floor_365d_p50_ms": 40.0,
        # the same pages with the panel cache off
        "dash_30d_computed_p50_ms": 33.0,
        "dash_30d_full_computed_p50_ms": 90.0,
    }

    assert floor.ratios(results, ("30d", "365d", "team")) == {
        "ratio_30d_full": 1.5,
        "ratio_30d_first": 1.2,
        "ratio_30d_full_computed": 3.0,
        "ratio_30d_first_computed": 1.1,
        "ratio_365d_full": 2.0,
        "ratio_365d_first": 1.25,
        "ratio_365d_full_computed": None,
        "ratio_365d_first_computed": None,
        "ratio_team_full": None,
        "ratio_team_first": None,
        "ratio_team_full_computed": None,
        "ratio_team_first_computed": None,
    }


def test_the_page_and_its_floor_are_timed_in_turn(monkeypatch):
    calls = []
    clock = iter(range(1000))
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    times = bench.timed_together(
        {name: (lambda name=name: calls.append(name)) for name in ("page", "full", "floor")},
        runs=3,
        warm=1,
    )
    # Warmed once each, then one of each in turn, three times over.
    assert calls == ["page", "full", "floor"] + ["page", "full", "floor"] * 3
    # Each timing is its own call's (the clock ticks once at its start and once at its end).
    assert times == {name: [1000.0] * 3 for name in ("page", "full", "floor")}


def test_the_docs_print_each_ratio_against_its_budget():
    results = {
        "floor_365d_p50_ms": 40.0,
        "ratio_30d_full": 1.5,
        "ratio_365d_full": 2.0,
        "ratio_30d_first": 1.2,
        "ratio_365d_first": 1.25,
        "ratio_365d_full_computed": 2.5,
        "ratio_365d_first_computed": 1.1,
        "dash_365d_rps": 21.3,
    }

    lines = bench_docs.render_docs(_stored(results)).splitlines()

    assert "| (a) whole page / floor, same run, as served | 1.5× ✓ (≤ 1.5×) |" in lines
    assert "| (b) whole page / floor, same run, as served | 2.0× ✗ (≤ 1.5×) |" in lines
    assert "| (c) whole page / floor, same run, as served | — |" in lines
    assert "| (a) first response / floor, same run, as served | 1.2× ✓ (≤ 1.2×) |" in lines
    assert "| (b) first response / floor, same run, as served | 1.25× ✗ (≤ 1.2×) |" in lines
    assert "| (b) whole page computed / floor, same run | 2.5× ✗ (≤ 1.5×) |" in lines
    assert "| (b) first response computed / floor, same run | 1.1× ✓ (≤ 1.2×) |" in lines
    assert "| (b) floor, p50 ms | 40.0 |" in lines
    assert "| requests/s per worker, dashboard alone ((b), 100 serial) | 21.3 |" in lines
    assert any("Only ratios measured in the same run are" in line for line in lines)


def test_a_run_rewrites_its_numbers_and_keeps_the_notes_written_after_them(tmp_path, monkeypatch):
    docs = tmp_path / "benchmarks.md"
    monkeypatch.setattr(bench_docs, "DOCS", docs)
    notes = "\n## Before and after (by hand)\n\nA table measured in one session.\n"
    docs.write_text(bench_docs.render_docs(_stored({"floor_365d_p50_ms": 40.0})) + notes)
    machine = _stored({})["postgresql-S"]["machine"]

    bench_docs.docs_write("postgresql", "S", {"floor_365d_p50_ms": 35.5}, [], machine)
    bench_docs.docs_write("sqlite", "S", {"floor_365d_p50_ms": 30.0}, [], machine)

    text = docs.read_text()
    assert text.endswith("-->\n" + notes)
    assert text.count("## Before and after (by hand)") == 1
    assert "| (b) floor, p50 ms | 30.0 | 35.5 |" in text.splitlines()
