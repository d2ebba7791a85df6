"""The billing part of the token API: balance, transactions and top-ups.

Amounts travel as JSON strings in credits with two decimals ("12.50"), never as floats.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import LineKind, TopUp, Transfer, TransferKind
from billing.money import InvalidAmount, check_credit_bounds, format_credits, parse_credits
from billing.selectors import topups_of, wallet_balance, wallet_statement
from billing.services.topups import topup_create
from billing.statement_lines import line_text
from mlbilling.api_errors import ErrorSerializer
from mlbilling.api_fields import StrictSerializer
from mlbilling.api_schema import amount_pattern
from mlbilling.json_parser import StrictJSONParser


class CreditsField(serializers.Field):
    def __init__(self, *, min_units: int | None = None, max_units: int | None = None, **kwargs):
        self.min_units, self.max_units = min_units, max_units
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> int:
        if not isinstance(data, str):
            raise serializers.ValidationError(_('Send the amount as a string, like "25.00".'))
        try:
            return check_credit_bounds(parse_credits(data), low=self.min_units, high=self.max_units)
        except InvalidAmount as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value: int) -> str:
        return format_credits(value)


class CreditsFieldSchema(OpenApiSerializerFieldExtension):
    """A decimal string; with bounds (a top-up's), a pattern that admits exactly them."""

    target_class = CreditsField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        low, high = self.target.min_units, self.target.max_units
        if low is None or high is None:
            return {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "12.50"}
        return {
            "type": "string",
            "pattern": amount_pattern(low, high),
            "example": format_credits(low),
            "description": f"From {format_credits(low)} to {format_credits(high)} credits.",
        }


class BalanceSerializer(serializers.Serializer):
    balance = CreditsField()
    held = CreditsField(help_text="Reserved by running batch jobs.")
    available = CreditsField(help_text="What can be spent: balance - held.")


class BalanceView(APIView):
    @extend_schema(responses=BalanceSerializer)
    def get(self, request: Request) -> Response:
        return Response(BalanceSerializer(wallet_balance(user=request.user)).data)


class StatementLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(source="line_kind", choices=LineKind.choices)
    params = serializers.DictField(
        source="line_params",
        help_text="By kind: prediction {model, version, rows}; batch {job, model, rows "
        "charged}; topup {provider}; refund {refund_of: the transfer id}; grant and "
        "adjustment {}.",
    )


class TransactionSerializer(serializers.ModelSerializer):
    amount = CreditsField(source="signed_amount")
    balance_after = CreditsField()
    line = StatementLineSerializer(
        source="*", allow_null=True, help_text="What the movement was for, as data."
    )
    description = serializers.SerializerMethodField(
        help_text="The line in words, in the request's language (Accept-Language), then an "
        "operator's note if there is one."
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "kind",
            "amount",
            "balance_after",
            "reference",
            "line",
            "description",
            "created_at",
        ]

    def get_description(self, transfer: Transfer) -> str:
        return line_text(transfer)

    def to_representation(self, transfer: Transfer) -> dict[str, Any]:
        data = super().to_representation(transfer)
        if not transfer.line_kind:
            data["line"] = None  # from before lines were stored: the note alone
        return data


class TransactionFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TransferKind.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@extend_schema_view(get=extend_schema(parameters=[TransactionFilterSerializer]))
class TransactionListView(generics.ListAPIView):
    """Every movement on the caller's wallet, newest first; `amount` is signed (money in is
    positive). Filters: `kind`, `date_from`, `date_to` (YYYY-MM-DD, inclusive)."""

    serializer_class = TransactionSerializer

    def get_queryset(self):
        # A plain dict: an empty parameter (`?date_from=`) is then refused, not ignored.
        filters = TransactionFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return wallet_statement(user=self.request.user, **filters.validated_data)


class TopUpSerializer(serializers.ModelSerializer):
    amount = CreditsField(read_only=True)
    checkout_url = serializers.SerializerMethodField()

    class Meta:
        model = TopUp
        fields = ["id", "state", "amount", "checkout_url", "created_at"]

    def get_checkout_url(self, topup: TopUp) -> str:
        return self.context["request"].build_absolute_uri(topup.checkout_url)


class TopUpCreateSerializer(StrictSerializer):
    amount = CreditsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        field.min_units, field.max_units = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX


class TopUpCreateView(APIView):
    # JSON only: one body type for clients generated from the schema.
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=TopUpCreateSerializer,
        responses={
            201: TopUpSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`too_many_pending_topups`: BILLING_TOPUP_MAX_PENDING unpaid "
                "top-ups are pending; plus `limit`.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = TopUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topup = topup_create(user=request.user, amount=data.validated_data["amount"])
        return Response(
            TopUpSerializer(topup, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class TopUpDetailView(APIView):
    @extend_schema(responses=TopUpSerializer)
    def get(self, request: Request, pk: int) -> Response:
        topup = get_object_or_404(topups_of(user=request.user), pk=pk)
        return Response(TopUpSerializer(topup, context={"request": request}).data)
