from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from channels import inputs
from dashboards.notifications import reminders_send


class Command(BaseCommand):
    help = (
        "Remind managers whose report for the last working day is missing (by e-mail, or by "
        "Telegram as they chose), and send heads and "
        "the director their morning digest. For cron, once each morning; never sends the "
        "same mail twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as if today were YYYY-MM-DD (default: today).")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["date"]:
            try:
                today = inputs.date_parse(options["date"])
            except ValidationError as error:
                raise CommandError(f"--date: {error.messages[0]}") from None
        result = reminders_send(today=today)
        if result.day_off:
            self.stdout.write(f"{today} is not a working day: nothing sent.")
            return
        self.stdout.write(
            f"Report day {result.report_day}: {result.reminders} reminder(s) and "
            f"{result.digests} digest(s) sent."
        )
