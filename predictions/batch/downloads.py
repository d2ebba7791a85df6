"""The HTTP edges of a batch that the website and the API share: refusing an oversized
upload before it is stored, sending a result file as a download, and a model's template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _

from mlbilling.csv_export import streaming_csv_response
from predictions.batch.csv_rows import LIST_SEPARATOR
from predictions.batch.selectors import batch_result_ready
from predictions.ml.cases.base import Case
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def _template(case: Case) -> tuple[list[str], list[str]]:
    names = [field.name for field in case.schema.fields]
    for name in names:
        value = case.example.get(name)
        if isinstance(value, list) and any(LIST_SEPARATOR in str(item) for item in value):
            # Names holding the separator (Android API calls) cannot share a cell: the file
            # sends the list as the case's 0/1 columns instead.
            flags = [other for other in names if other != name]
            return flags, ["1" if flag in value else "0" for flag in flags]
    return names, [_cell(case.example.get(name)) for name in names]


def template_response(case: Case) -> StreamingHttpResponse:
    """A CSV to start a batch from: the input fields as the header, the example as a row."""
    header, example = _template(case)
    return streaming_csv_response([header, example], filename=f"{case.slug}-template.csv")
