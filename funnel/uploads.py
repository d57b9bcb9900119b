"""Uploaded import files between their check and their import (funnel.models.ImportUpload):
stored in the database so that any app server or worker can finish them; a run — the check
with its preview, or the import — goes inline for a small file and as a background task
(funnel/tasks.py: upload_start) for one over KPI_IMPORT_BACKGROUND_BYTES."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import BinaryField
from django.db.models.functions import Substr
from django.utils import timezone, translation

from funnel.imports import ImportReport, kpi_import
from funnel.models import ImportUpload

KEPT_FOR = dt.timedelta(days=1)
# An upload is read from the database this many bytes a query (_upload_file).
READ_SLICE = 8 * 1024 * 1024
# The report keeps this many problems; the import_kpi command lists every one.
KEPT_BAD_ROWS = 1000
# A run whose upload has not been touched for this long has stopped: its process died (a
# restart, the machine's memory). The run's transaction died with it, so nothing was
# written. Runs in a worker touch their upload every HEARTBEAT, whatever they are doing
# (a long write's transaction included); the others with each step of their progress.
STALLED_AFTER = dt.timedelta(minutes=10)
HEARTBEAT = dt.timedelta(seconds=30)
RUNNING = (ImportUpload.Status.CHECKING, ImportUpload.Status.IMPORTING)


def upload_store(upload, *, by) -> ImportUpload:
    """Keep an uploaded file (a Django UploadedFile) and forget the uploads of yesterday."""
    ImportUpload.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    data = b"".join(upload.chunks())
    return ImportUpload.objects.create(
        uploaded_by=by, name=upload.name[:255], data=data, size=len(data)
    )


def in_background(upload: ImportUpload) -> bool:
    return upload.size > settings.KPI_IMPORT_BACKGROUND_BYTES


def upload_run(
    upload_id: int,
    *,
    dry_run: bool,
    accept_unusual: bool = False,
    heartbeat: bool = False,
    language: str = "",
) -> None:
    """The run itself, in `language` (the page's that started it; else the user's saved
    one); its report lands in `result`. With `heartbeat` (a worker's run) the upload is
    touched every HEARTBEAT while it goes on."""
    upload = ImportUpload.objects.select_related("uploaded_by").defer("data").get(pk=upload_id)
    if upload.status not in RUNNING:
        # Marked stopped while it waited for a worker (upload_stopped): its page has told
        # the user that nothing was imported, and so it stays.
        return
    user = upload.uploaded_by

    def progress(percent: int) -> None:
        ImportUpload.objects.filter(pk=upload_id).update(
            progress=percent, updated_at=timezone.now()
        )

    language = language or user.language or settings.LANGUAGE_CODE
    with (
        tempfile.SpooledTemporaryFile(max_size=READ_SLICE) as binary,
        translation.override(language),
        _beating(upload_id) if heartbeat else contextlib.nullcontext(),
    ):
        _upload_read(upload_id, binary)
        try:
            report = kpi_import(
                binary,
                by=user,
                dry_run=dry_run,
                progress=progress,
                accept_unusual=accept_unusual,
            )
        except DatabaseError:
            # The import's transaction is rolled back: nothing was written. Say so on the
            # upload's page, and let the caller (the page, or the task's result) know too.
            ImportUpload.objects.filter(pk=upload_id).update(
                status=ImportUpload.Status.FAILED, result={"database_error": True}
            )
            raise
    if report.ok:
        status = ImportUpload.Status.CHECKED if dry_run else ImportUpload.Status.DONE
    else:
        status = ImportUpload.Status.FAILED
    ImportUpload.objects.filter(pk=upload_id).update(
        status=status, progress=100, result=report_json(report)
    )


@contextlib.contextmanager
def _beating(upload_id: int):
    """Touch the running upload every HEARTBEAT from a thread of its own (its own database
    connection), until the block ends: a live run never looks stalled."""
    done = threading.Event()

    def beat() -> None:
        try:
            while not done.wait(HEARTBEAT.total_seconds()):
                with contextlib.suppress(DatabaseError):  # SQLite: the write holds the file
                    ImportUpload.objects.filter(pk=upload_id, status__in=RUNNING).update(
                        updated_at=timezone.now()
                    )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"upload-{upload_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def upload_stopped(upload: ImportUpload) -> bool:
    """Whether a run of `upload` stopped without a report (see STALLED_AFTER); if so, the
    upload is marked failed with `result["stopped"]`. Only the state that was read is
    changed: a run that touched the upload since goes on."""
    if upload.status not in RUNNING or upload.updated_at > timezone.now() - STALLED_AFTER:
        return False
    marked = ImportUpload.objects.filter(
        pk=upload.pk, status=upload.status, updated_at=upload.updated_at
    ).update(status=ImportUpload.Status.FAILED, progress=0, result={"stopped": True})
    upload.refresh_from_db(fields=["status", "progress", "result", "updated_at"])
    return bool(marked)


def _upload_read(upload_id: int, binary) -> None:
    """The uploaded file into `binary`, READ_SLICE bytes a query: read whole, the value would
    be in memory twice over and more (the driver's copy — as hex on PostgreSQL — and then
    the bytes) for the whole import."""
    start = 1  # SQL counts from 1
    while True:
        piece = (
            ImportUpload.objects.filter(pk=upload_id)
            .values_list(Substr("data", start, READ_SLICE, output_field=BinaryField()), flat=True)
            .get()
        )
        if not piece:  # the end (SQLite: NULL for an empty file)
            break
        binary.write(piece)
        if len(piece) < READ_SLICE:
            break
        start += READ_SLICE
    binary.seek(0)


def report_json(report: ImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "rows": report.rows,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "detected": report.detected,
        "bad_total": len(report.bad_rows),
        "bad_rows": [[b.where, b.column, b.reason] for b in report.bad_rows[:KEPT_BAD_ROWS]],
        "preview": report.preview.as_json() if report.preview else None,
        # Values unusual for their managers: the import needs them confirmed.
        "unusual_total": len(report.unusual),
        "unusual": [[u.where, u.column, u.reason] for u in report.unusual[:KEPT_BAD_ROWS]],
    }
