"""What an import would change, read from the history its dry run wrote (and rolls back):
every changed value is a FactChange row with its old and new value, so the preview shows
exactly what the import does — counts of new, changed and unchanged values, and per manager
and day the values old → new."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils import formats

from funnel.models import MONEY_LABELS, FactChange, Indicator
from funnel.selectors import value_display

# The preview lists this many changed values; the counts cover them all.
SHOWN_CHANGES = 500


@dataclass
class PreviewGroup:
    manager: str
    day: str
    changes: list[list[str]] = field(default_factory=list)  # [channel: indicator, old, new]


@dataclass
class Preview:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    groups: list[PreviewGroup] = field(default_factory=list)
    hidden: int = 0  # changed values not listed

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> Preview | None:
        if not data:
            return None
        groups = [PreviewGroup(**g) for g in data.get("groups", [])]
        return cls(**{**data, "groups": groups})


def import_preview(after_id: int, *, by, unchanged: int) -> Preview:
    """The history rows after `after_id` written by this import (inside its transaction)."""
    changes = FactChange.objects.filter(
        id__gt=after_id, source=FactChange.Source.IMPORT, changed_by=by
    )
    total = changes.count()
    new = changes.filter(old_value__isnull=True).count()
    preview = Preview(new=new, changed=total - new, unchanged=unchanged)
    names = {(i.channel_id, i.code): i.name for i in Indicator.objects.select_related(None)}
    shown = changes.select_related("fact__manager", "fact__channel").order_by(
        "fact__manager__full_name",
        "fact__manager__username",
        "fact__date",
        "fact__channel_id",
        "id",
    )[:SHOWN_CHANGES]
    groups: dict[tuple, PreviewGroup] = {}
    for change in shown:
        fact = change.fact
        group = groups.get((fact.manager_id, fact.date))
        if group is None:
            group = groups[(fact.manager_id, fact.date)] = PreviewGroup(
                fact.manager.display_name, formats.date_format(fact.date, "SHORT_DATE_FORMAT")
            )
        code = change.code
        label = names.get((fact.channel_id, code)) or str(MONEY_LABELS.get(code, code))
        old = "—" if change.old_value is None else value_display(code, change.old_value)
        group.changes.append(
            [f"{fact.channel.name}: {label}", old, value_display(code, change.new_value)]
        )
    preview.groups = list(groups.values())
    preview.hidden = max(0, total - SHOWN_CHANGES)
    return preview
