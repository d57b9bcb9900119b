"""The import page: upload → check and preview (nothing written) → "Import"; large files in
the background with a progress bar; the upload kept in the database for any server."""

import datetime as dt
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.tasks.signals import task_enqueued
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from funnel import uploads
from funnel.imports import kpi_import
from funnel.models import DailyFact, FactChange, ImportUpload
from tests.factories import write_fact

HEADER = "date,manager,channel,indicator,value\n"
DAY = "2026-01-05"
HX = {"HX-Request": "true", "HX-Target": "import-result"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csv_file(*rows: str, name="kpi.csv") -> SimpleUploadedFile:
    data = (HEADER + "".join(f"{r}\n" for r in rows)).encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_managers_cannot_open_the_import_page(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("funnel:import")).status_code == 403
    response = client.post(reverse("funnel:import"), {"file": csv_file(f"{DAY},a,b,c,1")})
    assert response.status_code == 403
    assert not ImportUpload.objects.exists()


def test_upload_shows_the_preview_and_writes_only_on_import(client, head1, manager_a):
    write_fact(manager_a, "active", dt.date(2026, 1, 5), first_contacts=5)
    client.force_login(head1)
    file = csv_file(
        f"{DAY},manager_a,active,first_contacts,8",
        f"{DAY},manager_a,active,meetings_set,3",
        f"{DAY},manager_a,active,revenue,1500.50",
    )
    response = client.post(reverse("funnel:import"), {"file": file}, headers=HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="import-result"')
    upload = ImportUpload.objects.get()
    assert response["HX-Push-Url"] == f"/entry/import/{upload.token}/"
    assert upload.status == "checked"
    assert bytes(upload.data) == file.file.getvalue()
    assert "3 rows: 1 new values, 2 changed, 0 unchanged. Nothing is written yet." in html
    preview = response.context["preview"]
    assert [(g.manager, g.day) for g in preview.groups] == [("Anna Alekseeva", "01/05/2026")]
    assert preview.groups[0].changes == [
        ["Active sales: First contacts", "5", "8"],
        ["Active sales: Meetings and presentations set", "—", "3"],
        ["Active sales: Payments received (revenue)", "0.00", "1500.50"],
    ]
    assert FactChange.objects.filter(source="import").count() == 0

    run = client.post(reverse("funnel:import_run", args=[upload.token]), headers=HX)
    assert "3 rows imported: 3 values changed, 0 unchanged." in run.content.decode()
    assert json.loads(run["HX-Trigger"]) == {"counts-saved": {}}
    assert FactChange.objects.filter(source="import", changed_by=head1).count() == 3
    upload.refresh_from_db()
    assert upload.status == "done"
    # Once done it cannot be imported twice.
    again = client.post(reverse("funnel:import_run", args=[upload.token]))
    assert again.status_code == 409


def test_a_bad_file_lists_every_problem_and_cannot_be_imported(client, head1, manager_a, manager_b):
    client.force_login(head1)
    file = csv_file(
        f"{DAY},manager_a,active,first_contacts,1.5", f"{DAY},manager_b,active,first_contacts,1"
    )
    response = client.post(reverse("funnel:import"), {"file": file}, follow=True)
    html = response.content.decode()
    assert "The file was rejected, nothing was imported" in html
    assert "The file was read as UTF-8, separator “,”." in html
    assert "A count must be a whole number." in html
    assert "Unknown manager “manager_b”, or not in your teams." in html
    assert response.context["result"]["bad_rows"][1] == [
        "line 3",
        "manager",
        "Unknown manager “manager_b”, or not in your teams.",
    ]
    upload = ImportUpload.objects.get()
    assert upload.status == "failed"
    assert client.post(reverse("funnel:import_run", args=[upload.token])).status_code == 409
    assert not DailyFact.objects.exists()


def test_an_upload_is_its_uploaders_alone(client, head1, director, manager_a):
    client.force_login(head1)
    client.post(reverse("funnel:import"), {"file": csv_file(f"{DAY},manager_a,active,revenue,1")})
    token = ImportUpload.objects.get().token
    client.force_login(director)
    assert client.get(reverse("funnel:import_status", args=[token])).status_code == 404
    assert client.post(reverse("funnel:import_run", args=[token])).status_code == 404
    assert not DailyFact.objects.exists()


def test_upload_without_a_file_says_so(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("funnel:import"), {}, headers=HX)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_uploads_of_yesterday_are_deleted(client, head1, manager_a):
    old = ImportUpload.objects.create(uploaded_by=head1, name="old.csv", data=b"x", size=1)
    ImportUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1, minutes=1)
    )
    client.force_login(head1)
    client.post(reverse("funnel:import"), {"file": csv_file(f"{DAY},manager_a,active,revenue,1")})
    assert list(ImportUpload.objects.values_list("name", flat=True)) == ["kpi.csv"]


@override_settings(KPI_IMPORT_BACKGROUND_BYTES=10)
def test_a_large_file_runs_as_a_task(client, head1, manager_a):
    # The test settings run tasks at once (ImmediateBackend): the task's own code path runs.
    enqueued = []

    def record(sender, task_result, **kwargs):
        enqueued.append(tuple(task_result.args))

    task_enqueued.connect(record)
    client.force_login(head1)
    file = csv_file(f"{DAY},manager_a,active,first_contacts,4")
    client.post(reverse("funnel:import"), {"file": file})
    upload = ImportUpload.objects.get()
    assert enqueued == [(upload.pk, True, False, "en")]  # the page's language
    assert upload.status == "checked"
    client.post(reverse("funnel:import_run", args=[upload.token]))
    assert enqueued[1] == (upload.pk, False, False, "en")
    task_enqueued.disconnect(record)
    assert DailyFact.objects.get().counts.get().value == 4


@pytest.mark.django_db(transaction=True)
@override_settings(
    KPI_IMPORT_BACKGROUND_BYTES=10,
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
)
def test_the_database_worker_finishes_a_background_import(client, head1, manager_a):
    client.force_login(head1)
    client.post(reverse("funnel:import"), {"file": csv_file(f"{DAY},manager_a,active,revenue,7")})
    upload = ImportUpload.objects.get()
    page = client.get(reverse("funnel:import_status", args=[upload.token]), headers=HX)
    html = page.content.decode()
    # Queued: the page polls every second and says the work goes on without it.
    assert 'hx-trigger="every 1s"' in html
    assert "Checking the file…" in html
    assert "You may close this page" in html
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    upload.refresh_from_db()
    assert (upload.status, upload.progress) == ("checked", 100)
    client.post(reverse("funnel:import_run", args=[upload.token]))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page = client.get(reverse("funnel:import_status", args=[upload.token]))
    assert "1 row imported: 1 values changed, 0 unchanged." in page.content.decode()
    assert str(DailyFact.objects.get().revenue) == "7.00"


def test_progress_rises_to_100_outside_the_write(manager_a):
    first = dt.date(2015, 1, 1)
    rows = [
        # Counts up to the floor of the usual (funnel.plausibility): nothing to confirm.
        f"{first + dt.timedelta(days=n)},manager_a,active,{code},"
        f"{n if code == 'revenue' else n % 21}"
        for n in range(4000)
        for code in ("first_contacts", "meetings_set", "revenue")
    ]
    seen = []
    report = kpi_import((HEADER + "\n".join(rows)).encode(), by=None, progress=seen.append)
    # Only the first day's revenue, 0.00, is what its new fact already holds.
    assert (report.ok, report.rows, report.changed) == (True, 12000, 11999)
    # Every 5,000 rows while checking (by the bytes read), then the write, then done.
    assert len(seen) == 4
    assert 0 < seen[0] < seen[1] < 80
    assert seen[2:] == [80, 100]


def test_import_page_and_its_report_read_in_russian(client, head1, manager_a):
    head1.language = "ru"
    head1.save()
    client.force_login(head1)
    page = client.get(reverse("funnel:import")).content.decode()
    file = csv_file(f"{DAY},manager_a,active,first_contacts,-1")
    result = client.post(reverse("funnel:import"), {"file": file}, follow=True)
    translation.activate("en")
    assert "Импорт прошлых данных" in page
    html = result.content.decode()
    assert "Значение не может быть отрицательным." in html
    assert "Найдена 1 ошибка." in html
    assert "строка 2" in html


def _running(head, *, idle: dt.timedelta, status="checking") -> ImportUpload:
    upload = ImportUpload.objects.create(
        uploaded_by=head, name="kpi.csv", data=b"x", size=1, status=status, progress=37
    )
    ImportUpload.objects.filter(pk=upload.pk).update(updated_at=timezone.now() - idle)
    return upload


@pytest.mark.parametrize("status", ["checking", "importing"])
def test_a_run_whose_process_died_says_so_and_the_page_stops_polling(
    client, head1, manager_a, status
):
    # Nothing touched the upload for longer than a live run allows: its process is gone,
    # and its transaction with it.
    upload = _running(head1, idle=uploads.STALLED_AFTER + dt.timedelta(seconds=1), status=status)
    client.force_login(head1)
    page = client.get(reverse("funnel:import_status", args=[upload.token]), headers=HX)
    html = page.content.decode()
    assert "The run stopped before it finished" in html
    assert 'role="alert"' in html
    assert "every 1s" not in html
    upload.refresh_from_db()
    assert (upload.status, upload.result) == ("failed", {"stopped": True})
    # A task of it that a worker takes only now does nothing: the page said so.
    ImportUpload.objects.filter(pk=upload.pk).update(
        data=(HEADER + f"{DAY},manager_a,active,first_contacts,4\n").encode()
    )
    uploads.upload_run(upload.pk, dry_run=status == "checking", heartbeat=True)
    upload.refresh_from_db()
    assert (upload.status, upload.result) == ("failed", {"stopped": True})
    head1.language = "ru"
    head1.save()
    page = client.get(reverse("funnel:import_status", args=[upload.token]), headers=HX)
    translation.activate("en")
    assert "Обработка остановилась" in page.content.decode()
    assert not DailyFact.objects.exists()


def test_a_run_touched_within_the_limit_goes_on(client, head1):
    upload = _running(head1, idle=uploads.STALLED_AFTER - dt.timedelta(seconds=30))
    client.force_login(head1)
    page = client.get(reverse("funnel:import_status", args=[upload.token]), headers=HX)
    assert 'hx-trigger="every 1s"' in page.content.decode()
    upload.refresh_from_db()
    assert (upload.status, upload.progress) == ("checking", 37)


@pytest.mark.django_db(transaction=True)
def test_a_workers_run_touches_its_upload_while_it_goes_on(head1, manager_a, monkeypatch):
    # A long run (here: an import that takes a while) keeps its upload fresh from a
    # thread of its own, so a live run is never taken for a stopped one; after the run,
    # nothing touches it any more.
    monkeypatch.setattr(uploads, "HEARTBEAT", dt.timedelta(seconds=0.05))
    data = (HEADER + f"{DAY},manager_a,active,first_contacts,4\n").encode()
    upload = _running(head1, idle=dt.timedelta(hours=1))
    ImportUpload.objects.filter(pk=upload.pk).update(data=data, size=len(data))
    seen = []
    slow_import = uploads.kpi_import

    def kpi_import(*args, **kwargs):
        time.sleep(0.5)
        seen.append(ImportUpload.objects.get(pk=upload.pk).updated_at)
        return slow_import(*args, **kwargs)

    monkeypatch.setattr(uploads, "kpi_import", kpi_import)
    uploads.upload_run(upload.pk, dry_run=False, heartbeat=True)
    assert seen[0] > timezone.now() - dt.timedelta(seconds=2)
    upload.refresh_from_db()
    assert upload.status == "done"
    after = upload.updated_at
    time.sleep(0.2)
    upload.refresh_from_db()
    assert upload.updated_at == after
    assert DailyFact.objects.get().counts.get().value == 4


def test_the_list_of_recent_uploads_shows_a_dead_run_as_failed(client, head1):
    dead = _running(head1, idle=uploads.STALLED_AFTER + dt.timedelta(minutes=1))
    live = _running(head1, idle=dt.timedelta(seconds=5), status="importing")
    client.force_login(head1)
    html = client.get(reverse("funnel:import")).content.decode()
    assert "kpi.csv</a>\n      (failed)" in html
    assert "kpi.csv</a>\n      (importing)" in html
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, live.status) == ("failed", "importing")


@pytest.mark.parametrize("background", [False, True])
def test_the_report_reads_in_the_pages_language_not_the_sites_default(
    client, head1, manager_a, settings, background
):
    # No saved language: the page follows the browser (English here) while the site's
    # default is Russian; the report, inline or from the worker, reads as the page does.
    settings.LANGUAGE_CODE = "ru"
    settings.KPI_IMPORT_BACKGROUND_BYTES = 10 if background else 10**6
    client.force_login(head1)
    file = csv_file(f"{DAY},manager_a,active,first_contacts,-1")
    page = client.post(
        reverse("funnel:import"), {"file": file}, headers={"Accept-Language": "en"}, follow=True
    )
    html = page.content.decode()
    translation.activate("en")
    assert "The file was rejected, nothing was imported" in html
    assert "The file was read as UTF-8, separator “,”." in html
    assert "The value cannot be negative." in html
