"""The prediction API: thin views over `predictions.serving.services` and the selectors.

Errors are raised, never built here: `mlbilling.api_errors` turns them into answers.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from mlbilling.api_fields import refuse_unknown_fields
from mlbilling.json_parser import StrictJSONParser
from mlbilling.throttling import UserAndScopeRateThrottle
from predictions.api.schema import GENERIC_OPERATION_ID, IDEMPOTENCY_KEY
from predictions.api.serializers import (
    ErrorSerializer,
    InsufficientCreditsSerializer,
    ModelInfoSerializer,
    PredictionFailedSerializer,
    PredictionSerializer,
    PredictionSummarySerializer,
    PredictResponseSerializer,
    predict_response,
)
from predictions.models import Prediction
from predictions.registry.selectors import model_list
from predictions.serving import selectors
from predictions.serving.services import prediction_run

# The one top-level key of a predict body (its schema is published per model).
PREDICT_REQUEST_FIELDS = frozenset({"inputs"})
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such model (or not yours).")


class ModelListView(APIView):
    """The models on offer: price, input schema, example and production version."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: ModelInfoSerializer(many=True)}, tags=["models"])
    def get(self, request: Request) -> Response:
        return Response(ModelInfoSerializer(model_list(), many=True).data)


class ModelDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: ModelInfoSerializer, 404: NOT_FOUND}, tags=["models"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(ModelInfoSerializer(selectors.model_catalog_entry(slug=slug)).data)


class PredictView(APIView):
    # JSON only: one body type for clients generated from the schema.
    parser_classes = [StrictJSONParser]
    # The user's rate and the predict scope's: one cache read and one write for both.
    throttle_classes = [AnonRateThrottle, UserAndScopeRateThrottle]
    throttle_scope = "predict"

    @extend_schema(
        # Published once per model, with that model's rows (predictions.api.schema).
        operation_id=GENERIC_OPERATION_ID,
        summary="Predict (charged per row, only on success)",
        description="Runs the model on 1 to PREDICT_MAX_ROWS rows. Every row is checked "
        "first; bad input costs nothing. Send an `Idempotency-Key` header to retry safely: "
        "the same key and body return the first answer without a second charge.",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: PredictResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input; not charged."),
            402: OpenApiResponse(InsufficientCreditsSerializer, description="Not enough credits."),
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused."),
            429: OpenApiResponse(ErrorSerializer, description="Throttled; see Retry-After."),
            503: OpenApiResponse(
                PredictionFailedSerializer,
                description="The model failed, or has no production version yet.",
            ),
        },
        tags=["predictions"],
    )
    def post(self, request: Request, slug: str) -> Response:
        # The shape is checked by hand (the schema documents it per model): instantiating
        # a serializer per call cost more than the model on the single-row hot path, and
        # `prediction_run` checks the rows themselves.
        if not isinstance(request.data, dict) or "inputs" not in request.data:
            raise serializers.ValidationError({"inputs": [_("This field is required.")]})
        refuse_unknown_fields(request.data, allowed=PREDICT_REQUEST_FIELDS)
        outcome = prediction_run(
            user=request.user,
            slug=slug,
            rows=request.data["inputs"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return Response(predict_response(outcome.prediction), headers=headers)


class PredictionFilterSerializer(serializers.Serializer):
    model = serializers.SlugField(required=False)
    status = serializers.ChoiceField(choices=Prediction.Status.choices, required=False)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)


@extend_schema(parameters=[PredictionFilterSerializer], tags=["predictions"])
class PredictionListView(generics.ListAPIView):
    """Your predictions, newest first (succeeded, failed and refused)."""

    serializer_class = PredictionSummarySerializer

    def get_queryset(self):
        # A plain dict: an empty parameter (`?status=`) is then refused, not ignored.
        filters = PredictionFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.prediction_list(user=self.request.user, **filters.validated_data)


@extend_schema(responses={200: PredictionSerializer, 404: NOT_FOUND}, tags=["predictions"])
class PredictionDetailView(generics.RetrieveAPIView):
    serializer_class = PredictionSerializer

    def get_object(self) -> Prediction:
        try:
            return selectors.prediction_get(user=self.request.user, prediction_id=self.kwargs["pk"])
        except Prediction.DoesNotExist:
            raise Http404 from None
