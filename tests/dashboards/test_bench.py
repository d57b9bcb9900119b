"""The bench keeps what it generated in a table of its own and stays off real databases."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper

from dashboards.management.commands import bench
from dashboards.models import BenchDataset
from funnel.models import DailyFact, DailyTotal, FactChange
from teams.models import User

END = dt.date(2026, 3, 4)


def _tiny(scale: str = "S") -> BenchDataset:
    return bench.dataset_generate(
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
