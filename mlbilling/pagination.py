"""The API's pages: `?page=N`, 50 a page; a blank or malformed page is a 404.

DRF reads `?page=` as page 1, while the OpenAPI document publishes `page` as an integer:
a client (or schemathesis) sending a blank one gets the same 404 as for `?page=x`.
Registered as REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"].
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    def get_page_number(self, request: Any, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) == "":
            return ""
        return super().get_page_number(request, paginator)
