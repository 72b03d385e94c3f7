"""The import's pages: upload, choose columns, the dry run's results with Import, the import log and its downloads.

Every page asks imports.selectors.import_run_for who may see a run (its uploader, or staff who may export
contacts); anyone else gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from imports import selectors, services
from imports.forms import ColumnsForm, UploadForm
from imports.mapping import duplicate_headers, mapping_guess
from imports.models import COUNTED, ImportStatus, RowAction
from imports.reader import DELIMITER_NAMES, FileProblem
from imports.results import not_imported_csv

ADD = "customers.add_contact"
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.import_upload(user=request.user, file=upload, name=upload.name, size=upload.size)
        except FileProblem as problem:
            form.add_error("file", str(problem))
        else:
            return redirect("imports:columns", run.pk)
    recent = selectors.import_runs_visible_to(user=request.user)[:5]
    return render(
        request, "imports/import_start.html", {"form": form, "recent": recent}, status=400 if form.errors else 200
    )


@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_columns(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_for(user=request.user, pk=pk)
    running = run.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING) and run.job and run.job.is_open
    if running or run.status == ImportStatus.DONE:
        return redirect("imports:detail", run.pk)
    form = ColumnsForm(request.POST or None, run=run, can_update=request.user.has_perm("customers.change_contact"))
    if request.method == "POST" and form.is_valid():
        problems = services.import_options_set(
            run=run,
            mapping=form.mapping(),
            mode=form.cleaned_data["mode"],
            create_missing=form.cleaned_data["create_missing"],
        )
        if not problems and services.import_check_queue(run=run, user=request.user) is not None:
            return redirect("imports:detail", run.pk)
        for problem in problems:
            form.add_error(None, problem)
    context = {
        "run": run,
        "form": form,
        "duplicates": duplicate_headers(run.header, mapping_guess(run.header)),
        "encoding": ENCODINGS.get(run.encoding, run.encoding),
        "delimiter": DELIMITER_NAMES.get(run.delimiter, run.delimiter),
    }
    return render(request, "imports/import_columns.html", context, status=400 if form.errors else 200)


def _counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    labels = dict(RowAction.choices)
    return [(action, labels[action], counts.get(action, 0)) for action in COUNTED]


@permission_required(ADD, raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_for(user=request.user, pk=pk)
    show = request.GET.get("show", "")
    if show not in RowAction.values:
        show = ""
    try:
        after = max(0, min(int(request.GET.get("after", "0")), 2**31 - 1))
    except ValueError:
        after = 0
    rows = selectors.import_rows_page(run=run, action=show, after=after)
    more = len(rows) > selectors.ROWS_PER_PAGE
    rows = rows[: selectors.ROWS_PER_PAGE]
    context = {
        "run": run,
        "job": run.job,
        "running": run.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING) and run.job and run.job.is_open,
        "stopped": run.status == ImportStatus.FAILED
        or (run.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING) and (not run.job or not run.job.is_open)),
        "counts": _counts(run.counts),
        "show": show,
        "rows": rows,
        "next_after": rows[-1].number if more and rows else None,
        "mode": services.import_mode_label(run.mode),
    }
    return render(request, "imports/import_detail.html", context)


@permission_required(ADD, raise_exception=True)
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar polled while a job runs; once it ends the page reloads to show the results."""
    run = selectors.import_run_for(user=request.user, pk=pk)
    if run.job is None or not run.job.is_open:
        return HttpResponseClientRefresh()
    return render(request, "imports/_progress.html", {"run": run, "job": run.job})


@permission_required(ADD, raise_exception=True)
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_for(user=request.user, pk=pk)
    if services.import_apply_queue(run=run, user=request.user) is None:
        messages.info(request, "This import has already started, so it was not started again.")
    return redirect("imports:detail", run.pk)


@permission_required(ADD, raise_exception=True)
def import_not_imported(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_for(user=request.user, pk=pk)
    response = StreamingHttpResponse(not_imported_csv(run=run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"not-imported-{run.pk}.csv")
    return response


@permission_required(ADD, raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.import_runs_visible_to(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "imports/import_list.html", {"page": page})
