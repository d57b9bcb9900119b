"""Compare the maintained totals with a fresh aggregation of the facts; exit 1 on any difference."""

from django.core.management.base import BaseCommand, CommandError

from funnel.totals import ALL_TEAMS, NO_TEAM, totals_differences


class Command(BaseCommand):
    help = (
        "Compare the maintained daily totals with a fresh aggregation of the facts. "
        "Prints the differences and exits with status 1 when there are any."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="differences to print")

    def handle(self, *args, limit: int, **options) -> None:
        count, differences = totals_differences(limit=limit)
        if not count:
            self.stdout.write("Totals match the facts.")
            return
        names = {ALL_TEAMS: "all", NO_TEAM: "no team"}
        self.stdout.write("date        channel  team      code                    stored  fresh")
        for d in differences:
            team = names.get(d.team_key, str(d.team_key))
            self.stdout.write(
                f"{d.date}  {d.channel_id:<7}  {team:<8}  {d.code:<22}  {d.stored}  {d.fresh}"
            )
        if count > len(differences):
            self.stdout.write(f"… and {count - len(differences)} more.")
        # A team changed by queryset update() (no signals) shows up here as a pair of rows.
        raise CommandError(
            f"{count} differences between the totals and the facts; "
            "run `manage.py totals_rebuild` to repair them.",
            returncode=1,
        )
