import io

import pytest
from django.core.management import call_command

from tests.bot.fake_telegram import TOKEN, FakeTelegram


@pytest.fixture
def telegram(settings):
    fake = FakeTelegram().start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_URL = fake.url
    settings.TELEGRAM_BOT_NAME = "kpi_test_bot"
    yield fake
    fake.stop()


@pytest.fixture
def poll(telegram):
    """Let run_bot answer what the fake has queued, as long polling would."""

    def run() -> None:
        call_command("run_bot", "--once", stdout=io.StringIO())

    return run
