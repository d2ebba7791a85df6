"""The registry of ML cases: slug -> case. A new case is one module (or package, with its
case in `case.py`) defining `CASE`, and one line here.

A case module is imported when its case is first used, not with the registry: the case
modules pull in the ML stack (scikit-learn, SciPy, matplotlib, XGBoost: about half of a
process's start-up), which the migrations, the site's pages and the health checks never
need, so `bin/run`'s site answers that much sooner.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, MutableMapping

from django.utils.translation import gettext as _

from mlbilling.errors import DomainError
from predictions.ml.cases.base import Case

# slug -> the module defining its CASE, in the catalogue's order.
CASE_MODULES = {
    "android-malware": "predictions.ml.cases.android_malware.case",
    "product-category": "predictions.ml.cases.product_category",
    "elder-monitoring": "predictions.ml.cases.elder_monitoring.case",
    "nhanes-age": "predictions.ml.cases.nhanes_age",
    "cirrhosis-survival": "predictions.ml.cases.cirrhosis_survival.case",
    "glioma-grade": "predictions.ml.cases.glioma_grade",
}


class CaseRegistry(MutableMapping[str, Case]):
    """slug -> case, each case imported on first access. The slugs are known without
    importing anything; a case set directly (a test's) is served as it is."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = dict(modules)
        self._cases: dict[str, Case] = {}

    def __getitem__(self, slug: str) -> Case:
        if slug not in self._cases:
            case = importlib.import_module(self._modules[slug]).CASE
            assert case.slug == slug, f"{self._modules[slug]} defines {case.slug!r}"
            self._cases[slug] = case
        return self._cases[slug]

    def __setitem__(self, slug: str, case: Case) -> None:
        self._modules.setdefault(slug, type(case).__module__)
        self._cases[slug] = case

    def __delitem__(self, slug: str) -> None:
        del self._modules[slug]
        self._cases.pop(slug, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __len__(self) -> int:
        return len(self._modules)

    def __contains__(self, slug: object) -> bool:
        return slug in self._modules


CASES: MutableMapping[str, Case] = CaseRegistry(CASE_MODULES)


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
