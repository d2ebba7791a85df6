"""The registry of ML cases: slug -> case. A new case is one module (or package, with its
case in `case.py`) and one line here."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from mlbilling.errors import DomainError
from predictions.ml.cases.android_malware.case import CASE as ANDROID_MALWARE
from predictions.ml.cases.base import Case
from predictions.ml.cases.cirrhosis_survival.case import CASE as CIRRHOSIS_SURVIVAL
from predictions.ml.cases.elder_monitoring.case import CASE as ELDER_MONITORING
from predictions.ml.cases.glioma_grade import CASE as GLIOMA_GRADE
from predictions.ml.cases.nhanes_age import CASE as NHANES_AGE
from predictions.ml.cases.product_category import CASE as PRODUCT_CATEGORY

CASES: dict[str, Case] = {
    case.slug: case
    for case in (
        ANDROID_MALWARE,
        PRODUCT_CATEGORY,
        ELDER_MONITORING,
        NHANES_AGE,
        CIRRHOSIS_SURVIVAL,
        GLIOMA_GRADE,
    )
}


class UnknownCase(KeyError, DomainError):
    code = "not_found"
    status_code = 404

    def detail(self) -> str:
        return _("No such model.")


def in_catalogue_order(slugs: Iterable[str]) -> list[str]:
    """The slugs in the order of CASES (the catalogue page's, every page's); any slug that
    is no case (an operator's own model) after them, alphabetically."""
    place = {slug: index for index, slug in enumerate(CASES)}
    return sorted(set(slugs), key=lambda slug: (place.get(slug, len(place)), slug))


def get_case(slug: str) -> Case:
    try:
        return CASES[slug]
    except KeyError:
        raise UnknownCase(slug) from None
