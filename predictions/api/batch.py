"""The batch API: POST /batches (multipart), list, detail, result, cancel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.money import format_credits
from predictions.api.schema import IDEMPOTENCY_KEY
from predictions.batch.downloads import result_response, upload_too_large
from predictions.batch.selectors import (
    batch_job_for_user,
    batch_jobs_for_user,
    batch_result_ready,
)
from predictions.batch.services import (
    batch_job_cancel,
    batch_job_create,
    batch_upload_check,
)
from predictions.models import BatchJob
from predictions.serving.services import IDEMPOTENCY_KEY_MAX_LENGTH


class BatchCreateInput(serializers.Serializer):
    model = serializers.SlugField(help_text="The model's slug, e.g. nhanes-age.")
    file = serializers.FileField(help_text="UTF-8 CSV whose header names the model's fields.")


class BatchOutput(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    max_cost = serializers.SerializerMethodField(help_text='Credits held at most, e.g. "12.50".')
    charged = serializers.SerializerMethodField(help_text='Credits charged, e.g. "12.50".')
    rows_succeeded = serializers.IntegerField(read_only=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = BatchJob
        fields = [
            "id",
            "model",
            "status",
            "original_name",
            "rows_total",
            "rows_done",
            "rows_succeeded",
            "rows_failed",
            "max_cost",
            "charged",
            "cancel_requested",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "result_url",
        ]
        read_only_fields = fields

    def get_max_cost(self, job: BatchJob) -> str:
        return format_credits(job.max_cost)

    def get_charged(self, job: BatchJob) -> str:
        return format_credits(job.charged)

    def get_result_url(self, job: BatchJob) -> str | None:
        if not batch_result_ready(job):
            return None
        url = reverse("api_batch_result", kwargs={"job_id": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class UploadTooLarge(APIException):
    status_code = 413
    default_code = "file_too_large"


def _idempotency_key(request: Request) -> str | None:
    """The header as the schema publishes it (the column holds 255 characters, like
    predictions'): a longer or unprintable key is a 400, not a database error."""
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and not (len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and key.isprintable()):
        message = _("1 to %(max)d printable characters are required.")
        raise serializers.ValidationError(
            {"Idempotency-Key": [message % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}]}
        )
    return key


class BatchListCreateView(GenericAPIView):
    parser_classes = [MultiPartParser]
    serializer_class = BatchOutput

    def get_queryset(self) -> Any:
        return batch_jobs_for_user(user=self.request.user)

    @extend_schema(operation_id="batches_list", responses=BatchOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="batches_create",
        request={"multipart/form-data": BatchCreateInput},
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: BatchOutput,
            200: OpenApiResponse(BatchOutput, description="The job created by this key."),
            400: OpenApiResponse(description="Bad file (problems listed) or model."),
            402: OpenApiResponse(description="The wallet cannot hold the maximum cost."),
            413: OpenApiResponse(description="The file is too large."),
            409: OpenApiResponse(description="Idempotency-Key reused for another file."),
        },
    )
    def post(self, request: Request) -> Response:
        if upload_too_large(request._request):
            raise UploadTooLarge(
                _("The file is larger than %(limit)d MB.")
                % {"limit": settings.BATCH_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        key = _idempotency_key(request)
        data = BatchCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        # Domain errors (bad file, unknown model, short wallet, reused key) are mapped to
        # HTTP by mlbilling.api_errors, the API's one exception handler.
        check = batch_upload_check(model_slug=data.validated_data["model"], upload=upload)
        job, created = batch_job_create(
            user=request.user,
            check=check,
            upload=upload,
            original_name=upload.name or "upload.csv",
            confirm=True,
            idempotency_key=key,
        )
        body = self.get_serializer(job).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BatchDetailView(APIView):
    @extend_schema(operation_id="batches_retrieve", responses=BatchOutput)
    def get(self, request: Request, job_id: int) -> Response:
        job = batch_job_for_user(user=request.user, job_id=job_id)
        return Response(BatchOutput(job, context={"request": request}).data)


class BatchCancelView(APIView):
    @extend_schema(operation_id="batches_cancel", request=None, responses=BatchOutput)
    def post(self, request: Request, job_id: int) -> Response:
        job = batch_job_cancel(job=batch_job_for_user(user=request.user, job_id=job_id))
        return Response(BatchOutput(job, context={"request": request}).data)


class BatchResultView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is a CSV file whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="batches_result",
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such job, not yours, or no result yet."),
        },
    )
    def get(self, request: Request, job_id: int) -> Any:
        return result_response(batch_job_for_user(user=request.user, job_id=job_id))
