"""JSON API of accounts: exchange a password for a token, and who am I."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.services import LoginRefused, TooManyLoginAttempts, api_token_obtain
from mlbilling.api_fields import StrictSerializer
from mlbilling.json_parser import StrictJSONParser


class LoginRefusedError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "login_refused"


class LoginRateLimitedError(LoginRefusedError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_login_attempts"


class AuthTokenInputSerializer(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        required=False,
        help_text="Defaults to the client's User-Agent and the time.",
    )


class AuthTokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: shown only in this response.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="API_TOKEN_TTL_DAYS (90) after now.")


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    date_joined = serializers.DateTimeField()


class AuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # JSON only: one body type for clients generated from the schema.
    parser_classes = [StrictJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        operation_id="auth_token_create",
        summary="Exchange an email and password for an API token",
        description="Send the key as `Authorization: Token <key>`. A wrong email and a wrong "
        "password give the same answer. The email address must be verified first. The token "
        "expires after API_TOKEN_TTL_DAYS (90 days); a user keeps at most API_TOKENS_PER_USER "
        "(20) active tokens, and a new one revokes the oldest.",
        request=AuthTokenInputSerializer,
        responses={
            201: AuthTokenOutputSerializer,
            400: OpenApiResponse(description="Invalid fields, or the login was refused."),
            429: OpenApiResponse(description="Too many attempts."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, key = api_token_obtain(request=request._request, **serializer.validated_data)
        except TooManyLoginAttempts as error:
            raise LoginRateLimitedError(error.message) from error
        except LoginRefused as error:
            raise LoginRefusedError(error.message) from error
        output = AuthTokenOutputSerializer(
            {"token": key, "name": token.name, "expires_at": token.expires_at}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class MeApi(APIView):
    @extend_schema(operation_id="me_retrieve", responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
