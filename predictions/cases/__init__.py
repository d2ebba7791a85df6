"""The registry of ML cases: slug -> case. A new case is one module and one line here."""

from __future__ import annotations

from predictions.cases import (
    android_malware,
    cirrhosis_survival,
    elder_monitoring,
    glioma_grade,
    nhanes_age,
    product_category,
)
from predictions.cases.base import Case

CASES: dict[str, Case] = {
    case.slug: case
    for case in (
        android_malware.CASE,
        product_category.CASE,
        elder_monitoring.CASE,
        nhanes_age.CASE,
        cirrhosis_survival.CASE,
        glioma_grade.CASE,
    )
}


class UnknownCase(KeyError):
    pass


def get_case(slug: str) -> Case:
    try:
        return CASES[slug]
    except KeyError:
        raise UnknownCase(slug) from None
