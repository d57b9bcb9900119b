"""Background tasks (Django's tasks framework; the backend is settings.TASKS: the database,
run by `manage.py db_worker`)."""

from django.tasks import task
from django.utils import timezone, translation

from funnel.models import ImportUpload
from funnel.uploads import in_background, upload_run


@task
def upload_task(
    upload_id: int, dry_run: bool, accept_unusual: bool = False, language: str = ""
) -> None:
    """Check or import an uploaded file (funnel/uploads.py) in a worker."""
    upload_run(
        upload_id,
        dry_run=dry_run,
        accept_unusual=accept_unusual,
        heartbeat=True,
        language=language,
    )


def upload_start(upload: ImportUpload, *, dry_run: bool, accept_unusual: bool = False) -> None:
    """Check (dry_run) or import the upload: now for a small file, else in the background;
    its report in the language of the page that asked for it (the request's)."""
    language = translation.get_language() or ""
    status = ImportUpload.Status.CHECKING if dry_run else ImportUpload.Status.IMPORTING
    ImportUpload.objects.filter(pk=upload.pk).update(
        status=status, progress=0, result={}, updated_at=timezone.now()
    )
    if in_background(upload):
        upload_task.enqueue(upload.pk, dry_run, accept_unusual, language)
    else:
        upload_run(upload.pk, dry_run=dry_run, accept_unusual=accept_unusual, language=language)
    upload.refresh_from_db()
