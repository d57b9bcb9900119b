import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from teams.models import Team, User
from teams.services import PeopleImportError, people_import
from tests.factories import write_fact

HEADER = "username,full_name,email,role,team,channels\n"
GOOD = (
    HEADER
    + "ivanov,Иван Иванов,ivanov@example.com,manager,Север,active;inbound\n"
    + "petrova,Ольга Петрова,,head,Север,\n"
    + "sidorov,Пётр Сидоров,sidorov@example.com,director,,\n"
)


def state() -> list[tuple]:
    """Everything the import may write, in a comparable form."""
    people = [
        (
            u.username,
            u.full_name,
            u.email,
            u.role,
            u.team.name if u.team else None,
            sorted(u.channels.values_list("code", flat=True)),
            sorted(u.led_teams.values_list("name", flat=True)),
        )
        for u in User.objects.order_by("username")
    ]
    return [*people, sorted(Team.objects.values_list("name", flat=True))]


def errors_of(text: str) -> list[str]:
    with pytest.raises(PeopleImportError) as caught:
        people_import(text=text)
    return [str(e) for e in caught.value.errors]


@pytest.mark.django_db
def test_import_creates_people_teams_heads_and_channels():
    result = people_import(text=GOOD)
    assert result.created == ["ivanov", "petrova", "sidorov"]
    assert result.teams_created == ["Север"]
    ivanov = User.objects.get(username="ivanov")
    assert (ivanov.full_name, ivanov.role, ivanov.team.name) == ("Иван Иванов", "manager", "Север")
    assert sorted(ivanov.channels.values_list("code", flat=True)) == ["active", "inbound"]
    assert list(Team.objects.get(name="Север").heads.values_list("username", flat=True)) == [
        "petrova"
    ]
    assert User.objects.get(username="sidorov").role == "director"


@pytest.mark.django_db
def test_new_people_get_no_usable_password_by_default():
    people_import(text=GOOD)
    assert not User.objects.get(username="ivanov").has_usable_password()


@pytest.mark.django_db
def test_password_option_sets_the_password_of_new_people_only(manager_a):
    text = GOOD + "manager_a,Anna Alekseeva,,manager,Team 1,active\n"
    people_import(text=text, password="Long-enough-pass-42")
    assert User.objects.get(username="ivanov").check_password("Long-enough-pass-42")
    manager_a.refresh_from_db()
    assert manager_a.check_password("pass-1234-word")


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing():
    people_import(text=GOOD)
    before = state()
    result = people_import(text=GOOD)
    assert (result.created, result.updated, result.teams_created) == ([], [], [])
    assert result.unchanged == ["ivanov", "petrova", "sidorov"]
    assert state() == before
    assert User.objects.count() == 3


@pytest.mark.django_db
def test_reimport_updates_existing_people_instead_of_duplicating():
    people_import(text=GOOD)
    changed = GOOD.replace("Север,active;inbound", "Юг,partner").replace("Иван Иванов", "Иван И.")
    result = people_import(text=changed)
    assert result.updated == ["ivanov"]
    ivanov = User.objects.get(username="ivanov")
    assert (ivanov.full_name, ivanov.team.name) == ("Иван И.", "Юг")
    assert list(ivanov.channels.values_list("code", flat=True)) == ["partner"]
    assert User.objects.filter(username="ivanov").count() == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",Нет Логина,,manager,Север,active", "line 2, column username: a username is required"),
        (
            "bad name,Имя,,manager,Север,active",
            "line 2, column username: only letters, digits and @ . + - _ are allowed",
        ),
        ("x,,,manager,Север,active", "line 2, column full_name: a full name is required"),
        (
            "x,Имя,not-an-email,manager,Север,active",
            "line 2, column email: “not-an-email” is not an e-mail address",
        ),
        (
            "x,Имя,,boss,Север,active",
            "line 2, column role: unknown role “boss” (use manager, head or director)",
        ),
        ("x,Имя,,manager,,active", "line 2, column team: a manager or head needs a team"),
        ("x,Имя,,head,,", "line 2, column team: a manager or head needs a team"),
        (
            "x,Имя,,director,Север,",
            "line 2, column team: a director sees every team; leave the team empty",
        ),
        ("x,Имя,,manager,Север,", "line 2, column channels: a manager needs at least one channel"),
        ("x,Имя,,manager,Север,active;web", "line 2, column channels: unknown channel “web”"),
        (
            "x,Имя,,manager,Север,active;active",
            "line 2, column channels: a channel is listed twice",
        ),
        (
            "x,Имя,,head,Север,active",
            "line 2, column channels: only managers report on channels; leave it empty",
        ),
        ("x,Имя,,manager", "line 2, column team: the row has 4 values, the header 6"),
        (
            "x,Имя,,manager,Север,active,extra",
            "line 2, column channels: the row has 7 values, the header 6",
        ),
    ],
)
@pytest.mark.django_db
def test_every_bad_row_reason_is_reported_with_line_and_column(row, expected):
    assert errors_of(HEADER + row + "\n") == [expected]


@pytest.mark.django_db
def test_a_username_twice_in_the_file_is_reported_on_its_second_line():
    text = HEADER + "x,Имя,,manager,Север,active\n" + "X,Имя,,manager,Север,active\n"
    assert errors_of(text) == ["line 3, column username: “X” is already on line 2"]


@pytest.mark.django_db
def test_an_administrator_cannot_be_changed_by_an_import(admin_user):
    text = HEADER + "admin,Admin,,manager,Север,active\n"
    assert errors_of(text) == [
        "line 2, column username: “admin” is an administrator; change them in the admin site"
    ]


@pytest.mark.django_db
def test_a_wrong_header_is_reported_on_line_one():
    assert errors_of("username,name,role\nx,y,manager\n") == [
        "line 1, column full_name, email, team, channels, name: "
        "the header must be username,full_name,email,role,team,channels "
        "(and optionally team_since)"
    ]


@pytest.mark.django_db
def test_line_numbers_are_physical_lines_with_blank_lines_and_quoted_newlines():
    text = (
        HEADER
        + "\n"
        + 'a,"Имя\nна двух строках",,manager,Север,active\n'
        + "b,Имя,,manager,Север,nope\n"
    )
    assert errors_of(text) == ["line 5, column channels: unknown channel “nope”"]


@pytest.mark.django_db
def test_a_file_with_any_bad_row_writes_nothing_and_reports_every_bad_row():
    text = GOOD + "bad,Имя,,boss,Север,active\n" + "worse,,,manager,,active\n"
    assert errors_of(text) == [
        "line 5, column role: unknown role “boss” (use manager, head or director)",
        "line 6, column full_name: a full name is required",
        "line 6, column team: a manager or head needs a team",
    ]
    assert not User.objects.exists()
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_command_imports_a_file_and_reports_counts(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")
    out = StringIO()
    call_command("import_people", str(path), stdout=out)
    assert "3 created, 0 updated, 0 unchanged; new teams: Север" in out.getvalue()


@pytest.mark.django_db
def test_command_fails_with_the_report_on_stderr_and_writes_nothing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD + "bad,Имя,,boss,Север,active\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 1 error"):
        call_command("import_people", str(path), stderr=err)
    assert err.getvalue() == (
        "line 5, column role: unknown role “boss” (use manager, head or director)\n"
    )
    assert not User.objects.exists()


@pytest.mark.django_db
def test_command_refuses_a_weak_password(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CommandError, match="too short"):
        call_command("import_people", str(path), "--password", "abc")
    assert not User.objects.exists()


def test_an_existing_manager_may_become_a_head(manager_a):
    text = HEADER + "manager_a,Anna Alekseeva,,head,Team 1,\n"
    people_import(text=text)
    manager_a.refresh_from_db()
    assert manager_a.role == "head"
    assert list(manager_a.channels.all()) == []
    assert list(manager_a.led_teams.values_list("name", flat=True)) == ["Team 1"]


@pytest.mark.django_db
def test_an_optional_team_since_dates_a_move_and_re_attributes_from_then_on():
    people_import(text=HEADER + "a,Анна,,manager,Север,active\n")
    anna = User.objects.get(username="a")
    day = dt.date(2026, 11, 2)
    for offset in range(3):
        write_fact(anna, "active", day + dt.timedelta(days=offset), revenue="10.00")
    dated = HEADER.strip() + ",team_since\n"
    people_import(text=dated + "a,Анна,,manager,Юг,active,03.11.2026\n")
    anna.refresh_from_db()
    assert anna.team.name == "Юг"
    teams = dict(anna.facts.values_list("date", "team__name"))
    assert teams == {
        day: "Север",
        day + dt.timedelta(days=1): "Юг",
        day + dt.timedelta(days=2): "Юг",
    }


@pytest.mark.django_db
def test_a_bad_team_since_is_a_row_error():
    text = HEADER.strip() + ",team_since\na,Анна,,manager,Север,active,31.02.2026\n"
    assert errors_of(text) == [
        "line 2, column team_since: “31.02.2026” is not a date (YYYY-MM-DD or DD.MM.YYYY)"
    ]
