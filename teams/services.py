"""People import: a CSV of users, validated as a whole and written in one transaction."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from channels.models import Channel
from teams.models import Membership, Team, User

PEOPLE_COLUMNS = ("username", "full_name", "email", "role", "team", "channels")
# Optional: the first day of the person in the team named (a move dated in the past
# re-attributes the numbers of the days from then on); today when empty or absent.
OPTIONAL_COLUMNS = ("team_since",)
IMPORT_ROLES = (User.Role.MANAGER, User.Role.HEAD, User.Role.DIRECTOR)


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file; the header is line 1
    column: str
    reason: str

    def __str__(self) -> str:
        return _("line %(line)s, column %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


class PeopleImportError(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class PersonRow:
    line: int
    username: str
    full_name: str
    email: str
    role: str
    team: str
    channels: tuple[str, ...]
    team_since: dt.date | None = None


@dataclass
class PeopleImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    teams_created: list[str] = field(default_factory=list)


def _check_row(values: dict[str, str], line: int, known_channels: set[str]) -> list[RowError]:
    errors: list[RowError] = []

    def bad(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    username, role = values["username"], values["role"]
    if not username:
        bad("username", _("a username is required"))
    elif len(username) > 150:
        bad("username", _("at most 150 characters"))
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            bad("username", _("only letters, digits and @ . + - _ are allowed"))
    if not values["full_name"]:
        bad("full_name", _("a full name is required"))
    elif len(values["full_name"]) > 150:
        bad("full_name", _("at most 150 characters"))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            bad("email", _("“%(value)s” is not an e-mail address") % {"value": values["email"]})
    if role not in IMPORT_ROLES:
        bad(
            "role",
            _("unknown role “%(value)s” (use manager, head or director)") % {"value": role},
        )
    team = values["team"]
    if len(team) > 120:
        bad("team", _("at most 120 characters"))
    elif role in (User.Role.MANAGER, User.Role.HEAD) and not team:
        bad("team", _("a manager or head needs a team"))
    elif role == User.Role.DIRECTOR and team:
        bad("team", _("a director sees every team; leave the team empty"))
    codes = [c.strip() for c in values["channels"].split(";") if c.strip()]
    if role == User.Role.MANAGER:
        if not codes:
            bad("channels", _("a manager needs at least one channel"))
        for code in codes:
            if code not in known_channels:
                bad("channels", _("unknown channel “%(code)s”") % {"code": code})
        if len(set(codes)) != len(codes):
            bad("channels", _("a channel is listed twice"))
    elif codes and role in IMPORT_ROLES:
        bad("channels", _("only managers report on channels; leave it empty"))
    return errors


def _team_since(raw: str) -> tuple[dt.date | None, str]:
    """A team_since cell: (date or None, error message or "")."""
    raw = raw.strip()
    if not raw:
        return None, ""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if not 2000 <= day.year <= 2100:
            return None, _("a day between 2000 and 2100, please")
        return day, ""
    return None, _("“%(value)s” is not a date (YYYY-MM-DD or DD.MM.YYYY)") % {"value": raw[:40]}


def people_parse(text: str) -> list[PersonRow]:
    """Read and check the whole file; raise PeopleImportError listing every bad row."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    required = [c for c in header if c not in OPTIONAL_COLUMNS]
    if sorted(required) != sorted(PEOPLE_COLUMNS) or len(set(header)) != len(header):
        missing = [c for c in PEOPLE_COLUMNS if c not in header]
        extra = [c for c in required if c not in PEOPLE_COLUMNS]
        reason = _("the header must be %(columns)s (and optionally %(optional)s)") % {
            "columns": ",".join(PEOPLE_COLUMNS),
            "optional": ",".join(OPTIONAL_COLUMNS),
        }
        raise PeopleImportError([RowError(1, ", ".join(missing + extra) or "—", reason)])
    known_channels = set(Channel.objects.values_list("code", flat=True))
    admins = set(
        User.objects.filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN)).values_list(
            "username", flat=True
        )
    )
    rows: list[PersonRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            column = header[len(raw)] if len(raw) < len(header) else header[-1]
            errors.append(
                RowError(
                    line,
                    column,
                    _("the row has %(found)s values, the header %(expected)s")
                    % {"found": len(raw), "expected": len(header)},
                )
            )
            continue
        values = {name: cell.strip() for name, cell in zip(header, raw, strict=True)}
        values["role"] = values["role"].lower()
        row_errors = _check_row(values, line, known_channels)
        since, since_error = _team_since(values.get("team_since", ""))
        if since_error:
            row_errors.append(RowError(line, "team_since", since_error))
        username = values["username"]
        if username and username.lower() in first_seen:
            row_errors.append(
                RowError(
                    line,
                    "username",
                    _("“%(username)s” is already on line %(line)s")
                    % {"username": username, "line": first_seen[username.lower()]},
                )
            )
        elif username in admins:
            row_errors.append(
                RowError(
                    line,
                    "username",
                    _("“%(username)s” is an administrator; change them in the admin site")
                    % {"username": username},
                )
            )
        first_seen.setdefault(username.lower(), line)
        errors += row_errors
        if not row_errors:
            codes = tuple(c.strip() for c in values["channels"].split(";") if c.strip())
            rows.append(
                PersonRow(
                    line=line,
                    username=username,
                    full_name=values["full_name"],
                    email=values["email"],
                    role=values["role"],
                    team=values["team"],
                    channels=codes,
                    team_since=since,
                )
            )
    if errors:
        raise PeopleImportError(errors)
    return rows


@transaction.atomic
def people_import(*, text: str, password: str | None = None) -> PeopleImportResult:
    """Create or update the people of a CSV file (header: PEOPLE_COLUMNS).

    All or nothing: any bad row raises PeopleImportError and nothing is written.
    Re-importing the same file changes nothing. New users get `password`, or an
    unusable one (an admin then sends a reset link); existing users keep theirs.
    """
    if password:
        validate_password(password)
    rows = people_parse(text)
    result = PeopleImportResult()
    channels = {c.code: c for c in Channel.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}
    for row in rows:
        team = None
        if row.team:
            team = teams.get(row.team)
            if team is None:
                team = teams[row.team] = Team.objects.create(name=row.team)
                result.teams_created.append(team.name)
        user = User.objects.filter(username=row.username).first()
        is_new = user is None
        if is_new:
            user = User(username=row.username)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
        before = _snapshot(user)
        user.full_name, user.email, user.role = row.full_name, row.email, row.role
        # A head's own team field is left alone: heads lead teams, they do not sell in one.
        if row.role != User.Role.HEAD:
            user.team = team
            user.team_since = row.team_since
        channel_ids = {channels[code].pk for code in row.channels}
        if is_new or _snapshot(user) != before:
            user.save()
        changed = is_new or _snapshot(user) != before
        if set(user.channels.values_list("pk", flat=True)) != channel_ids:
            user.channels.set(channel_ids)
            changed = True
        if row.role == User.Role.HEAD and not team.heads.filter(pk=user.pk).exists():
            team.heads.add(user)
            changed = True
        if is_new:
            if row.team_since is not None and team is not None and row.role != User.Role.HEAD:
                # A newcomer's first day in the team: the day they are expected from.
                Membership.objects.create(user=user, team=team, since=row.team_since)
            result.created.append(user.username)
        else:
            (result.updated if changed else result.unchanged).append(user.username)
    return result


def _snapshot(user: User) -> tuple:
    return (user.full_name, user.email, user.role, user.team_id)
