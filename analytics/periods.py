"""Date ranges of the reports: whole days in the site's time zone, both ends inclusive."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mlbilling.widgets import IsoDateInput

DEFAULT_DAYS = 30
MAX_DAYS = 366

T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first instant of the period, aware, in the current time zone."""
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    def days(self) -> Iterator[date]:
        for offset in range((self.last - self.first).days + 1):
            yield self.first + timedelta(days=offset)

    def bounds(self, field: str = "created_at") -> dict[str, datetime]:
        """ORM filter keywords on a datetime column; a plain range keeps it indexable
        (a `__date` lookup would cast the column and defeat the index)."""
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}

    def day_range(self) -> Q:
        """A filter on a `day` date column (the daily roll-ups), both ends inclusive."""
        return Q(day__gte=self.first, day__lte=self.last)

    def querystring(self) -> str:
        return f"date_from={self.first.isoformat()}&date_to={self.last.isoformat()}"


def default_period(*, days: int = DEFAULT_DAYS) -> Period:
    today = timezone.localdate()
    return Period(first=today - timedelta(days=days - 1), last=today)


def per_day(period: Period, rows: Iterable[tuple[date, T]], empty: T) -> list[tuple[date, T]]:
    """Every day of the period with its value, `empty` for days without data."""
    by_day = dict(rows)
    return [(day, by_day.get(day, empty)) for day in period.days()]


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=IsoDateInput())
    date_to = forms.DateField(label=_("To"), widget=IsoDateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last:
            if first > last:
                raise forms.ValidationError(_("The start date is after the end date."))
            if (last - first).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return data


def period_from_query(query: Any) -> tuple[PeriodForm, Period]:
    """The period a page's query string asks for, or the last 30 days when it asks for
    none or for an invalid one (the form then carries the errors to show)."""
    fallback = default_period()
    if not query.get("date_from") and not query.get("date_to"):
        form = PeriodForm(
            initial={"date_from": fallback.first, "date_to": fallback.last},
        )
        return form, fallback
    form = PeriodForm(query)
    if form.is_valid():
        return form, Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    return form, fallback
