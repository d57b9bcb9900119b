"""The bot keeps to the plausibility rules (funnel.plausibility_checks): an impossible value
is refused with the message, an unusual one asks "are you sure?" and is saved on yes."""

import pytest

from bot.models import TelegramLink
from funnel.models import DailyFact, FactChange
from tests.factories import channel

CHAT = 5561


@pytest.fixture
def anna(manager_a):
    manager_a.channels.set([channel("inbound")])
    TelegramLink.objects.create(user=manager_a, chat_id=CHAT)
    return manager_a


def test_an_unusual_value_is_saved_on_yes_and_an_impossible_one_refused(telegram, poll, anna):
    telegram.message(CHAT, "/today")
    telegram.message(CHAT, "25")
    telegram.press(CHAT, "finish")
    telegram.press(CHAT, "save")
    poll()
    question = telegram.texts(CHAT)[-1]
    assert "25 is more than 20, unusual for one day" in question
    assert question.endswith("Are you sure?")
    assert telegram.buttons() == ["sure", "edit", "cancel"]
    assert not DailyFact.objects.exists()
    telegram.press(CHAT, "sure")
    poll()
    assert telegram.texts(CHAT)[-1].startswith("Saved for")
    assert list(FactChange.objects.values_list("code", "new_value", "confirmed_unusual")) == [
        ("leads_received", 25, True)
    ]
    telegram.press(CHAT, "edit")
    telegram.press(CHAT, "e:0")
    telegram.message(CHAT, "1001")
    telegram.press(CHAT, "save")
    poll()
    assert "1,001 is more than the most allowed for one day (1,000)." in telegram.texts(CHAT)[-1]
    assert DailyFact.objects.get().counts.get().value == 25
