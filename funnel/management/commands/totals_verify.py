"""Compare the maintained totals with a fresh aggregation of the facts; exit 1 on any difference."""

from django.core.management.base import BaseCommand, CommandError

from funnel.summaries.units import ALL_TEAMS, NO_TEAM
from funnel.summaries.verify import pivot_differences, team_differences, totals_differences

PERIODS = {1: "day", 2: "week", 3: "month", 4: "half-week"}


class Command(BaseCommand):
    help = (
        "Check that every fact carries its manager's team of that day (by the dated team "
        "memberships), and compare the maintained daily and monthly totals and the "
        "per-manager pivot with a fresh aggregation of the facts. Prints the differences and "
        "exits with status 1 when there are any."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="differences to print")

    def handle(self, *args, limit: int, **options) -> None:
        team_count, team_rows = team_differences(limit=limit)
        count, differences = totals_differences(limit=limit)
        pivot_count, pivot_rows = pivot_differences(limit=limit)
        if not team_count and not count and not pivot_count:
            self.stdout.write("Totals match the facts, and the facts' teams the memberships.")
            return
        names = {ALL_TEAMS: "all", NO_TEAM: "no team"}
        if team_count:
            self.stdout.write("facts in the wrong team: date manager channel stored expected")
            for date, manager_id, channel_id, stored, expected in team_rows:
                self.stdout.write(
                    f"{date}  {manager_id:<7} {channel_id:<7} "
                    f"{names.get(stored, stored)!s:<8} {names.get(expected, expected)}"
                )
            if team_count > len(team_rows):
                self.stdout.write(f"… and {team_count - len(team_rows)} more.")
        if count:
            self.stdout.write(
                "date        channel  team      code                    stored  fresh"
            )
            for d in differences:
                team = names.get(d.team_key, str(d.team_key))
                self.stdout.write(
                    f"{d.date}  {d.channel_id:<7}  {team:<8}  {d.code:<22}  {d.stored}  {d.fresh}"
                )
            if count > len(differences):
                self.stdout.write(f"… and {count - len(differences)} more.")
        if pivot_count:
            self.stdout.write(
                "per-manager pivot: period start manager channel team column stored−fresh"
            )
            for period, start, manager_id, channel_id, team, column, diff in pivot_rows:
                self.stdout.write(
                    f"{PERIODS.get(period, period):<9} {start}  {manager_id:<7} {channel_id:<7} "
                    f"{names.get(team, team)!s:<8} {column:<16} {diff:+}"
                )
            if pivot_count > len(pivot_rows):
                self.stdout.write(f"… and more, {pivot_count} pivot rows in all.")
        # A team changed by queryset update() (no signals) shows up here.
        raise CommandError(
            f"{team_count + count + pivot_count} differences between the totals, the facts "
            "and the memberships; run `manage.py totals_rebuild` to repair them.",
            returncode=1,
        )
