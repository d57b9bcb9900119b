import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from plans.models import Holiday

GOOD = """date,name,working
2026-01-01,New Year,0
2026-01-02,New Year holidays,0
2026-01-03,Transferred working day,1
"""


def load(tmp_path, text: str) -> str:
    path = tmp_path / "calendar.csv"
    path.write_text(text, encoding="utf-8")
    call_command("load_holidays", str(path))
    return str(path)


def test_a_calendar_is_loaded(tmp_path, db, capsys):
    load(tmp_path, GOOD)
    days = dict(Holiday.objects.values_list("date", "is_working_day"))
    assert days == {
        dt.date(2026, 1, 1): False,
        dt.date(2026, 1, 2): False,
        dt.date(2026, 1, 3): True,
    }
    assert "3 day(s) in calendar.csv: 3 added, 0 changed, 0 kept." in capsys.readouterr().out


def test_loading_again_changes_nothing_and_a_renamed_day_is_updated(tmp_path, db, capsys):
    load(tmp_path, GOOD)
    load(tmp_path, GOOD)
    assert "0 added, 0 changed, 3 kept." in capsys.readouterr().out
    load(tmp_path, GOOD.replace("New Year,0", "Новый год,0"))
    assert Holiday.objects.get(date=dt.date(2026, 1, 1)).name == "Новый год"
    assert Holiday.objects.count() == 3


def test_every_bad_line_is_reported_and_nothing_is_written(tmp_path, db):
    text = (
        "date,name,working\n"
        "2026-01-01,New Year,0\n"
        "2026-02-30,Bad date,0\n"
        "2026-01-01,Twice,0\n"
        "2026-03-08,Women's day,yes\n"
        "2026-05-09,Victory Day\n"
        "9999-12-31,Far away,0\n"
    )
    with pytest.raises(CommandError) as error:
        load(tmp_path, text)
    message = str(error.value)
    assert "5 bad line(s), nothing loaded" in message
    assert "line 7: date: Enter a date between the years 2000 and 2100." in message
    assert "line 3: date: “2026-02-30” is not a date YYYY-MM-DD" in message
    assert "line 4: date: 2026-01-01 is already on line 2" in message
    assert "line 5: working: “yes” must be 0 (holiday) or 1 (working day)" in message
    assert "line 6: expected 3 columns, found 2" in message
    assert not Holiday.objects.exists()


def test_a_wrong_header_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="the header must be date,name,working"):
        load(tmp_path, "day,title\n2026-01-01,x\n")
