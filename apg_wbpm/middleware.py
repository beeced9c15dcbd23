"""Project-wide HTTP middleware."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apg_wbpm.errors import error_response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``APG_MAX_REQUEST_BYTES`` with 413 before anything reads it.

    Bodies sent without a Content-Length are capped by Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE when read, which the API turns into the same 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "The Content-Length header is not a number.")
        limit = settings.APG_MAX_REQUEST_BYTES
        if length > limit:
            response = error_response(request, 413, f"The body has {length} bytes; the limit is {limit}.")
            response["Connection"] = "close"
            return response
        return self.get_response(request)
