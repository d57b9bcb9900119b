import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from channels import inputs
from plans.models import Holiday

HEADER = ["date", "name", "working"]


def holidays_parse(lines) -> tuple[list[Holiday], list[str]]:
    """Rows of a `date,name,working` CSV as unsaved Holidays, and every bad line's message."""
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader, [])]
    if header != HEADER:
        return [], [_("line 1: the header must be %(header)s") % {"header": ",".join(HEADER)}]
    rows, errors, seen = [], [], {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != 3:
            errors.append(
                _("line %(line)d: expected 3 columns, found %(found)d")
                % {"line": line, "found": len(cells)}
            )
            continue
        raw_date, name, flag = (c.strip() for c in cells)
        problems = []
        try:
            day = inputs.date_parse(raw_date)
        except ValidationError as error:
            day = None
            if error.code == "date_range":
                problems.append(_("date: %(reason)s") % {"reason": error.messages[0]})
            else:
                problems.append(
                    _("date: “%(value)s” is not a date YYYY-MM-DD") % {"value": raw_date}
                )
        if day is not None and day in seen:
            problems.append(
                _("date: %(date)s is already on line %(line)d") % {"date": day, "line": seen[day]}
            )
        if flag not in ("0", "1"):
            problems.append(
                _("working: “%(value)s” must be 0 (holiday) or 1 (working day)") % {"value": flag}
            )
        if len(name) > Holiday._meta.get_field("name").max_length:
            problems.append(_("name: too long"))
        if problems:
            errors.extend(
                _("line %(line)d: %(problem)s") % {"line": line, "problem": p} for p in problems
            )
        if day is not None:
            seen.setdefault(day, line)
        if not problems:
            rows.append(Holiday(date=day, name=name, is_working_day=flag == "1"))
    return rows, errors


class Command(BaseCommand):
    help = (
        "Load the official calendar from a CSV file with the header date,name,working "
        "(working: 1 for a transferred working day, 0 for a holiday). The whole file is "
        "checked first; any bad line rejects it. Loading the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows, errors = holidays_parse(handle)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        if errors:
            raise CommandError(
                _("%(path)s: %(count)d bad line(s), nothing loaded:")
                % {"path": path, "count": len(errors)}
                + "\n"
                + "\n".join(errors)
            )
        with transaction.atomic():
            existing = {
                h.date: h
                for h in Holiday.objects.select_for_update().filter(date__in=[r.date for r in rows])
            }
            new = [r for r in rows if r.date not in existing]
            changed = [
                r
                for r in rows
                if r.date in existing
                and (existing[r.date].name, existing[r.date].is_working_day)
                != (r.name, r.is_working_day)
            ]
            Holiday.objects.bulk_create(new)
            for row in changed:
                Holiday.objects.filter(date=row.date).update(
                    name=row.name, is_working_day=row.is_working_day
                )
        unchanged = len(rows) - len(new) - len(changed)
        self.stdout.write(
            _("%(total)d day(s) in %(file)s: %(new)d added, %(changed)d changed, %(same)d kept.")
            % {
                "total": len(rows),
                "file": path.name,
                "new": len(new),
                "changed": len(changed),
                "same": unchanged,
            }
        )
