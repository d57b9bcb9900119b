"""python manage.py kpi_report --from YYYY-MM-DD --to YYYY-MM-DD [filters] [--format json|csv]"""

from __future__ import annotations

import csv
import datetime as dt
import json
from argparse import RawDescriptionHelpFormatter

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from django.utils import timezone

from channels import inputs
from channels.models import Channel
from metrics.reports import build_report, report_as_dict
from metrics.selectors import Scope
from teams.membership import members_ever
from teams.models import Team, User

CSV_HELP = """\
CSV: one row per value with the columns channel,section,code,value. `channel` is a
channel code or "total". Sections: stage (code = stage, value = count), conversion
(code = stage, conversion from the previous stage), activity (code = activity, count),
metric (code = funnel_conversion, invoiced_amount, payments_count, revenue,
average_check, variable_costs, margin or profitability), and for plans plan, fact,
completion and forecast (code = the planned indicator). Values are formatted as in the
JSON; an undefined value is an empty cell."""


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Keeps the line breaks of the CSV description in --help."""


def _date(value: str) -> dt.date:
    try:
        return inputs.date_parse(value)
    except ValidationError as error:
        if error.code == "date_range":
            raise CommandError(f"{value!r}: {error.messages[0]}") from None
        raise CommandError(f"Not a date in YYYY-MM-DD form: {value!r}") from None


class Command(BaseCommand):
    help = (
        "Print the KPI metrics (funnel, conversions, money, plans) of the facts between two\n"
        "dates, both included, as JSON or CSV. JSON: counts are integers, money strings with\n"
        "2 places, ratios numbers rounded half-up to 4 places, an undefined value null.\n"
        "Plans are prorated by working days to the period; the forecast is the month-end\n"
        "run rate as of the end of the day before --as-of.\n\n" + CSV_HELP
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs["formatter_class"] = _HelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="First day.")
        parser.add_argument("--to", dest="date_to", required=True, help="Last day (included).")
        parser.add_argument("--channel", help="Only this channel (its code).")
        parser.add_argument(
            "--team",
            help="Only the facts its people entered for the days they were in this team (name).",
        )
        parser.add_argument("--manager", help="Only this manager's facts (username).")
        parser.add_argument(
            "--format", choices=("json", "csv"), default="json", help="Default: json."
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help=(
                "The as-of day (default: today in TIME_ZONE). The forecast runs on the facts "
                "dated before it, over the working days elapsed before it; facts dated on or "
                "after it do not enter the forecast."
            ),
        )

    def handle(self, *args, **options) -> None:
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        if date_from > date_to:
            raise CommandError(f"--from {date_from} is after --to {date_to}.")
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        scope = Scope(
            date_from=date_from,
            date_to=date_to,
            channel_ids=self._channel_ids(options["channel"]),
            managers=self._managers(options["manager"]),
            teams=self._teams(options["team"]),
        )
        both = scope.managers is not None and scope.teams is not None
        if both and not scope.managers.filter(members_ever(scope.teams)).exists():
            raise CommandError(
                f"Manager {options['manager']!r} has never been in team {options['team']!r}."
            )
        data = report_as_dict(build_report(scope=scope, as_of=as_of))
        if options["format"] == "csv":
            self._write_csv(data)
        else:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _channel_ids(self, code: str | None) -> tuple[int, ...] | None:
        if code is None:
            return None
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            known = ", ".join(Channel.objects.values_list("code", flat=True))
            raise CommandError(f"Unknown channel {code!r}. Channels: {known}.")
        return (channel.pk,)

    def _teams(self, team_name: str | None):
        """A team: the facts of the days its people were in it (dated membership)."""
        if team_name is None:
            return None
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            raise CommandError(f"Unknown team {team_name!r}.")
        return Team.objects.filter(pk=team.pk).values("pk")

    def _managers(self, username: str | None):
        """A manager: all of their facts, whatever team they were in (with --team too: the
        days they were in that team)."""
        if username is None:
            return None
        if not User.objects.filter(username=username).exists():
            raise CommandError(f"Unknown manager {username!r}.")
        return User.objects.filter(username=username)

    def _write_csv(self, data: dict) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["channel", "section", "code", "value"])
        for item in data["channels"]:
            code = item["channel"]
            for stage in item["stages"]:
                writer.writerow([code, "stage", stage["code"], _cell(stage["count"])])
            for stage in item["stages"]:
                writer.writerow([code, "conversion", stage["code"], _cell(stage["conversion"])])
            for activity in item["activities"]:
                writer.writerow([code, "activity", activity["code"], _cell(activity["count"])])
            self._write_metrics(writer, code, item, ["funnel_conversion"])
        self._write_metrics(writer, "total", data["total"], [])

    def _write_metrics(self, writer, channel: str, item: dict, first: list[str]) -> None:
        keys = [*first, "invoiced_amount", "payments_count", "revenue", "average_check"]
        keys += ["variable_costs", "margin", "profitability"]
        for key in keys:
            writer.writerow([channel, "metric", key, _cell(item[key])])
        for line in item.get("plans", []):
            for field in ("plan", "fact", "completion", "forecast"):
                writer.writerow([channel, field, line["indicator"], _cell(line[field])])


def _cell(value) -> str:
    return "" if value is None else str(value)
