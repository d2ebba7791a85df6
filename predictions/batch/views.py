"""Website pages for batch jobs: upload and check, confirm, watch, download, cancel."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.errors import InsufficientCredits
from billing.money import credits_number
from predictions.batch.downloads import result_response, template_response, upload_too_large
from predictions.batch.forms import BatchUploadForm
from predictions.batch.selectors import batch_job_for_user, batch_job_progress, batch_jobs_for_user
from predictions.batch.services import (
    JobNotConfirmable,
    batch_job_cancel,
    batch_job_confirm,
    batch_job_create,
)
from predictions.ml.cases import CASES
from predictions.models import BatchJob


@login_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    jobs = batch_jobs_for_user(user=request.user)[:200]
    return render(request, "predictions/batch_list.html", {"jobs": jobs})


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and upload_too_large(request):
        form = BatchUploadForm()
        form.add_error(
            None,
            _("The file is larger than %(limit)d MB.")
            % {"limit": settings.BATCH_MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
        return render(request, "predictions/batch_new.html", {"form": form}, status=413)
    form = BatchUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and form.check is not None:
        upload = form.cleaned_data["file"]
        job, _created = batch_job_create(
            user=request.user,
            check=form.check,
            upload=upload,
            original_name=upload.name,
            confirm=False,
        )
        return redirect("predictions:batch_detail", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "predictions/batch_new.html", {"form": form}, status=status)


@login_required
@require_POST
def batch_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = batch_job_for_user(user=request.user, job_id=job_id)
    try:
        batch_job_confirm(job=job)
    except InsufficientCredits as exc:
        messages.error(
            request,
            _(
                "Your wallet cannot cover this job: it needs %(needed)s credits, "
                "%(available)s are available."
            )
            % {"needed": credits_number(exc.needed), "available": credits_number(exc.available)},
        )
    except JobNotConfirmable as exc:
        messages.info(request, str(exc))
    else:
        # Tagged so the page's poll can take it away once the job has started.
        messages.success(request, _("Job confirmed: it will start shortly."), "job-queued")
    return redirect("predictions:batch_detail", job_id=job.pk)


@login_required
@require_GET
def batch_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = batch_job_for_user(user=request.user, job_id=job_id)
    return render(
        request,
        "predictions/batch_detail.html",
        {"job": job, "progress": batch_job_progress(job=job)},
    )


@login_required
@require_GET
def batch_status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = batch_job_for_user(user=request.user, job_id=job_id)
    return JsonResponse(batch_job_progress(job=job).as_dict())


@login_required
@require_POST
def batch_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = batch_job_cancel(job=batch_job_for_user(user=request.user, job_id=job_id))
    if job.status == BatchJob.Status.CANCELLED:
        messages.success(request, _("Job cancelled; nothing was charged."))
    elif job.cancel_requested and not job.is_finished:
        messages.info(request, _("Stopping: the rows already done are paid, the rest is released."))
    return redirect("predictions:batch_detail", job_id=job.pk)


@login_required
@require_GET
def batch_result(request: HttpRequest, job_id: int) -> FileResponse:
    return result_response(batch_job_for_user(user=request.user, job_id=job_id))


@require_GET
def batch_template(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """A model's CSV template: its input fields as the header, its example as a row."""
    if slug not in CASES:
        raise Http404
    return template_response(CASES[slug])
