"""The REST list endpoints' pages (docs/api.md, "Lists and pages")."""

import re
from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

PAGE_NUMBER = re.compile(r"[0-9]+")


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, where a `page` that is not a whole number from 1 (`abc`, `0`, `-1`, `1.5`) is a
    400 naming `page`, in the standard error body: DRF answered each with 404 "Invalid page.", as if the list
    had no such page. A page past the last is still a 404: it does not exist (`last` names the last one)."""

    invalid_page_message = "No such page."

    def get_page_number(self, request: Request, paginator: Paginator) -> Any:
        number = request.query_params.get(self.page_query_param) or "1"
        # a digit other than 0 makes it at least 1; never int() here: Python refuses to convert more than 4300
        # digits (ValueError, a 500), and Django's paginator answers such a page as past the last (404)
        if number not in self.last_page_strings and not (PAGE_NUMBER.fullmatch(number) and number.strip("0")):
            raise ValidationError({self.page_query_param: ["A page number is a whole number from 1."]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
