"""python manage.py run_bot — the Telegram bot by long polling (or use the webhook)."""

import logging

from django.core.management.base import BaseCommand, CommandError

from bot.dialogue import process
from bot.transport import Client, configured

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the Telegram bot by long polling: answer messages until stopped (Ctrl+C). "
        "Needs TELEGRAM_BOT_TOKEN. A server that receives Telegram's webhook instead does "
        "not run this."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Answer what is waiting, then stop."
        )
        parser.add_argument("--timeout", type=int, default=30, help="Long-poll seconds (30).")

    def handle(self, *args, **options):
        if not configured():
            raise CommandError("Set TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot.")
        once = options["once"]
        with Client(timeout=options["timeout"] + 10) as client:
            client.delete_webhook()
            self.stdout.write("The bot is running." if not once else "Answering waiting messages.")
            offset = None
            while True:
                try:
                    updates = client.updates(offset, 0 if once else options["timeout"])
                except KeyboardInterrupt:
                    break
                for update in updates:
                    offset = update.update_id + 1
                    try:
                        process(client, update)
                    except Exception:
                        log.exception("update %s could not be answered", update.update_id)
                if once:
                    if offset is not None:
                        client.updates(offset, 0)  # confirms the answered updates
                    break
