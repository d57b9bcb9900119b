import datetime as dt
from decimal import Decimal

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command

from dashboards.models import ReminderLog
from dashboards.notifications import reminders_send
from plans.models import Plan
from tests.factories import channel, make_user, write_fact

TODAY = dt.date(2026, 3, 10)  # Tuesday: the report day is Monday 9 March
MONDAY = dt.date(2026, 3, 9)


@pytest.fixture
def cast(head1, head2, director, manager_a, manager_a2, manager_b, team1):
    for user, email in (
        (head1, "head1@example.com"),
        (head2, "head2@example.com"),
        (director, "director@example.com"),
        (manager_a, "anna@example.com"),
        (manager_a2, "artem@example.com"),
        (manager_b, "boris@example.com"),
    ):
        user.email = email
        user.save()
    manager_b.language = "ru"
    manager_b.save()
    make_user("no_email", team=team1)  # missing too, but cannot be mailed
    make_user("gone", team=team1, email="gone@example.com", is_active=False)
    write_fact(manager_a2, "active", MONDAY, first_contacts=7, revenue="5000", payments_count=1)
    Plan.objects.create(
        month=dt.date(2026, 3, 1),
        channel=channel("active"),
        manager=manager_a2,
        indicator="revenue",
        value=Decimal("1000000"),
    )


def mails_to(outbox, address):
    return [m for m in outbox if m.to == [address]]


def test_managers_with_a_missing_report_get_a_reminder(cast, mailoutbox):
    result = reminders_send(today=TODAY)
    heads = {"head1@example.com", "head2@example.com", "director@example.com"}
    reminders = [m for m in mailoutbox if m.to[0] not in heads]
    assert sorted(m.to[0] for m in reminders) == ["anna@example.com", "boris@example.com"]
    assert result.reminders == 2
    anna = mails_to(mailoutbox, "anna@example.com")[0]
    assert "for 9 March 2026." in anna.body
    assert anna.alternatives[0].mimetype == "text/html"
    assert "http://localhost:8000/entry/" in anna.alternatives[0].content


def test_a_russian_manager_gets_the_reminder_in_russian(cast, mailoutbox):
    reminders_send(today=TODAY)
    (boris,) = mails_to(mailoutbox, "boris@example.com")
    assert boris.subject == "Нет вашего отчёта за 9 марта 2026 г."
    assert "отчёта за 9 марта 2026." in boris.body


def test_each_head_gets_a_digest_of_their_own_team(cast, mailoutbox, manager_a2):
    result = reminders_send(today=TODAY)
    assert result.digests == 3
    (head1,) = mails_to(mailoutbox, "head1@example.com")
    assert head1.subject == "Morning digest for March 9, 2026"
    body = head1.body
    assert "Not reported: no_email, Anna Alekseeva\n" in body
    assert "Boris Belov" not in body
    # 5 000 in 6 of March's 22 working days -> forecast 18 333.33, far below 1 000 000.
    assert "Behind pace (month forecast below plan): Artem Antonov (18,333.33" in body
    assert "First contacts 7/" in body
    (head2,) = mails_to(mailoutbox, "head2@example.com")
    assert "Boris Belov" in head2.body
    assert "Anna Alekseeva" not in head2.body
    (director,) = mails_to(mailoutbox, "director@example.com")
    assert "Anna Alekseeva" in director.body
    assert "Boris Belov" in director.body


def test_a_second_run_sends_nothing_twice(cast, mailoutbox):
    first = reminders_send(today=TODAY)
    second = reminders_send(today=TODAY)
    assert (first.reminders, first.digests) == (2, 3)
    assert (second.reminders, second.digests) == (0, 0)
    assert len(mailoutbox) == 5
    assert ReminderLog.objects.filter(kind="reminder", day=MONDAY).count() == 2


def test_nothing_is_sent_on_a_day_off(cast, mailoutbox):
    result = reminders_send(today=dt.date(2026, 3, 8))  # Sunday
    assert result.day_off
    assert mailoutbox == []


def test_a_failed_send_is_not_logged_so_the_next_run_retries(cast, mailoutbox, monkeypatch):
    def broken(self, fail_silently=False):
        raise OSError("SMTP down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    with pytest.raises(OSError, match="SMTP down"):
        reminders_send(today=TODAY)
    assert not ReminderLog.objects.exists()
    monkeypatch.undo()
    assert reminders_send(today=TODAY).reminders == 2


def test_the_command_prints_how_many_mails_were_sent(cast, mailoutbox, capsys):
    call_command("send_reminders", "--date", "2026-03-10")
    out = capsys.readouterr().out
    assert "Report day 2026-03-09: 2 reminder(s) and 3 digest(s) sent." in out


def test_a_russian_head_gets_the_digest_in_russian(cast, mailoutbox, head2):
    head2.language = "ru"
    head2.save()
    reminders_send(today=TODAY)
    (digest,) = mails_to(mailoutbox, "head2@example.com")
    assert digest.subject == "Утренняя сводка за 9 марта 2026 г."
    assert "Не сдали отчёт: Boris Belov" in digest.body
    assert "Первичные касания 0/—" in digest.body
    assert "Не сдали отчёт" in digest.alternatives[0].content


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("9999-12-31", "--date: Enter a date between the years 2000 and 2100."),
        ("20261110", "--date: Enter a date as YYYY-MM-DD."),
    ],
)
def test_the_command_refuses_a_bad_date(db, date, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_reminders", "--date", date)
