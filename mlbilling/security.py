"""Content-Security-Policy for every response (Django 5.2 has no built-in CSP)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Adds `settings.CONTENT_SECURITY_POLICY` unless the view set its own policy.

    `settings.CONTENT_SECURITY_POLICY_BY_PATH` maps a path prefix to a policy for pages
    that cannot live under the strict one (the first matching prefix wins).
    """

    header = "Content-Security-Policy"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header not in response:
            response[self.header] = policy_for(request.path)
        return response


def policy_for(path: str) -> str:
    """The policy a response to `path` carries."""
    for prefix, policy in settings.CONTENT_SECURITY_POLICY_BY_PATH.items():
        if path.startswith(prefix):
            return policy
    return settings.CONTENT_SECURITY_POLICY
