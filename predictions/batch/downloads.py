"""The HTTP edges of a batch that the website and the API share: refusing an oversized
upload before it is stored, and sending a result file as a download."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from predictions.batch.selectors import batch_result_ready
from predictions.models import BatchJob


def upload_too_large(request: HttpRequest) -> bool:
    """Refuse an oversized body from its Content-Length, before Django stores it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    # Multipart framing adds a little; the file's own size is checked exactly later.
    return length > settings.BATCH_MAX_UPLOAD_BYTES + 64 * 1024


def result_response(job: BatchJob) -> FileResponse:
    """The result CSV as a download, never rendered by the browser."""
    if not batch_result_ready(job):
        raise Http404(_("The result is not ready."))
    response = FileResponse(
        job.result_file.open("rb"),
        as_attachment=True,
        filename=f"batch-{job.pk}-result.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
