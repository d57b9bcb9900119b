"""The channel catalogue — channels, their stages and activities in funnel order, the maxima
per day — kept in memory by each process and checked with one query per use.

Why: every cell save asked the database for the same few dozen rows five times over (the
manager's channels and their indicators, the indicators again to check the codes, the maxima,
the pivot's stage order): about a third of the request's CPU. The catalogue changes when an
admin edits a channel, a few times a year.

How it stays right:

* `CatalogueVersion` holds one random token. Every save or delete of a Channel, Indicator or
  ValueLimit (the admin, seed data, the shell) replaces it in its own transaction (signals
  below), so the new token commits or rolls back together with the change.
* `catalogue()` reads the token (one query), then — only when it differs from the snapshot's —
  the catalogue (three queries), and keeps that snapshot under the token it read first.
  Reading the token first means a snapshot is never newer-labelled than its data: data that
  changed meanwhile is at worst kept under the older token, which the next read replaces.
* Tokens are random, never counters: a change that rolled back and a later one cannot share
  a token (the tests roll back all the time).
* No token row (a flushed database) means no snapshot is kept: every use reads afresh.

Queryset `update()` and raw SQL on those tables send no signals: call `catalogue_changed()`
after them in the same transaction. Data migrations run before the servers start.

A snapshot is shared by every request of the process: treat its instances as read-only.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models.signals import post_delete, post_save

from channels.models import Channel
from funnel.models import CatalogueVersion, Indicator, ValueLimit


@dataclass(frozen=True)
class Catalogue:
    """One reading of the catalogue. `indicators[channel_id]`: the channel's stages then its
    activities, each in (order, id) order, with `indicator.channel` set."""

    token: str | None
    channels: dict[int, Channel]
    indicators: dict[int, list[Indicator]]
    limits: dict[tuple[int, str], Decimal]
    _codes: dict[int, dict[str, Indicator]] = field(default_factory=dict, repr=False)

    def codes(self, channel_id: int) -> dict[str, Indicator]:
        """The channel's indicators by code (empty for an unknown channel)."""
        found = self._codes.get(channel_id)
        if found is None:
            found = {i.code: i for i in self.indicators.get(channel_id, ())}
            self._codes[channel_id] = found
        return found

    def stages(self, channel_id: int) -> list[Indicator]:
        return [i for i in self.indicators.get(channel_id, ()) if i.is_stage]

    def stage_positions(self, channel_ids: Iterable[int]) -> dict[tuple[int, str], int]:
        """{(channel_id, stage code): column 0…} in funnel order (order, id)."""
        return {
            (channel_id, stage.code): position
            for channel_id in set(channel_ids)
            for position, stage in enumerate(self.stages(channel_id))
        }

    def limits_of(self, channel_ids: Iterable[int]) -> dict[tuple[int, str], Decimal]:
        wanted = set(channel_ids)
        return {key: limit for key, limit in self.limits.items() if key[0] in wanted}


_lock = threading.Lock()
# (database name, snapshot): the last snapshot this process read.
_kept: tuple[str, Catalogue] | None = None


def _token() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(_table())} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _table() -> str:
    return CatalogueVersion._meta.db_table


def _read(token: str | None) -> Catalogue:
    """The catalogue as stored now: three queries."""
    channels = {c.pk: c for c in Channel.objects.order_by("display_order", "code")}
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    # "stage" sorts after "activity": descending puts each channel's stages first.
    for indicator in Indicator.objects.order_by("channel_id", "-kind", "order", "id"):
        indicator.channel = channels[indicator.channel_id]
        indicators[indicator.channel_id].append(indicator)
    limits = {
        (channel_id, code): limit
        for channel_id, code, limit in ValueLimit.objects.values_list(
            "channel_id", "code", "max_per_day"
        )
    }
    return Catalogue(token, channels, dict(indicators), limits)


def catalogue() -> Catalogue:
    """The catalogue now: the process's snapshot when its token still holds (one query),
    else read afresh (three more) and kept."""
    global _kept
    token = _token()
    database = connection.settings_dict["NAME"]
    kept = _kept
    if token is not None and kept is not None and kept[0] == database and kept[1].token == token:
        return kept[1]
    fresh = _read(token)
    if token is not None:
        with _lock:
            _kept = (database, fresh)
    return fresh


def catalogue_changed() -> None:
    """Mark the catalogue changed, in the caller's transaction (one query)."""
    token = secrets.token_hex(16)
    if not CatalogueVersion.objects.filter(pk=1).update(token=token):
        CatalogueVersion.objects.create(pk=1, token=token)


def _changed(sender, **kwargs) -> None:
    catalogue_changed()


def connect_signals() -> None:
    for model in (Channel, Indicator, ValueLimit):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}"
        )
