"""The Jobs page, its polled row and indicator, Cancel and the download, and who may see each."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from customers.services.background import EXPORT, LABEL_ADD, TRASH
from jobs.models import Job, JobStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _job(user, kind=EXPORT, **fields):
    return Job.objects.create(kind=kind, user=user, params={}, **fields)


def _done_export(user, **fields):
    name = storages["exports"].save("job.csv", ContentFile(b'"Email"\r\n"ann@example.com"\r\n'))
    defaults = {"status": JobStatus.DONE, "processed": 1, "total": 1, "result_file": name}
    return _job(
        user,
        result_name="contacts-2026-12-06.csv",
        expires_at=timezone.now() + timedelta(days=7),
        **{**defaults, **fields},
    )


def test_the_page_lists_your_jobs_with_progress_and_a_running_row_polls(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    running = _job(user, kind=LABEL_ADD, status=JobStatus.RUNNING, processed=250, total=1000)
    _job(UserFactory(username="other", role="Staff"), summary="Not yours")
    html = client.get(reverse("jobs:list")).content.decode()
    assert "Add label" in html
    assert "25% · 250 of 1,000" in html
    assert f'hx-get="{reverse("jobs:row", args=[running.pk])}" hx-trigger="every 1s"' in html
    assert "Not yours" not in html
    row = client.get(reverse("jobs:row", args=[running.pk])).content.decode()
    assert row.lstrip().startswith(f'<tr role="row" id="job-{running.pk}"')
    Job.objects.filter(pk=running.pk).update(status=JobStatus.DONE, processed=1000, summary="Label VIP added")
    finished = client.get(reverse("jobs:row", args=[running.pk])).content.decode()
    assert "hx-trigger" not in finished
    assert "100% · 1,000 of 1,000" in finished


def test_the_indicator_polls_only_while_one_of_yours_is_open(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    idle = client.get(reverse("jobs:indicator")).content.decode()
    assert "hx-trigger" not in idle
    _job(user, status=JobStatus.QUEUED)
    busy = client.get(reverse("jobs:indicator")).content.decode()
    assert "1 running" in busy
    assert 'hx-trigger="every 2s"' in busy


def test_cancel_stops_an_open_job_and_says_when_there_was_nothing_to_cancel(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    job = _job(user, kind=LABEL_ADD, status=JobStatus.RUNNING)
    response = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert "Add label cancelled. What it had done before stays done." in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    again = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert "Add label had already finished, so there was nothing to cancel." in again.content.decode()
    assert client.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405


def test_the_file_downloads_for_its_owner_and_is_gone_after_it_expires(client):
    user = UserFactory(role="Viewer")
    client.force_login(user)
    job = _done_export(user)
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="contacts-2026-12-06.csv"'
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == b'"Email"\r\n"ann@example.com"\r\n'
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    gone = client.get(reverse("jobs:download", args=[job.pk]))
    assert gone.status_code == 410
    assert "This file is no longer here" in gone.content.decode()


def test_a_job_of_a_kind_your_role_does_not_allow_is_not_yours_to_see(client):
    viewer = UserFactory(role="Viewer")
    client.force_login(viewer)
    trash = _job(viewer, kind=TRASH, status=JobStatus.DONE, summary="Moved")
    assert client.get(reverse("jobs:row", args=[trash.pk])).status_code == 404
    assert "Moved" not in client.get(reverse("jobs:list")).content.decode()


def test_a_role_taken_away_takes_the_download_with_it(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    job = _done_export(user)
    user.groups.remove(Group.objects.get(name="Staff"))
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("name", ["../../etc/passwd", "job.csv"])
def test_a_file_name_missing_from_storage_is_a_clear_page_not_an_error(client, name):
    user = UserFactory(role="Staff")
    client.force_login(user)
    job = _done_export(user)
    Job.objects.filter(pk=job.pk).update(result_file=name)
    storages["exports"].delete(job.result_file)
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code in (404, 410)
