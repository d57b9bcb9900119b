"""The Telegram bot end to end against a local fake of the Bot API (tests.bot.fake_telegram):
updates go in through run_bot's long polling or the webhook, answers come out as recorded
sendMessage calls. No network."""

import datetime as dt
import io
import logging
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bot.linking import code_new
from bot.models import LinkCode, TelegramLink
from dashboards.models import ReminderLog
from dashboards.notifications import reminders_send
from funnel.models import DailyFact, FactChange
from tests.bot.fake_telegram import TOKEN
from tests.factories import channel, write_fact

CHAT = 5551
HEAD_CHAT = 5552


def link(user, chat_id: int) -> TelegramLink:
    return TelegramLink.objects.create(user=user, chat_id=chat_id)


@pytest.fixture
def anna(manager_a):
    """A manager on one channel (inbound: 5 stages, no activities, 4 money values)."""
    manager_a.channels.set([channel("inbound")])
    link(manager_a, CHAT)
    return manager_a


def test_run_bot_without_a_token_stops_with_a_clear_message(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="Set TELEGRAM_BOT_TOKEN"):
        call_command("run_bot", "--once")


def test_the_bot_refuses_anyone_not_linked(telegram, poll, manager_a):
    telegram.message(999, "/today")
    telegram.message(999, "/team")
    poll()
    texts = telegram.texts(999)
    assert len(texts) == 2
    assert all(t.startswith("I only talk to people of the sales team.") for t in texts)
    assert not DailyFact.objects.exists()


def test_a_code_from_the_profile_links_the_chat_once(telegram, poll, manager_a):
    client = Client()
    client.force_login(manager_a)
    client.post(reverse("bot:telegram"), {"action": "code"})
    page = client.get(reverse("profile")).content.decode()
    code = re.search(r'<code id="telegram-code">([A-Z0-9]{8})</code>', page).group(1)
    assert "https://t.me/kpi_test_bot?start=" + code in page
    telegram.message(CHAT, f"/start {code}")
    telegram.message(CHAT + 1, code)  # the same code again, from another chat
    poll()
    assert TelegramLink.objects.get(user=manager_a).chat_id == CHAT
    assert telegram.texts(CHAT)[0] == "This chat is linked to your account."
    assert "/today — enter today's numbers" in telegram.texts(CHAT)[1]
    assert telegram.texts(CHAT + 1)[0].startswith("I only talk to people")
    assert not LinkCode.objects.exists()
    assert "Unlink Telegram" in client.get(reverse("profile")).content.decode()


def test_an_expired_code_links_nothing(telegram, poll, manager_a):
    code = code_new(manager_a)
    LinkCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    telegram.message(CHAT, code.code.lower())
    poll()
    assert not TelegramLink.objects.exists()


def test_today_walks_the_channel_and_saves_through_the_write_path(telegram, poll, anna):
    telegram.message(CHAT, "/today")
    poll()
    first = telegram.texts(CHAT)[-1]
    assert "1 of 9" in first
    assert "Inbound sales · Leads received: now —. Send a number." in first
    assert telegram.buttons() == ["keep", "finish"]
    telegram.message(CHAT, "12")
    telegram.message(CHAT, "-1")
    telegram.message(CHAT, "4")
    poll()
    texts = telegram.texts(CHAT)
    assert "2 of 9" in texts[-3]
    assert texts[-2].startswith("⚠ The value cannot be negative.")
    assert "3 of 9" in texts[-1]
    telegram.press(CHAT, "finish")
    poll()
    summary = telegram.texts(CHAT)[-1]
    assert summary.splitlines()[1:] == [
        "Inbound sales · Leads received: — → 12",
        "Inbound sales · Qualified leads: — → 4",
    ]
    assert telegram.buttons() == ["save", "edit", "cancel"]
    assert not DailyFact.objects.exists()
    telegram.press(CHAT, "save")
    poll()
    assert telegram.texts(CHAT)[-1].startswith("Saved for")
    fact = DailyFact.objects.get(manager=anna, date=timezone.localdate())
    assert {c.indicator.code: c.value for c in fact.counts.all()} == {
        "leads_received": 12,
        "qualified_leads": 4,
    }
    assert {(c.source, c.changed_by_id) for c in FactChange.objects.all()} == {
        ("telegram", anna.pk)
    }


def test_a_saved_value_is_changed_afterwards(telegram, poll, anna):
    write_fact(anna, "inbound", timezone.localdate(), leads_received=3)
    telegram.message(CHAT, "/today")
    telegram.press(CHAT, "finish")
    telegram.press(CHAT, "edit")
    poll()
    assert telegram.texts(CHAT)[-1] == "Which value?"
    assert telegram.buttons()[:2] == ["e:0", "e:1"]
    telegram.press(CHAT, "e:8")  # the last one: variable costs
    telegram.message(CHAT, "1 500,5")
    telegram.press(CHAT, "save")
    poll()
    assert "Inbound sales · Variable costs: 0.00 → 1500.50" in telegram.texts(CHAT)[-2]
    fact = DailyFact.objects.get()
    assert fact.variable_costs == Decimal("1500.50")
    assert fact.counts.get().value == 3


def test_a_day_outside_the_edit_window_is_refused(telegram, poll, anna, settings):
    settings.KPI_EDIT_WINDOW_DAYS = 7
    old = timezone.localdate() - dt.timedelta(days=7)
    telegram.message(CHAT, f"/day {old:%d.%m.%Y}")
    telegram.message(CHAT, "/day 31.02")
    poll()
    assert telegram.texts(CHAT)[-2].endswith("can no longer be changed.")
    assert telegram.texts(CHAT)[-1] == "Send the day as /day 05.12."


def test_a_head_asks_for_the_team(telegram, poll, head1, manager_a, manager_a2, team1):
    link(head1, HEAD_CHAT)
    write_fact(manager_a2, "active", timezone.localdate(), payments_count=2, revenue="300.00")
    telegram.message(HEAD_CHAT, "/team")
    poll()
    lines = telegram.texts(HEAD_CHAT)[-1].splitlines()
    assert lines[2:] == [
        "Team 1",
        "Reported: 1 of 2 · revenue 300.00 · payments 2",
        "Not reported: Anna Alekseeva",
    ]


def test_stop_unlinks_the_chat(telegram, poll, anna):
    telegram.message(CHAT, "/stop")
    telegram.message(CHAT, "/today")
    poll()
    assert not TelegramLink.objects.exists()
    assert telegram.texts(CHAT)[-1].startswith("I only talk to people")


def test_the_bot_answers_in_the_persons_language(telegram, poll, anna):
    anna.language = "ru"
    anna.save()
    telegram.message(CHAT, "/help")
    poll()
    assert telegram.texts(CHAT)[-1].startswith("Здравствуйте, Anna Alekseeva!")


def test_the_token_never_reaches_the_logs(telegram, poll, anna, caplog):
    caplog.set_level(logging.DEBUG)
    telegram.message(CHAT, "/today")
    poll()
    assert telegram.texts(CHAT)
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_the_webhook_answers_with_the_secret_only(telegram, anna, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = "s3cret"
    update = telegram.message(CHAT, "/help")
    client = Client()
    wrong = client.post(
        reverse("bot:webhook"), update, content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
    )  # fmt: skip
    assert wrong.status_code == 403
    assert telegram.sent == []
    right = client.post(
        reverse("bot:webhook"), update, content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
    )  # fmt: skip
    assert right.status_code == 200
    assert telegram.texts(CHAT)[-1].startswith("Hello, Anna Alekseeva!")
    for junk in ({"no": "update"}, [1], "x"):
        bad = client.post(
            reverse("bot:webhook"), junk, content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
        )  # fmt: skip
        assert bad.status_code == 400, junk
    assert len(telegram.sent) == 1


TUESDAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("choice", "mails", "messages"),
    [("telegram", 0, 1), ("both", 1, 1), ("email", 1, 0)],
)
def test_the_reminder_goes_the_way_the_person_chose_once_a_day(
    telegram, anna, mailoutbox, choice, mails, messages
):
    anna.email = "anna@example.com"
    anna.save()
    TelegramLink.objects.filter(user=anna).update(notify=choice)
    reminders_send(today=TUESDAY)
    reminders_send(today=TUESDAY)
    assert len([m for m in mailoutbox if m.to == ["anna@example.com"]]) == mails
    texts = telegram.texts(CHAT)
    assert len(texts) == messages
    if messages:
        assert "We have no report from you for 9 March 2026." in texts[0]
    assert ReminderLog.objects.filter(user=anna, kind="reminder").count() == 1


def test_without_a_token_reminders_go_by_mail(anna, mailoutbox, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    anna.email = "anna@example.com"
    anna.save()
    TelegramLink.objects.filter(user=anna).update(notify="telegram")
    call_command("send_reminders", "--date", "2026-03-10", stdout=io.StringIO())
    assert [m.to for m in mailoutbox if m.to == ["anna@example.com"]] == [["anna@example.com"]]


def test_a_head_gets_the_morning_digest_in_telegram_in_their_language(
    telegram, anna, head1, team1, mailoutbox
):
    head1.email = "head1@example.com"
    head1.language = "ru"
    head1.save()
    TelegramLink.objects.create(user=head1, chat_id=HEAD_CHAT, notify="telegram")
    result = reminders_send(today=TUESDAY)
    reminders_send(today=TUESDAY)
    assert result.digests == 1
    assert [m.to for m in mailoutbox if m.to == ["head1@example.com"]] == []
    texts = telegram.texts(HEAD_CHAT)
    assert len(texts) == 1
    assert texts[0].startswith("Утренняя сводка")
    assert "Anna Alekseeva" in texts[0]


def test_the_profile_sets_the_reminder_choice_and_unlinks(telegram, anna):
    client = Client()
    client.force_login(anna)
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="both" selected>' in page
    client.post(reverse("bot:telegram"), {"action": "notify", "notify": "telegram"})
    assert TelegramLink.objects.get().notify == "telegram"
    client.post(reverse("bot:telegram"), {"action": "notify", "notify": "pigeon"})
    assert TelegramLink.objects.get().notify == "telegram"
    client.post(reverse("bot:telegram"), {"action": "unlink"})
    assert not TelegramLink.objects.exists()
    assert "Link Telegram" in client.get(reverse("profile")).content.decode()


def test_without_a_token_the_profile_says_the_bot_is_not_set_up(anna, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    client = Client()
    client.force_login(anna)
    client.post(reverse("bot:telegram"), {"action": "code"})
    page = client.get(reverse("profile")).content.decode()
    assert "The Telegram bot is not set up on this server." in page
    assert not LinkCode.objects.exists()
