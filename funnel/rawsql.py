"""Raw multi-row inserts, shared by the write path and the maintained totals."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


COPY_FROM = 1000


def insert_rows(model, columns: Sequence[str], rows: Sequence[tuple], tail: str = "") -> None:
    """INSERT rows of `model` (values in database form), `tail` (ON CONFLICT …) appended.

    Raw on purpose: the ORM's bulk_create builds and prepares a model instance per row,
    which dominates an import of 100,000 values. PostgreSQL gets one array per column
    through unnest() (a few parameters instead of one per value: ~3× faster than a
    multi-row VALUES); SQLite, which has no arrays, gets multi-row VALUES.
    """
    if not rows:
        return
    table = _q(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not tail and len(rows) >= COPY_FROM:
            # Plain appends of an import's size: COPY is twice as fast again. (It bypasses
            # Django's cursor wrapper, so it is left out of query counts.)
            with cursor.cursor.copy(
                f"COPY {table} ({', '.join(map(_q, columns))}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if connection.vendor == "postgresql":
            fields = {field.column: field for field in model._meta.concrete_fields}
            arrays = ", ".join(f"%s::{fields[c].db_type(connection)}[]" for c in columns)
            for start in range(0, len(rows), 20_000):
                batch = rows[start : start + 20_000]
                cursor.execute(
                    f"{head}SELECT * FROM unnest({arrays}) {tail}",
                    [list(c) for c in zip(*batch, strict=True)],
                )
            return
        size = max(1, min(1000, connection.features.max_query_params // len(columns)))
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"{head}VALUES {', '.join([one] * len(batch))} {tail}",
                [p for row in batch for p in row],
            )
