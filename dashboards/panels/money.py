"""Money by channel, and margin and profitability by channel × manager."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from channels.models import Channel
from metrics import compute
from metrics.compute import MoneyMetrics, MoneySums
from metrics.selectors import money_of_units
from teams.models import User

# The margin table's columns a reader may sort by; "-" first means largest first.
MARGIN_SORTS = ("manager", "channel", "revenue", "variable_costs", "margin", "profitability")
MARGIN_DEFAULT_SORT = "-margin"
MARGIN_ROWS_SHOWN = 20


@dataclass(frozen=True)
class MoneyRow:
    """A channel's money block (channel None: all channels shown)."""

    channel: Channel | None
    money: MoneyMetrics

    @property
    def received_share(self) -> Decimal | None:
        """Money received against invoiced: revenue ÷ invoiced amount."""
        return compute.ratio(self.money.revenue, self.money.invoiced_amount)


class MarginRow:
    """One manager's money in one channel (manager None: a total). Its metrics are worked
    out when first read: the table shows 20 rows of what can be thousands."""

    __slots__ = ("_money", "channel", "manager", "sums")

    def __init__(self, manager: User | None, channel: Channel | None, sums: MoneySums):
        self.manager, self.channel, self.sums = manager, channel, sums
        self._money: MoneyMetrics | None = None

    @property
    def money(self) -> MoneyMetrics:
        if self._money is None:
            self._money = MoneyMetrics.from_sums(self.sums)
        return self._money


# The sums order the rows as the metrics would (money already has 2 places), without
# working out every row's metrics.
_SUM_KEYS = {
    "revenue": lambda sums: sums.revenue,
    "variable_costs": lambda sums: sums.variable_costs,
    "margin": lambda sums: compute.margin(sums.revenue, sums.variable_costs),
}


@dataclass(frozen=True)
class SortHeader:
    field: str
    label: str
    link: str  # the sort a click asks for
    state: str  # "ascending", "descending" or "" (aria-sort)

    @property
    def is_number(self) -> bool:
        return self.field not in ("manager", "channel")


def sort_key(sort: str | None) -> str:
    """The margin table's sort, or its default when `sort` is not one it knows."""
    if sort and sort.removeprefix("-") in MARGIN_SORTS:
        return sort
    return MARGIN_DEFAULT_SORT


def _sorted(rows: list[MarginRow], sort: str) -> list[MarginRow]:
    field = sort.removeprefix("-")
    descending = sort.startswith("-")

    def name(row: MarginRow) -> str:
        return row.manager.display_name.casefold() if row.manager else ""

    def channel_order(row: MarginRow) -> tuple:
        return (row.channel.display_order, row.channel.code) if row.channel else (0, "")

    if field == "manager":
        return sorted(rows, key=lambda r: (name(r), channel_order(r)), reverse=descending)
    if field == "channel":
        return sorted(rows, key=lambda r: (channel_order(r), name(r)), reverse=descending)
    # Figures: undefined ones (a profitability without revenue) last whichever the order.
    by_sums = _SUM_KEYS.get(field)
    if by_sums is not None:
        present, missing = rows, []
        value = lambda r: by_sums(r.sums)  # noqa: E731
    else:
        present = [r for r in rows if getattr(r.money, field) is not None]
        missing = [r for r in rows if getattr(r.money, field) is None]
        value = lambda r: getattr(r.money, field)  # noqa: E731
    present.sort(key=lambda r: (name(r), channel_order(r)))
    present.sort(key=value, reverse=descending)
    return present + sorted(missing, key=lambda r: (name(r), channel_order(r)))


class MoneyPanels:
    """The money block per channel and per manager, from sums the page reads already:
    the funnel's money by channel and the per-manager pivot (no query of their own)."""

    @cached_property
    def money_rows(self) -> list[MoneyRow]:
        """Each channel shown, then the total of those channels."""
        rows, total = [], MoneySums()
        for channel in self.catalogue:
            sums = self.channel_money.get(channel.pk, MoneySums())
            rows.append(MoneyRow(channel, MoneyMetrics.from_sums(sums)))
            total += sums
        if rows:
            rows.append(MoneyRow(None, MoneyMetrics.from_sums(total)))
        return rows

    @cached_property
    def margin_sort(self) -> str:
        return sort_key(self.sort)

    @cached_property
    def margin_rows(self) -> list[MarginRow]:
        """Manager × channel rows with money, in the reader's sort."""
        people = {m.pk: m for m in self.managers}
        channels = {c.pk: c for c in self.catalogue}
        rows = []
        for (manager_id, channel_id), sums in self.pivot.items():
            if manager_id not in people or channel_id not in channels:
                continue
            if not (sums.revenue_units or sums.costs_units or sums.invoiced_units):
                continue
            rows.append(MarginRow(people[manager_id], channels[channel_id], sums.money))
        return _sorted(rows, self.margin_sort)

    @cached_property
    def margin_totals(self) -> list[MarginRow]:
        """Per channel, then all channels: the sums of the rows (of every row, shown or not)."""
        units: dict[int, list[int]] = {}  # summed as integers: money in kopecks
        shown = {c.pk for c in self.catalogue}
        for (_manager_id, channel_id), sums in self.pivot.items():
            if channel_id in shown:
                found = units.setdefault(channel_id, [0, 0, 0, 0])
                found[0] += sums.invoiced_units
                found[1] += sums.payments
                found[2] += sums.revenue_units
                found[3] += sums.costs_units
        by_channel = {channel_id: money_of_units(*found) for channel_id, found in units.items()}
        totals = [
            MarginRow(None, c, by_channel[c.pk]) for c in self.catalogue if c.pk in by_channel
        ]
        grand = sum(by_channel.values(), MoneySums())
        if totals:
            totals.append(MarginRow(None, None, grand))
        return totals

    @property
    def margin_shown(self):
        return self._shown("margin", self.margin_rows, MARGIN_ROWS_SHOWN)

    @cached_property
    def margin_headers(self) -> list[SortHeader]:
        """The margin table's sortable headers, in column order."""
        labels = {
            "manager": _("Manager"),
            "channel": _("Channel"),
            "revenue": _("Revenue"),
            "variable_costs": _("Variable costs"),
            "margin": _("Margin"),
            "profitability": _("Profitability"),
        }
        current = self.margin_sort
        headers = []
        for field in MARGIN_SORTS:
            # Figures sort largest first, names A to Z; a second click turns the order.
            first = field if field in ("manager", "channel") else f"-{field}"
            state = ""
            if current.removeprefix("-") == field:
                state = "descending" if current.startswith("-") else "ascending"
            link = first
            if current == first:
                link = field if first.startswith("-") else f"-{field}"
            headers.append(SortHeader(field, labels[field], link, state))
        return headers
