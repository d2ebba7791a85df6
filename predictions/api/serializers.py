"""Input and output shapes of the prediction API. Amounts are decimal strings ("0.10")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from billing.money import format_credits
from mlbilling.api_errors import ErrorSerializer
from predictions.models import Prediction
from predictions.registry.selectors import ModelListing


class ProductionVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    trained_at = serializers.DateTimeField()
    metrics = serializers.JSONField()


class ModelInfoSerializer(serializers.Serializer):
    """A `ModelListing` as the API shows it."""

    slug = serializers.CharField(source="model.slug")
    title = serializers.CharField(source="model.title")
    description = serializers.CharField(source="case.description")
    price_per_row = serializers.SerializerMethodField(
        help_text="Credits per input row, as a decimal string."
    )
    input_schema = serializers.SerializerMethodField(help_text="JSON Schema of one input row.")
    example = serializers.JSONField(source="case.example", help_text="A valid input row.")
    production_version = ProductionVersionSerializer(source="production", allow_null=True)

    def get_price_per_row(self, entry: ModelListing) -> str:
        return format_credits(entry.model.price_per_row)

    def get_input_schema(self, entry: ModelListing) -> dict[str, Any]:
        return entry.case.schema.to_json_schema()


class PredictResponseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    model = serializers.CharField()
    version = serializers.IntegerField()
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text='One per input row, in order: {"label", "probabilities": {label: p}, ...} '
        "plus what the case adds; cirrhosis-survival answers {label, risk_group, risk_score, "
        "survival_at: {1y, 2y, 5y, 10y}, survival_curve: [{years, survival}]} instead.",
    )
    cost = serializers.CharField(help_text="Credits charged, decimal string.")
    balance = serializers.CharField(help_text="Wallet balance after the charge.")


def predict_response(prediction: Prediction) -> dict[str, Any]:
    """The 200 body of a successful (or replayed) prediction."""
    return {
        "id": str(prediction.id),
        "model": prediction.model_version.model.slug,
        "version": prediction.model_version.version,
        "results": prediction.outputs,
        "cost": format_credits(prediction.cost),
        "balance": format_credits(prediction.balance_after or 0),
    }


class PredictionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_version.model.slug")
    version = serializers.IntegerField(source="model_version.version")
    cost = serializers.SerializerMethodField()
    results = serializers.JSONField(source="outputs")

    class Meta:
        model = Prediction
        fields = [
            "id",
            "model",
            "version",
            "status",
            "source",
            "rows",
            "cost",
            "latency_ms",
            "error",
            "created_at",
            "inputs",
            "results",
        ]

    def get_cost(self, prediction: Prediction) -> str:
        return format_credits(prediction.cost)


class PredictionSummarySerializer(PredictionSerializer):
    """The list view leaves out inputs and results (up to 1,000 rows each)."""

    class Meta(PredictionSerializer.Meta):
        fields = [f for f in PredictionSerializer.Meta.fields if f not in ("inputs", "results")]


class InsufficientCreditsSerializer(ErrorSerializer):
    needed = serializers.CharField()
    balance = serializers.CharField()
    available = serializers.CharField()
    prediction = serializers.UUIDField(required=False, help_text="The refused prediction.")


class PredictionFailedSerializer(ErrorSerializer):
    prediction = serializers.UUIDField(
        required=False,
        help_text="The failed prediction's record (`model_failed`; absent for "
        "`model_unavailable`, when nothing ran).",
    )
