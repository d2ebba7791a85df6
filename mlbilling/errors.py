"""The base of every domain error the API answers: the error names its own code and status.

Apps raise subclasses; `mlbilling.api_errors` turns any of them into the common error body
without knowing the apps. Plain Python on purpose (no HTTP, no ORM): the ML layer's
errors derive from it too.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal a client can act on. `code` is the API's stable contract
    (docs/api-errors.md); the message (str of the error) is for people."""

    code: ClassVar[str]
    status_code: ClassVar[int]

    def detail(self) -> str:
        """The body's `detail`, in the request's language."""
        return str(self)

    def field_errors(self) -> dict[str, Any]:
        """The body's `errors`: input name -> messages."""
        return {}

    def extra(self) -> dict[str, str]:
        """Members beside detail, code and errors that a client needs to act on the error
        (data, never translated)."""
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers of the answer (Retry-After, say)."""
        return {}
