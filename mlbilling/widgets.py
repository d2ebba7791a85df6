"""Form widgets every app shares."""

from __future__ import annotations

from django import forms


class IsoDateInput(forms.DateInput):
    """A browser date picker. Its value is always an ISO date (YYYY-MM-DD): the browser shows
    it in the reader's format, and a localized value ("31.10.2026") would leave it blank."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
