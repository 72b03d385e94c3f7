"""The Jobs page: each of your jobs with live progress (htmx polls a running row), Cancel, and the file it made."""

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from jobs import selectors, services
from jobs.models import Job

# The page shows this many of your most recent jobs.
RECENT = 50


def _row(job: Job) -> dict[str, object]:
    return {
        "job": job,
        "title": selectors.job_title(job),
        "expired": bool(job.expires_at and job.expires_at <= timezone.now()),
    }


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = [_row(job) for job in selectors.jobs_visible(request.user)[:RECENT]]
    return render(request, "jobs/job_list.html", {"rows": jobs})


@require_GET
def job_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One job's row, as the page polls it while the job runs; a finished row stops the polling."""
    job = get_object_or_404(selectors.jobs_visible(request.user), pk=pk)
    return render(request, "jobs/job_list.html#job-row", {"row": _row(job)})


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.jobs_visible(request.user), pk=pk)
    title = selectors.job_title(job)
    if services.job_cancel(job=job):
        messages.success(request, f"{title} cancelled. What it had done before stays done.")
    else:
        messages.info(request, f"{title} had already finished, so there was nothing to cancel.")
    return redirect("jobs:list")


@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the job's file to the person who asked for it; a removed or expired one gets a page saying so."""
    job = get_object_or_404(selectors.jobs_visible(request.user), pk=pk)
    expired = job.expires_at is not None and job.expires_at <= timezone.now()
    if not job.result_file or expired or not _stored(job.result_file):
        return render(request, "jobs/file_gone.html", {"row": _row(job)}, status=410 if job.expires_at else 404)
    response = FileResponse(
        storages["exports"].open(job.result_file, "rb"), as_attachment=True, filename=job.result_name
    )
    response["Cache-Control"] = "no-store"
    return response


def _stored(name: str) -> bool:
    # Only this app writes the name, but a name the storage refuses (outside its folder) is simply not there.
    try:
        return storages["exports"].exists(name)
    except SuspiciousFileOperation:
        return False


@require_GET
def job_indicator(request: HttpRequest) -> HttpResponse:
    """The page header's "N jobs running" link; it polls itself only while one of yours is open."""
    running = selectors.jobs_open(request.user).count()
    return render(request, "jobs/_indicator.html", {"running": running})
