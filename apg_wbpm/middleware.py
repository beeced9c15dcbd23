"""Project-wide HTTP middleware."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from apg_wbpm.errors import error_response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``APG_MAX_REQUEST_BYTES`` with 413 before a view reads it.

    A Content-Length over the limit is refused without reading the body. A body without
    one (``Transfer-Encoding: chunked``, which only ASGI servers pass on) is read here,
    capped by Django at DATA_UPLOAD_MAX_MEMORY_SIZE, and its length recorded, because
    DRF treats a request without Content-Length as having no body at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH")
        try:
            length = int(declared or 0)
        except ValueError:
            return error_response(request, 400, "The Content-Length header is not a number.")
        limit = settings.APG_MAX_REQUEST_BYTES
        if length > limit:
            return self._too_large(request, f"The body has {length} bytes; the limit is {limit}.")
        if not declared and "HTTP_TRANSFER_ENCODING" in request.META:
            try:
                body = request.body
            except RequestDataTooBig:
                return self._too_large(request, None)
            if len(body) > limit:
                return self._too_large(request, f"The body has {len(body)} bytes; the limit is {limit}.")
            request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, detail: str | None) -> HttpResponse:
        response = error_response(request, 413, detail)
        response["Connection"] = "close"
        return response
