"""Entry forms and the one parser every entry path (form, grid, import) uses for a value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from channels import inputs
from funnel import values
from funnel.models import MONEY_DECIMAL_CODES
from funnel.selectors import ChannelBlock, StoredValues, value_display
from funnel.services import ValueWrite


def value_parse(code: str, raw: str | None, *, language: str | None = None) -> Decimal | None:
    """Text typed for one value of `code` → Decimal, or None when empty (funnel.values)."""
    return values.value_parse(raw, money=code in MONEY_DECIMAL_CODES, language=language)


def date_parse(raw: str | None) -> dt.date:
    """A YYYY-MM-DD date within the app's years (channels.inputs); ValidationError otherwise."""
    return inputs.date_parse(raw)


class KpiValueField(forms.CharField):
    """A count or an amount typed by a person; empty means "not entered"."""

    def __init__(self, *, code: str, **kwargs):
        self.code = code
        inputmode = "decimal" if code in MONEY_DECIMAL_CODES else "numeric"
        widget = forms.TextInput(
            attrs={"inputmode": inputmode, "autocomplete": "off", "class": "kpi-value"}
        )
        super().__init__(required=False, widget=widget, **kwargs)

    def to_python(self, value):
        # Typed on the page, possibly as the page shows numbers ("1,234" in English).
        return value_parse(self.code, super().to_python(value), language=get_language())


def field_name(channel_id: int, code: str) -> str:
    return f"c{channel_id}-{code}"


class DayForm(forms.Form):
    """Every value of one day: a field per (channel, stage/activity/money)."""

    def __init__(
        self,
        *args,
        blocks: list[ChannelBlock],
        stored: StoredValues,
        day: dt.date,
        disabled: bool = False,
        **kwargs,
    ):
        self.blocks = blocks
        self.stored = stored
        self.day = day
        initial = {}
        for block in blocks:
            for row in block.rows:
                name = field_name(block.channel.pk, row.code)
                initial[name] = value_display(row.code, stored.get(day, block.channel.pk, row.code))
        super().__init__(*args, initial=initial, **kwargs)
        for block in blocks:
            for row in block.rows:
                self.fields[field_name(block.channel.pk, row.code)] = KpiValueField(
                    code=row.code, label=row.label, disabled=disabled
                )

    def writes(self, *, manager_id: int) -> list[ValueWrite]:
        """Values to save; an emptied field that had a value becomes 0, untouched empties stay."""
        writes = []
        for block in self.blocks:
            for row in block.rows:
                value = self.cleaned_data[field_name(block.channel.pk, row.code)]
                if value is None:
                    if self.stored.get(self.day, block.channel.pk, row.code) is None:
                        continue
                    value = Decimal(0)
                writes.append(
                    ValueWrite(
                        date=self.day,
                        manager_id=manager_id,
                        channel_id=block.channel.pk,
                        code=row.code,
                        value=value,
                    )
                )
        return writes


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
