"""Raw multi-row inserts (unnest, COPY, multi-row VALUES), shared by the write path of the
facts (funnel.services) and the summaries."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


COPY_FROM = 1000


def _insert_rows_sqlite(model, columns: Sequence[str], rows: Sequence[tuple], tail: str) -> None:
    """SQLite has no arrays: multi-row VALUES, below its bound-parameter limit."""
    table = _q(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "
    size = max(1, min(1000, connection.features.max_query_params // len(columns)))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"{head}VALUES {', '.join([one] * len(batch))} {tail}",
                [p for row in batch for p in row],
            )


def _text(value, *, copy: bool) -> str:
    """One value in PostgreSQL's text form: an array element, or a COPY field."""
    if value is None:
        return "\\N" if copy else "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    # Dates and datetimes in ISO 8601 (a datetime with its offset).
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if copy:
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _texts(values: Sequence, *, copy: bool) -> Iterable[str]:
    """A column of values in text form (see `_text`), the common kinds without a call each."""
    types = set(map(type, values))
    if types <= {int, Decimal}:
        return map(str, values)
    if types == {dt.date}:
        return map(dt.date.isoformat, values)
    if types <= {int, Decimal, type(None)}:
        null = _text(None, copy=copy)
        return [null if value is None else str(value) for value in values]
    distinct = set(values)
    if len(distinct) <= len(values) // 4 + 1:  # codes, sources, one timestamp: each once
        texts = {value: _text(value, copy=copy) for value in distinct}
        return map(texts.__getitem__, values)
    return [_text(value, copy=copy) for value in values]


def pg_array(values: Sequence) -> str:
    """An array literal for a parameter cast to an array type (`%s::bigint[]`)."""
    return "{" + ",".join(_texts(values, copy=False)) + "}"


def insert_rows(model, columns: Sequence[str], rows: Sequence[tuple], tail: str = "") -> None:
    """INSERT rows of `model` (values in database form), `tail` (ON CONFLICT …) appended.

    Raw on purpose: the ORM's bulk_create builds and prepares a model instance per row,
    which dominates an import of 100,000 values. On PostgreSQL each column goes as one
    array literal in text form (unnest; a few parameters instead of one per value), plain
    appends of 1,000+ rows as COPY text (bypassing Django's cursor wrapper, so out of query
    counts); SQLite gets multi-row VALUES."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _insert_rows_sqlite(model, columns, rows, tail)
        return
    with connection.cursor() as cursor:
        pg_insert(cursor, model, columns, rows, tail)


def pg_insert(cursor, model, columns: Sequence[str], rows: Sequence[tuple], tail: str = "") -> None:
    """insert_rows on PostgreSQL through `cursor`: Django's (its statements counted and
    logged) or a psycopg cursor (funnel.services' background writer, whose thread has no
    Django connection of its own)."""
    if not rows:
        return
    table = _q(model._meta.db_table)
    names = ", ".join(map(_q, columns))
    copy = not tail and len(rows) >= COPY_FROM
    texts = [_texts(column, copy=copy) for column in zip(*rows, strict=True)]
    if copy:
        # COPY is psycopg's own: from Django's cursor wrapper, its wrapped cursor.
        with getattr(cursor, "cursor", cursor).copy(f"COPY {table} ({names}) FROM STDIN") as stream:
            stream.write(
                "".join([f"{line}\n" for line in map("\t".join, zip(*texts, strict=True))])
            )
        return
    fields = {field.column: field for field in model._meta.concrete_fields}
    arrays = ", ".join(f"%s::{fields[c].db_type(connection)}[]" for c in columns)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
        ["{" + ",".join(column) + "}" for column in texts],
    )


class InsertWriter:
    """Inserts (insert_rows' arguments) run in the order added: at once, or — `background`,
    on PostgreSQL — by a thread of their own on the transaction's connection while the
    caller goes on preparing (the server inserts while Python adds: funnel.services).
    psycopg connections are thread-safe: each statement (a COPY as a whole) holds the
    connection, so the caller's own statements run between the thread's. Leaving the `with`
    block waits for the thread and raises its error, if any (the transaction then rolls
    back). The thread's statements bypass Django's cursor: not in its query log."""

    def __init__(self, *, background: bool):
        self.background = background and connection.vendor == "postgresql"
        self.error: BaseException | None = None
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = None

    def add(self, model, columns, rows, tail: str) -> None:
        if not rows:
            return
        if not self.background:
            insert_rows(model, columns, rows, tail)
            return
        if self.thread is None:
            raw = connection.connection
            self.thread = threading.Thread(target=self._run, args=(raw,), daemon=True)
            self.thread.start()
        self.queue.put((model, columns, rows, tail))

    def _run(self, raw) -> None:
        with raw.cursor() as cursor:
            while (insert := self.queue.get()) is not None:
                if self.error is None:  # after an error, only empty the queue
                    try:
                        pg_insert(cursor, *insert)
                    except BaseException as error:  # raised again in the caller's thread
                        self.error = error

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.error is not None:
            # As Django's cursor would: psycopg's error as django.db's.
            with connection.wrap_database_errors:
                raise self.error
