from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from teams.services import PeopleImportError, people_import


class Command(BaseCommand):
    help = (
        "Create or update people from a UTF-8 CSV file with the header "
        "username,full_name,email,role,team,channels. All or nothing: any bad row "
        "rejects the file and every bad row is reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file to import")
        parser.add_argument(
            "--password",
            help="password for the new users (default: none usable; send a reset link)",
        )

    def handle(self, *args, file: Path, password: str | None, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(file)s is not UTF-8 text.") % {"file": file}) from None
        try:
            result = people_import(text=text, password=password)
        except PeopleImportError as error:
            for row_error in error.errors:
                self.stderr.write(str(row_error))
            count = len(error.errors)
            raise CommandError(
                ngettext(
                    "Nothing imported: %(count)s error in %(file)s.",
                    "Nothing imported: %(count)s errors in %(file)s.",
                    count,
                )
                % {"count": count, "file": file}
            ) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            _(
                "%(created)s created, %(updated)s updated, %(unchanged)s unchanged; "
                "new teams: %(teams)s"
            )
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": len(result.unchanged),
                "teams": ", ".join(result.teams_created) or "—",
            }
        )
