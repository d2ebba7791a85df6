"""The benchmarks' yardsticks debit any wallet without authentication: only bench.urls
mounts them, and no environment variable brings them into the product's URLconf."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import pytest
from django.http import HttpResponse
from django.urls import Resolver404, clear_url_caches, resolve

import mlbilling.urls
import predictions.api.urls
from bench import endpoints

YARDSTICKS = {
    "/api/v1/bench/nhanes-age/bare": endpoints.bare,
    "/api/v1/bench/nhanes-age/billed": endpoints.billed,
}


@pytest.fixture
def product_urls_imported_with_the_old_switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The variable once mounted the yardsticks at import time: import the product's URL
    # modules afresh with it set, innermost first so that the outer include() sees it.
    monkeypatch.setenv("MLBILLING_BENCH_ENDPOINTS", "1")
    importlib.reload(predictions.api.urls)
    importlib.reload(mlbilling.urls)
    clear_url_caches()
    yield
    clear_url_caches()


@pytest.mark.usefixtures("product_urls_imported_with_the_old_switch")
@pytest.mark.parametrize("path", YARDSTICKS)
def test_the_product_urlconf_resolves_no_yardstick(path: str) -> None:
    with pytest.raises(Resolver404):
        resolve(path, urlconf="mlbilling.urls")


@pytest.mark.parametrize(("path", "view"), YARDSTICKS.items())
def test_the_bench_urlconf_mounts_the_yardsticks_beside_the_product(
    path: str, view: Callable[..., HttpResponse]
) -> None:
    assert resolve(path, urlconf="bench.urls").func is view
    assert resolve("/api/v1/models", urlconf="bench.urls").url_name == "api_models"
