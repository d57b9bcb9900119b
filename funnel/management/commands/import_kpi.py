from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from funnel.imports import kpi_import
from teams.models import User


class Command(BaseCommand):
    help = (
        "Import daily values from a CSV or XLSX file: the header "
        "date,manager,channel,indicator,value or the monthly template. "
        "Any bad row rejects the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument(
            "--by", metavar="USERNAME", help="record the changes as made by this user"
        )
        parser.add_argument(
            "--accept-unusual",
            action="store_true",
            help="write values far above their managers' usual too (listed as warnings); "
            "the history marks them confirmed-unusual",
        )

    def handle(
        self, *args, file: str, dry_run: bool, by: str | None, accept_unusual: bool, **options
    ):
        author = None
        if by:
            author = User.objects.filter(username=by).first()
            if author is None:
                raise CommandError(_("Unknown user %(name)s.") % {"name": by})
        try:
            with open(file, "rb") as handle:
                report = kpi_import(
                    handle, by=author, dry_run=dry_run, accept_unusual=accept_unusual
                )
        except OSError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            # The import is one transaction: a failure in it leaves nothing behind.
            raise CommandError(
                _("The database failed (%(error)s); nothing was imported.") % {"error": error}
            ) from error
        if report.detected:
            self.stderr.write(_("The file was %(detected)s.") % {"detected": report.detected})
        for unusual in report.unusual:
            self.stderr.write(
                _("Warning: %(where)s, %(column)s: %(reason)s")
                % {"where": unusual.where, "column": unusual.column, "reason": unusual.reason}
            )
        if not report.bad_rows and not report.ok:
            raise CommandError(
                _(
                    "%(count)s values are unusual for their managers; check them and import "
                    "again with --accept-unusual. Nothing was imported."
                )
                % {"count": len(report.unusual)}
            )
        if not report.ok:
            for bad in report.bad_rows:
                self.stderr.write(f"{bad.where}, {bad.column or '-'}: {bad.reason}")
            raise CommandError(
                _("The file was rejected (%(count)s problems); nothing was imported.")
                % {"count": len(report.bad_rows)}
            )
        summary = _("%(rows)s rows: %(changed)s values changed, %(unchanged)s unchanged.") % {
            "rows": report.rows,
            "changed": report.changed,
            "unchanged": report.unchanged,
        }
        if dry_run:
            if report.preview:
                summary += " " + _(
                    "New: %(new)s, changed: %(changed)s, unchanged: %(unchanged)s."
                ) % {
                    "new": report.preview.new,
                    "changed": report.preview.changed,
                    "unchanged": report.preview.unchanged,
                }
            summary += " " + _("Dry run: nothing was written.")
            if report.unusual and not accept_unusual:
                summary += " " + _(
                    "%(count)s unusual values: the import needs --accept-unusual."
                ) % {"count": len(report.unusual)}
        self.stdout.write(summary)
