from __future__ import annotations

from django import template

from analytics.admin_views import REPORTS, Report

register = template.Library()


@register.simple_tag
def analytics_reports() -> list[Report]:
    """The operator reports, for the admin index (whose view we do not own)."""
    return list(REPORTS.values())
